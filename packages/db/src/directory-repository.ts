import { and, asc, count, eq, gt, ilike, inArray, isNull, or, type SQL, sql } from "drizzle-orm";
import type { Tx } from "./client.ts";
import { establishments, ghts, territories } from "./schema.ts";

/**
 * The directory's queries — territories, GHTs and establishments — for the API's routes: they hold the
 * rules and the caller's scope, this file the query text.
 */

export type TerritoryRow = typeof territories.$inferSelect;
export type GhtRow = typeof ghts.$inferSelect;
export type EstablishmentRow = typeof establishments.$inferSelect;
export type EstablishmentInsert = typeof establishments.$inferInsert;

/** Who sees what: every establishment, or only these. */
export type EstablishmentScope = { all: true } | { all: false; ids: readonly string[] };

export function establishmentScopeSql(scope: EstablishmentScope): SQL | undefined {
  if (scope.all) return undefined;
  return scope.ids.length > 0 ? inArray(establishments.id, [...scope.ids]) : sql`false`;
}

// Territories

/** Territories by name with their active establishments; the retired ones only when asked. */
export async function listTerritories(tx: Tx, options: { includeRetired?: boolean } = {}) {
  return tx
    .select({
      code: territories.code,
      name: territories.name,
      retiredAt: territories.retiredAt,
      activeEstablishments: sql<number>`(SELECT count(*)::int FROM establishments e
        WHERE e.territory = ${territories.code} AND e.active)`,
    })
    .from(territories)
    .where(options.includeRetired ? undefined : isNull(territories.retiredAt))
    .orderBy(asc(territories.name), asc(territories.code));
}

/**
 * A territory; `lock` holds it until the transaction ends: "no key update" to change or retire it, "share"
 * to place an active establishment in it, so that a territory is never retired while one is being placed
 * there. Neither waits on the key-share locks that establishments' foreign keys take.
 */
export async function findTerritory(tx: Tx, code: string, lock?: "no key update" | "share") {
  const q = tx.select().from(territories).where(eq(territories.code, code));
  const [row] = lock ? await q.for(lock) : await q;
  return row;
}

/** Inserts a territory; undefined when the code is taken. */
export async function insertTerritory(tx: Tx, values: { code: string; name: string }) {
  const [row] = await tx.insert(territories).values(values).onConflictDoNothing().returning();
  return row;
}

export async function updateTerritory(
  tx: Tx,
  code: string,
  values: Partial<Pick<TerritoryRow, "name" | "retiredAt">>,
) {
  const [row] = await tx.update(territories).set(values).where(eq(territories.code, code)).returning();
  return row!;
}

/** Active establishments in a territory: how many, and the first few names to say which. */
export async function activeEstablishmentsIn(tx: Tx, territory: string, sample = 3) {
  const where = and(eq(establishments.territory, territory), eq(establishments.active, true));
  const [{ total }] = (await tx.select({ total: count() }).from(establishments).where(where)) as [
    { total: number },
  ];
  const names = await tx
    .select({ name: establishments.name })
    .from(establishments)
    .where(where)
    .orderBy(asc(establishments.name))
    .limit(sample);
  return { total, names: names.map((n) => n.name) };
}

// GHTs

export const ghtColumns = {
  id: ghts.id,
  code: ghts.code,
  name: ghts.name,
  supportEstablishmentId: ghts.supportEstablishmentId,
};

export async function listGhts(tx: Tx) {
  return tx.select(ghtColumns).from(ghts).orderBy(asc(ghts.name));
}

/** A GHT; `lock` holds it (but not against the key-share locks of establishments joining it). */
export async function findGht(tx: Tx, id: string, lock = false) {
  const q = tx.select(ghtColumns).from(ghts).where(eq(ghts.id, id));
  const [row] = lock ? await q.for("no key update") : await q;
  return row;
}

export async function ghtMembers(tx: Tx, ghtId: string) {
  return tx
    .select({
      id: establishments.id,
      finess: establishments.finess,
      name: establishments.name,
      category: establishments.category,
      territory: establishments.territory,
      active: establishments.active,
    })
    .from(establishments)
    .where(eq(establishments.ghtId, ghtId))
    .orderBy(asc(establishments.name), asc(establishments.id));
}

/** Inserts a GHT; undefined when the code is taken. */
export async function insertGht(tx: Tx, values: { code: string; name: string }) {
  const [row] = await tx
    .insert(ghts)
    .values({ ...values, supportEstablishmentId: null })
    .onConflictDoNothing({ target: ghts.code })
    .returning(ghtColumns);
  return row;
}

export async function updateGht(
  tx: Tx,
  id: string,
  values: Partial<{ name: string; supportEstablishmentId: string | null }>,
) {
  const [row] = await tx.update(ghts).set(values).where(eq(ghts.id, id)).returning(ghtColumns);
  return row!;
}

/** The GHT whose support an establishment is, if any. */
export async function ghtSupportedBy(tx: Tx, establishmentId: string) {
  const [row] = await tx
    .select(ghtColumns)
    .from(ghts)
    .where(eq(ghts.supportEstablishmentId, establishmentId));
  return row;
}

export async function setEstablishmentGht(tx: Tx, establishmentId: string, ghtId: string | null) {
  const [row] = await tx
    .update(establishments)
    .set({ ghtId, updatedAt: new Date() })
    .where(eq(establishments.id, establishmentId))
    .returning();
  return row!;
}

// Establishments

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export interface EstablishmentFilters {
  territory?: string;
  category?: string;
  ghtId?: string;
  nis2Status?: string;
  active?: boolean;
  q?: string;
}

/**
 * One page of establishments by name (keyset on name and id, `after` being the last row's), and how many
 * match in all.
 */
export async function searchEstablishments(
  tx: Tx,
  scope: EstablishmentScope,
  f: EstablishmentFilters,
  page: { limit: number; after?: readonly string[] },
) {
  const filters = and(
    establishmentScopeSql(scope),
    f.territory ? eq(establishments.territory, f.territory) : undefined,
    f.category ? eq(establishments.category, f.category) : undefined,
    f.ghtId ? eq(establishments.ghtId, f.ghtId) : undefined,
    f.nis2Status ? eq(establishments.nis2Status, f.nis2Status) : undefined,
    f.active === undefined ? undefined : eq(establishments.active, f.active),
    f.q
      ? or(
          ilike(establishments.name, `%${escapeLike(f.q)}%`),
          ilike(establishments.finess, `${escapeLike(f.q)}%`),
        )
      : undefined,
  );
  const after = page.after;
  const rows = await tx
    .select()
    .from(establishments)
    .where(
      and(
        filters,
        after
          ? or(
              gt(establishments.name, after[0]!),
              and(eq(establishments.name, after[0]!), gt(establishments.id, after[1]!)),
            )
          : undefined,
      ),
    )
    .orderBy(asc(establishments.name), asc(establishments.id))
    .limit(page.limit + 1);
  const [{ total }] = (await tx.select({ total: count() }).from(establishments).where(filters)) as [
    { total: number },
  ];
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return { items, total, next: rows.length > page.limit && last ? [last.name, last.id] : null };
}

export async function findEstablishment(
  tx: Tx,
  id: string,
  scope: EstablishmentScope = { all: true },
  lock = false,
) {
  const q = tx
    .select()
    .from(establishments)
    .where(and(eq(establishments.id, id), establishmentScopeSql(scope)));
  const [row] = lock ? await q.for("no key update") : await q;
  return row;
}

/** Inserts an establishment; undefined when its FINESS is taken. */
export async function insertEstablishment(tx: Tx, values: EstablishmentInsert) {
  const [row] = await tx
    .insert(establishments)
    .values(values)
    .onConflictDoNothing({ target: establishments.finess })
    .returning();
  return row;
}

export async function updateEstablishment(tx: Tx, id: string, values: Partial<EstablishmentInsert>) {
  const [row] = await tx
    .update(establishments)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(establishments.id, id))
    .returning();
  return row!;
}
