/**
 * The registry import's queries: the mappings, the directory as an import compares it, the staged rows of
 * a preview, and the administration trail's entries written many at once.
 */
import {
  buildMappings,
  type DirectoryRegistryFields,
  type ImportOutcome,
  type RegistryMappings,
} from "@pris/domain";
import { and, asc, desc, eq, gt, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import { type AuditActor, type AuditEntry, changedFields } from "./audit.ts";
import type { Tx } from "./client.ts";
import { establishments, territories } from "./schema.ts";
import {
  auditLog,
  registryCategoryMappings,
  registryImportRows,
  registryImports,
  registryTerritoryMappings,
} from "./schema-admin.ts";

/** Every import's preview and apply hold this transaction lock: one at a time, in order. */
export const REGISTRY_IMPORT_LOCK = 727_020_611;

export async function lockRegistryImports(tx: Tx): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${REGISTRY_IMPORT_LOCK})`);
}

export async function readRegistryMappings(tx: Tx): Promise<RegistryMappings> {
  const [categories, places, codes] = await Promise.all([
    tx.select().from(registryCategoryMappings),
    tx.select().from(registryTerritoryMappings),
    tx.select({ code: territories.code }).from(territories),
  ]);
  return buildMappings(
    categories,
    places,
    codes.map((t) => t.code),
  );
}

/** The trail's object kinds of the two mappings: every change of either is traced. */
export const MAPPING_KINDS = {
  category: "category_mapping",
  place: "territory_mapping",
} as const;

/** When a mapping last changed: a preview made before it does not reflect it. */
export async function mappingsChangedAt(tx: Tx): Promise<Date | null> {
  const result = await tx.execute<{ at: Date | string | null }>(sql`
    SELECT max(at) AS at FROM audit_log WHERE object_kind IN (${MAPPING_KINDS.category}, ${MAPPING_KINDS.place})`);
  const at = result.rows[0]?.at;
  return at ? new Date(at) : null;
}

type EstablishmentRow = typeof establishments.$inferSelect;

export function directoryRegistryFields(row: EstablishmentRow): DirectoryRegistryFields {
  return {
    name: row.name,
    category: row.category as DirectoryRegistryFields["category"],
    territory: row.territory,
    legalEntityFiness: row.legalEntityFiness,
    finessCategory: row.finessCategory,
    address: row.address,
    phone: row.phone,
    siret: row.siret,
    registryUpdatedOn: row.registryUpdatedOn,
    activeFrom: row.activeFrom,
    active: row.active,
  };
}

export interface DirectoryEntry {
  id: string;
  finess: string;
  name: string;
  fields: DirectoryRegistryFields;
}

/** The whole directory by FINESS: a region's hundreds to few thousands of establishments. */
export async function readDirectoryForImport(tx: Tx): Promise<Map<string, DirectoryEntry>> {
  const rows = await tx.select().from(establishments);
  return new Map(
    rows.map((r) => [
      r.finess,
      { id: r.id, finess: r.finess, name: r.name, fields: directoryRegistryFields(r) },
    ]),
  );
}

export type ImportRowInsert = typeof registryImportRows.$inferInsert;

export async function insertImportRows(tx: Tx, rows: ImportRowInsert[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) {
    await tx.insert(registryImportRows).values(rows.slice(i, i + 1000));
  }
}

const plain = (value: unknown) =>
  value === null || value === undefined
    ? null
    : (JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof Date ? v.toISOString() : v))) as Record<
        string,
        unknown
      >);

/**
 * Many entries of the administration trail in a few statements (an import touches hundreds of
 * establishments at once), with writeAudit's rules: only changed fields are kept, an update that
 * changes nothing writes nothing. Returns how many were written.
 */
export async function writeAuditEntries(tx: Tx, actor: AuditActor, entries: AuditEntry[]): Promise<number> {
  const values: (typeof auditLog.$inferInsert)[] = [];
  for (const entry of entries) {
    let before = plain(entry.before);
    let after = plain(entry.after);
    if (before && after) {
      const diff = changedFields(before, after);
      if (!diff) continue;
      ({ before, after } = diff);
    }
    values.push({
      actorUserId: actor.userId,
      actorLabel: actor.label,
      action: entry.action,
      objectKind: entry.objectKind,
      objectId: entry.objectId,
      objectLabel: entry.objectLabel,
      before,
      after,
      requestId: actor.requestId ?? null,
      ip: actor.ip ?? null,
    });
  }
  for (let i = 0; i < values.length; i += 1000) {
    await tx.insert(auditLog).values(values.slice(i, i + 1000));
  }
  return values.length;
}

export type RegistryImportRecord = typeof registryImports.$inferSelect & {
  createdBy: string | null;
  appliedBy: string | null;
};

const importColumns = {
  import: registryImports,
  createdBy: sql<
    string | null
  >`(SELECT display_name FROM users WHERE id = ${registryImports.createdByUserId})`,
  appliedBy: sql<
    string | null
  >`(SELECT display_name FROM users WHERE id = ${registryImports.appliedByUserId})`,
};

export async function getRegistryImport(tx: Tx, id: string): Promise<RegistryImportRecord | undefined> {
  const [row] = await tx.select(importColumns).from(registryImports).where(eq(registryImports.id, id));
  return row ? { ...row.import, createdBy: row.createdBy, appliedBy: row.appliedBy } : undefined;
}

/** Newest first, keyset-paged by (created_at, id). */
export async function listRegistryImports(
  tx: Tx,
  limit: number,
  after?: { createdAt: Date; id: string },
): Promise<RegistryImportRecord[]> {
  const rows = await tx
    .select(importColumns)
    .from(registryImports)
    .where(
      after
        ? or(
            lt(registryImports.createdAt, after.createdAt),
            and(eq(registryImports.createdAt, after.createdAt), lt(registryImports.id, after.id)),
          )
        : undefined,
    )
    .orderBy(desc(registryImports.createdAt), desc(registryImports.id))
    .limit(limit);
  return rows.map((r) => ({ ...r.import, createdBy: r.createdBy, appliedBy: r.appliedBy }));
}

/** A preview's rows in file order, by outcome, keyset-paged by seq. */
export async function listImportRows(
  tx: Tx,
  importId: string,
  options: { outcome?: ImportOutcome; limit: number; afterSeq?: number },
) {
  const filter: SQL | undefined = and(
    eq(registryImportRows.importId, importId),
    options.outcome ? eq(registryImportRows.outcome, options.outcome) : undefined,
  );
  const [items, [counted]] = await Promise.all([
    tx
      .select()
      .from(registryImportRows)
      .where(
        and(
          filter,
          options.afterSeq !== undefined ? gt(registryImportRows.seq, options.afterSeq) : undefined,
        ),
      )
      .orderBy(asc(registryImportRows.seq))
      .limit(options.limit),
    tx.select({ total: sql<number>`count(*)::int` }).from(registryImportRows).where(filter),
  ]);
  return { items, total: counted?.total ?? 0 };
}

/** The rows of a preview an apply acts on, in file order. */
export async function importRowsToApply(tx: Tx, importId: string) {
  return tx
    .select()
    .from(registryImportRows)
    .where(
      and(
        eq(registryImportRows.importId, importId),
        inArray(registryImportRows.outcome, ["new", "changed", "unchanged", "missing"]),
      ),
    )
    .orderBy(asc(registryImportRows.seq));
}

/** The categories and communes a preview's refused lines lack a mapping for, with how many lines each. */
export async function unmappedOfImport(tx: Tx, importId: string) {
  const categories = await tx.execute<{ code: string; label: string | null; lines: number }>(sql`
    SELECT data->>'finessCategory' AS code, max(data->>'finessCategoryLabel') AS label, count(*)::int AS lines
      FROM registry_import_rows
     WHERE import_id = ${importId} AND outcome = 'refused' AND data->>'problem' = 'unmapped_category'
       AND data->>'finessCategory' IS NOT NULL
     GROUP BY 1 ORDER BY 3 DESC, 1`);
  const places = await tx.execute<{
    kind: "commune" | "departement";
    code: string;
    postal_line: string | null;
    departement: string | null;
    lines: number;
  }>(sql`
    SELECT CASE WHEN data->>'commune' IS NULL THEN 'departement' ELSE 'commune' END AS kind,
           coalesce(data->>'commune', data->>'departement') AS code, max(data->>'postalLine') AS postal_line,
           max(data->>'departement') AS departement, count(*)::int AS lines
      FROM registry_import_rows
     WHERE import_id = ${importId} AND outcome = 'refused' AND data->>'problem' = 'unmapped_place'
       AND coalesce(data->>'commune', data->>'departement') IS NOT NULL
     GROUP BY 1, 2 ORDER BY 5 DESC, 2`);
  return { categories: categories.rows, places: places.rows };
}
