import {
  type AuditActor,
  type AuditEntry,
  type Db,
  type DirectoryEntry,
  establishments,
  getRegistryImport,
  type ImportRowInsert,
  importRowsToApply,
  insertImportRows,
  lockRegistryImports,
  mappingsChangedAt,
  type RegistryImportRecord,
  readDirectoryForImport,
  readRegistryMappings,
  registryImports,
  writeAudit,
  writeAuditEntries,
} from "@pris/db";
import {
  type Category,
  type FieldChanges,
  type RegistryFields,
  type RegistryImport,
  type RegistryImportSummary,
  registryChanges,
  sectorOf,
} from "@pris/domain";
import { eq, inArray, sql } from "drizzle-orm";
import { ConflictError, NotFoundError, ValidationError } from "../../errors.ts";
import { readRegistryFile } from "./registry-reader.ts";

/** JSON with keys sorted, to compare what was staged with what the directory says now. */
function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function toImportView(row: RegistryImportRecord, mappingsAt: Date | null): RegistryImport {
  return {
    id: row.id,
    fileName: row.fileName,
    format: row.format,
    sha256: row.sha256,
    status: row.status,
    summary: row.summary as RegistryImportSummary,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    appliedAt: row.appliedAt?.toISOString() ?? null,
    appliedBy: row.appliedBy,
    mappingsChanged: row.status === "preview" && mappingsAt !== null && mappingsAt > row.createdAt,
  };
}

/**
 * Reads the uploaded file as it streams in and stages what applying it would do: nothing is written to
 * the directory. The file is read outside any transaction (an upload may take a while); the comparison
 * with the directory and the staging are one short transaction, which also supersedes older previews.
 * The mappings are those of the moment the upload starts: a preview is a snapshot.
 */
export async function previewImport(
  db: Db,
  actor: AuditActor,
  upload: { fileName: string; stream: AsyncIterable<Buffer> },
): Promise<RegistryImportRecord> {
  const startedAt = new Date();
  const mappings = await readRegistryMappings(db);
  const reading = await readRegistryFile(upload.stream, mappings);

  const id = await db.transaction(async (tx) => {
    await lockRegistryImports(tx);
    const directory = await readDirectoryForImport(tx);
    const summary: RegistryImportSummary = {
      records: reading.counts.records,
      geolocations: reading.counts.geolocations,
      outOfRegion: reading.counts.outOfRegion,
      notFollowed: reading.counts.notFollowed,
      region: 0,
      new: 0,
      changed: 0,
      unchanged: 0,
      missing: 0,
      refused: reading.refused.length + reading.counts.refusedNotListed,
      refusedNotListed: reading.counts.refusedNotListed,
    };
    const fileRows: Omit<ImportRowInsert, "importId">[] = reading.refused.map((r) => ({
      seq: r.line,
      line: r.line,
      outcome: "refused",
      finess: r.data.finess ?? null,
      data: { ...r.data },
      reason: r.reason,
    }));
    for (const { line, fields } of reading.accepted) {
      const existing = directory.get(fields.finess);
      if (!existing) {
        summary.new++;
        fileRows.push({ seq: line, line, outcome: "new", finess: fields.finess, data: { ...fields } });
        continue;
      }
      const changes = registryChanges(existing.fields, fields);
      const changed = Object.keys(changes).length > 0;
      if (changed) summary.changed++;
      else summary.unchanged++;
      fileRows.push({
        seq: line,
        line,
        outcome: changed ? "changed" : "unchanged",
        finess: fields.finess,
        establishmentId: existing.id,
        data: { ...fields },
        ...(changed ? { changes: changes as Record<string, { before: unknown; after: unknown }> } : {}),
      });
    }
    summary.region =
      summary.new + summary.changed + summary.unchanged + summary.refused + summary.notFollowed;
    fileRows.sort((a, b) => a.seq - b.seq);
    let seq = reading.lastLine;
    for (const entry of directory.values()) {
      if (!entry.fields.active || reading.seen.has(entry.finess)) continue;
      summary.missing++;
      fileRows.push({
        seq: ++seq,
        line: null,
        outcome: "missing",
        finess: entry.finess,
        establishmentId: entry.id,
        data: { name: entry.name, category: entry.fields.category, territory: entry.fields.territory },
      });
    }

    await tx
      .update(registryImports)
      .set({ status: "superseded" })
      .where(eq(registryImports.status, "preview"));
    const [created] = await tx
      .insert(registryImports)
      .values({
        fileName: upload.fileName,
        format: reading.format,
        sha256: reading.sha256,
        summary,
        createdAt: startedAt,
        createdByUserId: actor.userId,
      })
      .returning({ id: registryImports.id });
    await insertImportRows(
      tx,
      fileRows.map((r) => ({ ...r, importId: created!.id })),
    );
    await writeAudit(tx, actor, {
      action: "import.preview",
      objectKind: "registry_import",
      objectId: created!.id,
      objectLabel: upload.fileName,
      after: { format: reading.format, sha256: reading.sha256, ...summary },
    });
    return created!.id;
  });
  return (await getRegistryImport(db, id))!;
}

const FIELD_COLUMNS = {
  name: "name",
  category: "category",
  territory: "territory",
  finessCategory: "finessCategory",
  legalEntityFiness: "legalEntityFiness",
  siret: "siret",
  address: "address",
  phone: "phone",
  registryUpdatedOn: "registryUpdatedOn",
  activeFrom: "activeFrom",
  active: "active",
} as const;

/**
 * Applies the latest preview in one transaction: creates the new establishments, updates the changed
 * ones (the registry's fields only), deactivates the missing ones except those kept; never deletes.
 * Refused with 409 when the preview is not the latest, is already applied, or when the directory's
 * registry fields moved since it was made (someone edited an establishment it covers): the preview
 * would no longer say what the apply does, so the admin previews again.
 */
export async function applyImport(
  db: Db,
  actor: AuditActor,
  id: string,
  keep: readonly string[],
): Promise<RegistryImportRecord> {
  await db.transaction(async (tx) => {
    await lockRegistryImports(tx);
    const imp = await getRegistryImport(tx, id);
    if (!imp) throw new NotFoundError("Import");
    if (imp.status === "applied") {
      throw new ConflictError("import_already_applied", "This import was already applied");
    }
    if (imp.status === "superseded") {
      throw new ConflictError(
        "import_superseded",
        "A newer preview replaced this one: only the latest preview can be applied",
      );
    }
    // Writers of the directory wait for the apply; readers (declarations) do not.
    await tx.execute(sql`LOCK TABLE establishments IN SHARE ROW EXCLUSIVE MODE`);
    const directory = await readDirectoryForImport(tx);
    const byId = new Map<string, DirectoryEntry>([...directory.values()].map((e) => [e.id, e]));
    const rows = await importRowsToApply(tx, id);

    const missingIds = new Set(rows.filter((r) => r.outcome === "missing").map((r) => r.establishmentId!));
    const strangers = keep
      .map((k, i) => [k, i] as const)
      .filter(([k]) => !missingIds.has(k))
      .map(([, i]) => ({ field: `/keep/${i}`, message: "is not proposed for deactivation by this import" }));
    if (strangers.length > 0) throw new ValidationError(strangers);

    const outdated: string[] = [];
    for (const row of rows) {
      const fields = row.data as unknown as RegistryFields;
      if (row.outcome === "new") {
        if (directory.has(row.finess!)) outdated.push(row.finess!);
      } else if (row.outcome === "changed" || row.outcome === "unchanged") {
        const now = byId.get(row.establishmentId!);
        if (!now || canonical(registryChanges(now.fields, fields)) !== canonical(row.changes ?? {})) {
          outdated.push(row.finess!);
        }
      }
    }
    if (outdated.length > 0) {
      throw new ConflictError(
        "import_preview_outdated",
        `The directory changed since this preview (FINESS ${outdated.slice(0, 5).join(", ")}${outdated.length > 5 ? "…" : ""}): preview the file again`,
      );
    }

    const audits: AuditEntry[] = [];
    const toCreate = rows.filter((r) => r.outcome === "new").map((r) => r.data as unknown as RegistryFields);
    for (let i = 0; i < toCreate.length; i += 500) {
      const created = await tx
        .insert(establishments)
        .values(
          toCreate.slice(i, i + 500).map((f) => ({
            finess: f.finess,
            name: f.name,
            category: f.category,
            sector: sectorOf(f.category),
            territory: f.territory,
            legalEntityFiness: f.legalEntityFiness ?? null,
            finessCategory: f.finessCategory ?? null,
            siret: f.siret ?? null,
            address: f.address ?? null,
            phone: f.phone ?? null,
            registryUpdatedOn: f.registryUpdatedOn ?? null,
            activeFrom: f.activeFrom ?? null,
          })),
        )
        .returning();
      for (const row of created) {
        audits.push({
          action: "establishment.create",
          objectKind: "establishment",
          objectId: row.id,
          objectLabel: row.name,
          after: {
            finess: row.finess,
            name: row.name,
            category: row.category,
            territory: row.territory,
            legalEntityFiness: row.legalEntityFiness,
            finessCategory: row.finessCategory,
            siret: row.siret,
            address: row.address,
            phone: row.phone,
            registryUpdatedOn: row.registryUpdatedOn,
            activeFrom: row.activeFrom,
            source: "registry_import",
          },
        });
      }
    }

    let updated = 0;
    for (const row of rows) {
      if (row.outcome !== "changed") continue;
      const changes = row.changes as FieldChanges;
      const set: Record<string, unknown> = { updatedAt: new Date() };
      for (const [field, change] of Object.entries(changes)) {
        set[FIELD_COLUMNS[field as keyof typeof FIELD_COLUMNS]] = change!.after;
      }
      if (changes.category) set.sector = sectorOf(changes.category.after as Category);
      await tx.update(establishments).set(set).where(eq(establishments.id, row.establishmentId!));
      updated++;
      audits.push({
        action: "establishment.update",
        objectKind: "establishment",
        objectId: row.establishmentId!,
        objectLabel: (row.data as { name?: string }).name ?? row.finess!,
        before: Object.fromEntries(Object.entries(changes).map(([k, c]) => [k, c!.before])),
        after: Object.fromEntries(Object.entries(changes).map(([k, c]) => [k, c!.after])),
      });
    }

    const kept = new Set(keep);
    const toDeactivate = [...missingIds].filter((e) => !kept.has(e) && byId.get(e)?.fields.active);
    const deactivated =
      toDeactivate.length === 0
        ? []
        : await tx
            .update(establishments)
            .set({ active: false, updatedAt: new Date() })
            .where(inArray(establishments.id, toDeactivate))
            .returning({ id: establishments.id, name: establishments.name });
    for (const row of deactivated) {
      audits.push({
        action: "establishment.deactivate",
        objectKind: "establishment",
        objectId: row.id,
        objectLabel: row.name,
        before: { active: true },
        after: { active: false },
      });
    }

    const applied = {
      created: toCreate.length,
      updated,
      deactivated: deactivated.length,
      kept: kept.size,
    };
    await tx
      .update(registryImports)
      .set({
        status: "applied",
        appliedAt: new Date(),
        appliedByUserId: actor.userId,
        summary: { ...(imp.summary as RegistryImportSummary), ...applied },
      })
      .where(eq(registryImports.id, id));
    await writeAuditEntries(tx, actor, audits);
    await writeAudit(tx, actor, {
      action: "import.apply",
      objectKind: "registry_import",
      objectId: id,
      objectLabel: imp.fileName,
      after: { sha256: imp.sha256, ...applied },
    });
  });
  return (await getRegistryImport(db, id))!;
}

export { mappingsChangedAt };
