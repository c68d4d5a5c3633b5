import { and, eq, isNull, sql } from "drizzle-orm";
import type { Tx } from "./client.ts";
import { users } from "./schema.ts";
import { sessions, userIdentities } from "./schema-auth.ts";

/** The account a person's identity at a provider is linked to, with what single sign-on needs of it. */
export async function findIdentityAccount(tx: Tx, provider: string, subject: string) {
  const [row] = await tx
    .select({
      userId: users.id,
      email: users.email,
      displayName: users.displayName,
      role: users.role,
      active: users.active,
      identityEmail: userIdentities.email,
    })
    .from(userIdentities)
    .innerJoin(users, eq(users.id, userIdentities.userId))
    .where(and(eq(userIdentities.provider, provider), eq(userIdentities.subject, subject)));
  return row;
}

/** The account whose e-mail is this one (case-insensitive), active or not. */
export async function findAccountByEmail(tx: Tx, email: string) {
  const [row] = await tx
    .select({
      userId: users.id,
      email: users.email,
      displayName: users.displayName,
      role: users.role,
      active: users.active,
    })
    .from(users)
    .where(sql`lower(${users.email}) = ${email.toLowerCase()}`);
  return row;
}

/** The subject an account is already linked to at a provider, if any (one per provider and account). */
export async function linkedSubject(tx: Tx, provider: string, userId: string): Promise<string | undefined> {
  const [row] = await tx
    .select({ subject: userIdentities.subject })
    .from(userIdentities)
    .where(and(eq(userIdentities.provider, provider), eq(userIdentities.userId, userId)));
  return row?.subject;
}

export async function linkIdentity(
  tx: Tx,
  link: { provider: string; subject: string; userId: string; email: string },
): Promise<void> {
  await tx.insert(userIdentities).values({ ...link, lastUsedAt: new Date() });
}

/** A sign-in through the identity: when, and the e-mail the provider gave this time. */
export async function touchIdentity(tx: Tx, provider: string, subject: string, email: string | null) {
  await tx
    .update(userIdentities)
    .set({ lastUsedAt: new Date(), ...(email ? { email } : {}) })
    .where(and(eq(userIdentities.provider, provider), eq(userIdentities.subject, subject)));
}

/**
 * The provider's logout: ends the open sessions it started, those of its session id (sid) or, when its
 * logout token names only the person (sub), all of theirs from this provider. Returns how many ended.
 */
export async function endProviderSessions(
  tx: Tx,
  provider: string,
  by: { sid: string } | { userId: string },
): Promise<number> {
  const ended = await tx
    .update(sessions)
    .set({ endedAt: new Date(), endReason: "sso_logout" })
    .where(
      and(
        eq(sessions.provider, provider),
        isNull(sessions.endedAt),
        "sid" in by ? eq(sessions.providerSid, by.sid) : eq(sessions.userId, by.userId),
      ),
    )
    .returning({ id: sessions.id });
  return ended.length;
}
