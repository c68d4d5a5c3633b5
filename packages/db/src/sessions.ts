import { and, desc, eq, gt, isNull, ne, sql } from "drizzle-orm";
import type { Db, Tx } from "./client.ts";
import { type AuthMethod, sessions } from "./schema-auth.ts";

export type SessionEndReason =
  | "logout"
  | "password_change"
  | "password_reset"
  | "deactivated"
  | "role_change"
  | "admin"
  | "sso_logout"
  | "expired";

export type SessionRow = typeof sessions.$inferSelect;

/** What a request needs of its session, read at every request (by primary key, prepared once). */
export const SESSION_CHECK_COLUMNS = {
  id: sessions.id,
  userId: sessions.userId,
  createdAt: sessions.createdAt,
  lastSeenAt: sessions.lastSeenAt,
  expiresAt: sessions.expiresAt,
  endedAt: sessions.endedAt,
  amr: sessions.amr,
  secondFactorPending: sessions.secondFactorPending,
  secondFactorAt: sessions.secondFactorAt,
};
export type SessionCheck = {
  [K in keyof typeof SESSION_CHECK_COLUMNS]: SessionRow[K];
};

/** The session check of every authenticated request, as one prepared primary-key read. */
export function prepareSessionCheck(db: Db) {
  const query = db
    .select(SESSION_CHECK_COLUMNS)
    .from(sessions)
    .where(eq(sessions.id, sql.placeholder("id")))
    .prepare("session_check");
  return async (id: string): Promise<SessionCheck | undefined> => (await query.execute({ id }))[0];
}

export async function createSession(
  tx: Tx,
  values: {
    userId: string;
    expiresAt: Date;
    ip: string | null;
    userAgent: string | null;
    amr: AuthMethod[];
    secondFactorPending: boolean;
    provider?: string | null;
    providerSid?: string | null;
  },
): Promise<SessionCheck> {
  const [row] = await tx.insert(sessions).values(values).returning(SESSION_CHECK_COLUMNS);
  return row!;
}

/** The second factor was given: the session is no longer pending, the method joins its amr. */
export async function recordSecondFactor(tx: Tx, id: string, amr: AuthMethod[]): Promise<void> {
  await tx
    .update(sessions)
    .set({ secondFactorPending: false, amr, secondFactorAt: new Date() })
    .where(eq(sessions.id, id));
}

export async function touchSession(tx: Tx, id: string, at: Date): Promise<void> {
  await tx.update(sessions).set({ lastSeenAt: at }).where(eq(sessions.id, id));
}

/** A person's sessions still open (not ended, not past their absolute limit), most recently used first. */
export async function listOpenSessions(tx: Tx, userId: string, idleSeconds: number): Promise<SessionRow[]> {
  const now = new Date();
  return tx
    .select()
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.endedAt),
        gt(sessions.expiresAt, now),
        gt(sessions.lastSeenAt, new Date(now.getTime() - idleSeconds * 1000)),
      ),
    )
    .orderBy(desc(sessions.lastSeenAt));
}

/** Ends one session of a person; false when it is not theirs or already ended. */
export async function endSession(
  tx: Tx,
  id: string,
  userId: string,
  reason: SessionEndReason,
): Promise<boolean> {
  const ended = await tx
    .update(sessions)
    .set({ endedAt: new Date(), endReason: reason })
    .where(and(eq(sessions.id, id), eq(sessions.userId, userId), isNull(sessions.endedAt)))
    .returning({ id: sessions.id });
  return ended.length > 0;
}

/**
 * Ends every open session of a person (but `except`, the one making a change it keeps), in the caller's
 * transaction: a password change, a reset, a deactivation or a role change ends them all. Returns how many.
 */
export async function endUserSessions(
  tx: Tx,
  userId: string,
  reason: SessionEndReason,
  except?: string,
): Promise<number> {
  const ended = await tx
    .update(sessions)
    .set({ endedAt: new Date(), endReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.endedAt),
        except ? ne(sessions.id, except) : undefined,
      ),
    )
    .returning({ id: sessions.id });
  return ended.length;
}
