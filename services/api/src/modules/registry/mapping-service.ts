import {
  type AuditActor,
  type Db,
  MAPPING_KINDS,
  registryCategoryMappings,
  registryTerritoryMappings,
  territories,
  writeAudit,
} from "@pris/db";
import { type Category, isCommune, isDepartement } from "@pris/domain";
import { and, asc, eq } from "drizzle-orm";
import { NotFoundError, ValidationError } from "../../errors.ts";

type CategoryRow = typeof registryCategoryMappings.$inferSelect;
type PlaceRow = typeof registryTerritoryMappings.$inferSelect;
type PlaceKind = PlaceRow["kind"];

export const categoryView = (row: CategoryRow) => ({
  finessCategory: row.finessCategory,
  label: row.label,
  category: row.category as Category | null,
  updatedAt: row.updatedAt.toISOString(),
});

export const placeView = (row: PlaceRow) => ({
  kind: row.kind,
  code: row.code,
  territory: row.territory,
  updatedAt: row.updatedAt.toISOString(),
});

export async function listCategoryMappings(db: Db) {
  const rows = await db
    .select()
    .from(registryCategoryMappings)
    .orderBy(asc(registryCategoryMappings.finessCategory));
  return rows.map(categoryView);
}

export async function listPlaceMappings(db: Db) {
  const rows = await db
    .select()
    .from(registryTerritoryMappings)
    .orderBy(asc(registryTerritoryMappings.kind), asc(registryTerritoryMappings.code));
  return rows.map(placeView);
}

/** Sets how a FINESS category maps (null: not followed), remembered for every later import. */
export async function putCategoryMapping(
  db: Db,
  actor: AuditActor,
  code: string,
  body: { label: string; category: Category | null },
) {
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(registryCategoryMappings)
      .where(eq(registryCategoryMappings.finessCategory, code))
      .for("update");
    const values = {
      label: body.label,
      category: body.category,
      updatedAt: new Date(),
      updatedByUserId: actor.userId,
    };
    const [row] = before
      ? await tx
          .update(registryCategoryMappings)
          .set(values)
          .where(eq(registryCategoryMappings.finessCategory, code))
          .returning()
      : await tx
          .insert(registryCategoryMappings)
          .values({ finessCategory: code, ...values })
          .returning();
    await writeAudit(tx, actor, {
      action: "registry.mapping.update",
      objectKind: MAPPING_KINDS.category,
      objectId: code,
      objectLabel: body.label,
      before: before ? { label: before.label, category: before.category } : null,
      after: { label: row!.label, category: row!.category },
    });
    return categoryView(row!);
  });
}

export async function deleteCategoryMapping(db: Db, actor: AuditActor, code: string) {
  await db.transaction(async (tx) => {
    const [gone] = await tx
      .delete(registryCategoryMappings)
      .where(eq(registryCategoryMappings.finessCategory, code))
      .returning();
    if (!gone) throw new NotFoundError("Category mapping");
    await writeAudit(tx, actor, {
      action: "registry.mapping.delete",
      objectKind: MAPPING_KINDS.category,
      objectId: code,
      objectLabel: gone.label,
      before: { label: gone.label, category: gone.category },
    });
  });
}

function checkPlaceCode(kind: PlaceKind, code: string) {
  const ok = kind === "commune" ? isCommune(code) : isDepartement(code);
  if (!ok) {
    throw new ValidationError([
      {
        field: "/code",
        in: "params",
        message:
          kind === "commune"
            ? "is not an INSEE commune code (5 characters: 97416, 13055, 2A004)"
            : "is not a département code (01–95, 2A, 2B, 971–976)",
      },
    ]);
  }
}

/**
 * Maps a département or a commune to one of the region's territories; the département becomes the
 * region's. A retired territory takes nothing new.
 */
export async function putPlaceMapping(
  db: Db,
  actor: AuditActor,
  kind: PlaceKind,
  code: string,
  territory: string,
) {
  checkPlaceCode(kind, code);
  return db.transaction(async (tx) => {
    const [t] = await tx.select().from(territories).where(eq(territories.code, territory));
    if (!t || t.retiredAt) {
      throw new ValidationError([
        { field: "/territory", message: t ? "is a retired territory" : "is not a territory of the region" },
      ]);
    }
    const key = and(eq(registryTerritoryMappings.kind, kind), eq(registryTerritoryMappings.code, code));
    const [before] = await tx.select().from(registryTerritoryMappings).where(key).for("update");
    const values = { territory, updatedAt: new Date(), updatedByUserId: actor.userId };
    const [row] = before
      ? await tx.update(registryTerritoryMappings).set(values).where(key).returning()
      : await tx
          .insert(registryTerritoryMappings)
          .values({ kind, code, ...values })
          .returning();
    await writeAudit(tx, actor, {
      action: "registry.mapping.update",
      objectKind: MAPPING_KINDS.place,
      objectId: `${kind}:${code}`,
      objectLabel: `${kind === "commune" ? "Commune" : "Département"} ${code}`,
      before: before ? { territory: before.territory } : null,
      after: { territory },
    });
    return placeView(row!);
  });
}

export async function deletePlaceMapping(db: Db, actor: AuditActor, kind: PlaceKind, code: string) {
  await db.transaction(async (tx) => {
    const [gone] = await tx
      .delete(registryTerritoryMappings)
      .where(and(eq(registryTerritoryMappings.kind, kind), eq(registryTerritoryMappings.code, code)))
      .returning();
    if (!gone) throw new NotFoundError("Territory mapping");
    await writeAudit(tx, actor, {
      action: "registry.mapping.delete",
      objectKind: MAPPING_KINDS.place,
      objectId: `${kind}:${code}`,
      objectLabel: `${kind === "commune" ? "Commune" : "Département"} ${code}`,
      before: { territory: gone.territory },
    });
  });
}
