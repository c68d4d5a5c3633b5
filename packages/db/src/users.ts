import { and, asc, count, eq, gt, ilike, inArray, ne, or, type SQL, sql } from "drizzle-orm";
import type { Tx } from "./client.ts";
import { establishments, ghts, incidentIsOpen, incidents, users } from "./schema.ts";

/** The users repository: the directory's people, with the names of what they are attached to. */

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;

/** A user with the names the pages and the audit trail show beside the ids. */
export interface UserRecord {
  user: UserRow;
  establishmentName: string | null;
  ghtName: string | null;
}

export interface UserFilters {
  role?: string;
  /** RSSIs acting for this establishment: its own, and the GHT-wide ones of its GHT. */
  establishmentId?: string;
  /** RSSIs of this GHT: GHT-wide ones, and those of its member establishments. */
  ghtId?: string;
  active?: boolean;
  /** Text in the display name or the e-mail. */
  q?: string;
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, "\\$&")}%`;

function whereOf(f: UserFilters): SQL | undefined {
  return and(
    f.role ? eq(users.role, f.role) : undefined,
    f.active !== undefined ? eq(users.active, f.active) : undefined,
    f.establishmentId
      ? or(
          eq(users.establishmentId, f.establishmentId),
          sql`${users.ghtId} = (SELECT e2.ght_id FROM establishments e2 WHERE e2.id = ${f.establishmentId})`,
        )
      : undefined,
    f.ghtId
      ? or(
          eq(users.ghtId, f.ghtId),
          sql`${users.establishmentId} IN (SELECT e2.id FROM establishments e2 WHERE e2.ght_id = ${f.ghtId})`,
        )
      : undefined,
    f.q ? or(ilike(users.email, likePattern(f.q)), ilike(users.displayName, likePattern(f.q))) : undefined,
  );
}

function selectRecords(tx: Tx) {
  return tx
    .select({ user: users, establishmentName: establishments.name, ghtName: ghts.name })
    .from(users)
    .leftJoin(establishments, eq(establishments.id, users.establishmentId))
    .leftJoin(ghts, eq(ghts.id, users.ghtId));
}

/** One page in e-mail order (keyset on e-mail, id), and how many match in all. */
export async function listUsers(
  tx: Tx,
  filters: UserFilters,
  page: { limit: number; after?: [email: string, id: string] },
): Promise<{ rows: UserRecord[]; total: number; more: boolean }> {
  const where = whereOf(filters);
  const [email, id] = page.after ?? [];
  const rows = await selectRecords(tx)
    .where(
      and(
        where,
        email !== undefined && id !== undefined
          ? or(gt(users.email, email), and(eq(users.email, email), gt(users.id, id)))
          : undefined,
      ),
    )
    .orderBy(asc(users.email), asc(users.id))
    .limit(page.limit + 1);
  const [counted] = await tx.select({ total: count() }).from(users).where(where);
  return { rows: rows.slice(0, page.limit), total: counted?.total ?? 0, more: rows.length > page.limit };
}

export async function findUserRecord(tx: Tx, id: string): Promise<UserRecord | undefined> {
  const [row] = await selectRecords(tx).where(eq(users.id, id));
  return row;
}

export async function findUserIdByEmail(tx: Tx, email: string): Promise<string | undefined> {
  const [row] = await tx
    .select({ id: users.id })
    .from(users)
    .where(sql`lower(${users.email}) = ${email.toLowerCase()}`);
  return row?.id;
}

/** Inserts a user; undefined when the e-mail is taken (the unique key on lower(email)). */
export async function insertUser(tx: Tx, values: NewUserRow): Promise<UserRow | undefined> {
  const [row] = await tx.insert(users).values(values).onConflictDoNothing().returning();
  return row;
}

export async function updateUser(tx: Tx, id: string, values: Partial<NewUserRow>): Promise<void> {
  await tx
    .update(users)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(users.id, id));
}

/**
 * Serialises the changes to roles, scopes and activity: the rules "one active administrator at least" and
 * "an establishment with open incidents keeps an active RSSI" read other users' rows, which two
 * concurrent changes would each see before the other's commit.
 */
export async function lockUserDirectory(tx: Tx): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('pris:users'))`);
}

export async function countActiveAdminsOtherThan(tx: Tx, userId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.role, "admin"), eq(users.active, true), ne(users.id, userId)));
  return row?.n ?? 0;
}

export async function establishmentExists(tx: Tx, id: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: establishments.id })
    .from(establishments)
    .where(eq(establishments.id, id));
  return row !== undefined;
}

export async function ghtExists(tx: Tx, id: string): Promise<boolean> {
  const [row] = await tx.select({ id: ghts.id }).from(ghts).where(eq(ghts.id, id));
  return row !== undefined;
}

/** The establishments an RSSI acts for through this attachment: their own, or their GHT's members. */
export async function establishmentsCovered(
  tx: Tx,
  scope: { establishmentId: string | null; ghtId: string | null },
): Promise<string[]> {
  if (!scope.establishmentId && !scope.ghtId) return [];
  const rows = await tx
    .select({ id: establishments.id })
    .from(establishments)
    .where(
      or(
        scope.establishmentId ? eq(establishments.id, scope.establishmentId) : undefined,
        scope.ghtId ? eq(establishments.ghtId, scope.ghtId) : undefined,
      ),
    );
  return rows.map((r) => r.id);
}

/**
 * Among these establishments, those with an open incident and no active RSSI other than this user (of the
 * establishment itself or of its GHT): the ones this user's leaving would leave alone with their incidents.
 */
export async function establishmentsOnlyCoveredBy(
  tx: Tx,
  userId: string,
  establishmentIds: string[],
): Promise<{ id: string; name: string; finess: string }[]> {
  if (establishmentIds.length === 0) return [];
  return tx
    .select({ id: establishments.id, name: establishments.name, finess: establishments.finess })
    .from(establishments)
    .where(
      and(
        inArray(establishments.id, establishmentIds),
        sql`EXISTS (SELECT 1 FROM ${incidents} WHERE ${incidents.establishmentId} = ${establishments.id}
              AND ${incidentIsOpen(incidents.status)})`,
        sql`NOT EXISTS (SELECT 1 FROM users u WHERE u.id <> ${userId} AND u.active AND u.role = 'rssi'
              AND (u.establishment_id = ${establishments.id}
                   OR (${establishments.ghtId} IS NOT NULL AND u.ght_id = ${establishments.ghtId})))`,
      ),
    )
    .orderBy(asc(establishments.name));
}

/** The pole's active analysts and task-force members, to assign incidents to. */
export async function listPoleMembers(tx: Tx) {
  const rows = await tx
    .select({ id: users.id, displayName: users.displayName, role: users.role })
    .from(users)
    .where(and(eq(users.active, true), inArray(users.role, ["analyst", "taskforce"])))
    .orderBy(asc(users.role), asc(users.displayName));
  return rows as { id: string; displayName: string; role: "analyst" | "taskforce" }[];
}
