import { and, asc, count, eq, isNotNull, isNull, lt, max, or, sql } from "drizzle-orm";
import type { Tx } from "./client.ts";
import { recoveryCodes, secondFactorPolicies, totpSecrets, webauthnCredentials } from "./schema-auth.ts";

/** The second-factor repository: passkeys, TOTP secrets, recovery codes and the policy per role. */

export type PasskeyRow = typeof webauthnCredentials.$inferSelect;
export type SecondFactorPolicyRow = typeof secondFactorPolicies.$inferSelect;

export async function listPolicies(tx: Tx): Promise<SecondFactorPolicyRow[]> {
  return tx.select().from(secondFactorPolicies).orderBy(asc(secondFactorPolicies.role));
}

export async function policyOf(tx: Tx, role: string): Promise<SecondFactorPolicyRow | undefined> {
  const [row] = await tx.select().from(secondFactorPolicies).where(eq(secondFactorPolicies.role, role));
  return row;
}

/** Writes a role's policy (creating it for a role the seed did not know); returns the row before. */
export async function setPolicy(
  tx: Tx,
  role: string,
  value: { required: boolean; requiredFrom: Date | null },
  byUserId: string | null,
): Promise<{ before: SecondFactorPolicyRow | undefined; after: SecondFactorPolicyRow }> {
  const before = await policyOf(tx, role);
  const [after] = await tx
    .insert(secondFactorPolicies)
    .values({ role, ...value, updatedAt: new Date(), updatedByUserId: byUserId })
    .onConflictDoUpdate({
      target: secondFactorPolicies.role,
      set: { ...value, updatedAt: new Date(), updatedByUserId: byUserId },
    })
    .returning();
  return { before, after: after! };
}

export async function listPasskeys(tx: Tx, userId: string): Promise<PasskeyRow[]> {
  return tx
    .select()
    .from(webauthnCredentials)
    .where(eq(webauthnCredentials.userId, userId))
    .orderBy(asc(webauthnCredentials.createdAt));
}

export async function findPasskey(tx: Tx, id: string): Promise<PasskeyRow | undefined> {
  const [row] = await tx.select().from(webauthnCredentials).where(eq(webauthnCredentials.id, id));
  return row;
}

export async function insertPasskey(tx: Tx, row: typeof webauthnCredentials.$inferInsert): Promise<void> {
  await tx.insert(webauthnCredentials).values(row);
}

/** Records a passkey's use: the authenticator's new signature counter. */
export async function touchPasskey(tx: Tx, id: string, counter: number): Promise<void> {
  await tx
    .update(webauthnCredentials)
    .set({ counter, lastUsedAt: new Date() })
    .where(eq(webauthnCredentials.id, id));
}

export async function deletePasskey(tx: Tx, userId: string, id: string): Promise<boolean> {
  const gone = await tx
    .delete(webauthnCredentials)
    .where(and(eq(webauthnCredentials.userId, userId), eq(webauthnCredentials.id, id)))
    .returning({ id: webauthnCredentials.id });
  return gone.length > 0;
}

export async function totpOf(tx: Tx, userId: string) {
  const [row] = await tx.select().from(totpSecrets).where(eq(totpSecrets.userId, userId));
  return row;
}

/** A new, unconfirmed secret; replaces an earlier unconfirmed one, never a confirmed one. */
export async function putUnconfirmedTotp(tx: Tx, userId: string, secretEncrypted: string): Promise<boolean> {
  const rows = await tx
    .insert(totpSecrets)
    .values({ userId, secretEncrypted })
    .onConflictDoUpdate({
      target: totpSecrets.userId,
      set: { secretEncrypted, lastUsedStep: null, createdAt: new Date() },
      setWhere: isNull(totpSecrets.confirmedAt),
    })
    .returning({ userId: totpSecrets.userId });
  return rows.length > 0;
}

/**
 * Spends a TOTP time step: succeeds only if no code of this step or a later one was accepted before, so
 * that a code is never accepted twice (even by two requests at once). Confirms the secret on first use.
 */
export async function spendTotpStep(tx: Tx, userId: string, step: number): Promise<boolean> {
  const rows = await tx
    .update(totpSecrets)
    .set({ lastUsedStep: step, confirmedAt: sql`coalesce(${totpSecrets.confirmedAt}, now())` })
    .where(
      and(
        eq(totpSecrets.userId, userId),
        or(isNull(totpSecrets.lastUsedStep), lt(totpSecrets.lastUsedStep, step)),
      ),
    )
    .returning({ userId: totpSecrets.userId });
  return rows.length > 0;
}

/** The same secret sealed under the current key, after a key rotation. */
export async function resealTotp(tx: Tx, userId: string, secretEncrypted: string): Promise<void> {
  await tx.update(totpSecrets).set({ secretEncrypted }).where(eq(totpSecrets.userId, userId));
}

export async function deleteTotp(tx: Tx, userId: string): Promise<boolean> {
  const gone = await tx
    .delete(totpSecrets)
    .where(eq(totpSecrets.userId, userId))
    .returning({ userId: totpSecrets.userId });
  return gone.length > 0;
}

/** Replaces a person's recovery codes with new digests: the old ones stop working at once. */
export async function replaceRecoveryCodes(tx: Tx, userId: string, codeHashes: string[]): Promise<void> {
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await tx.insert(recoveryCodes).values(codeHashes.map((codeHash) => ({ userId, codeHash })));
}

/** Recovery codes back up a passkey or an application: they go with the last of them. */
export async function dropRecoveryCodesWithoutFactor(tx: Tx, userId: string): Promise<void> {
  const methods = await enrolledMethods(tx, userId);
  if (methods.includes("webauthn") || methods.includes("totp")) return;
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
}

/** Spends one recovery code by its digest; false when unknown or already used. */
export async function spendRecoveryCode(tx: Tx, userId: string, codeHash: string): Promise<boolean> {
  const rows = await tx
    .update(recoveryCodes)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(recoveryCodes.userId, userId),
        eq(recoveryCodes.codeHash, codeHash),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .returning({ id: recoveryCodes.id });
  return rows.length > 0;
}

export async function recoveryCodeSummary(tx: Tx, userId: string) {
  const [row] = await tx
    .select({
      remaining: sql<number>`count(*) FILTER (WHERE ${recoveryCodes.usedAt} IS NULL)::int`,
      total: count(),
      generatedAt: max(recoveryCodes.createdAt),
    })
    .from(recoveryCodes)
    .where(eq(recoveryCodes.userId, userId));
  return { remaining: row?.remaining ?? 0, generatedAt: row?.generatedAt ?? null };
}

/** The factors a person can prove now: passkeys, a confirmed TOTP secret, unused recovery codes. */
export async function enrolledMethods(tx: Tx, userId: string): Promise<("webauthn" | "totp" | "recovery")[]> {
  const [row] = await tx
    .execute<{ webauthn: boolean; totp: boolean; recovery: boolean }>(sql`
    SELECT
      EXISTS (SELECT 1 FROM ${webauthnCredentials} WHERE ${webauthnCredentials.userId} = ${userId}) AS webauthn,
      EXISTS (SELECT 1 FROM ${totpSecrets} WHERE ${totpSecrets.userId} = ${userId} AND ${isNotNull(totpSecrets.confirmedAt)}) AS totp,
      EXISTS (SELECT 1 FROM ${recoveryCodes} WHERE ${recoveryCodes.userId} = ${userId} AND ${isNull(recoveryCodes.usedAt)}) AS recovery
  `)
    .then((r) => r.rows);
  const methods: ("webauthn" | "totp" | "recovery")[] = [];
  if (row?.webauthn) methods.push("webauthn");
  if (row?.totp) methods.push("totp");
  if (row?.recovery) methods.push("recovery");
  return methods;
}

/** Removes every factor of a person (the administrator's reset when a factor is lost). */
export async function deleteAllFactors(tx: Tx, userId: string) {
  const passkeys = await tx
    .delete(webauthnCredentials)
    .where(eq(webauthnCredentials.userId, userId))
    .returning({ id: webauthnCredentials.id });
  const totp = await deleteTotp(tx, userId);
  const codes = await tx
    .delete(recoveryCodes)
    .where(eq(recoveryCodes.userId, userId))
    .returning({ id: recoveryCodes.id });
  return { passkeys: passkeys.length, totp, recoveryCodes: codes.length };
}
