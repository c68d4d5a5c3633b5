import { and, desc, eq, isNull } from "drizzle-orm";
import type { Tx } from "./client.ts";
import { apiKeys } from "./schema.ts";

/**
 * An establishment's API keys, for the routes that manage them: they hold the caller's scope and the
 * trail, this file the query text.
 */

export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** An establishment's keys, newest first (revoked ones included). */
export async function listApiKeys(tx: Tx, establishmentId: string): Promise<ApiKeyRow[]> {
  return tx
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.establishmentId, establishmentId))
    .orderBy(desc(apiKeys.createdAt));
}

export async function insertApiKey(
  tx: Tx,
  values: Pick<ApiKeyRow, "establishmentId" | "name" | "prefix" | "secretHash" | "createdByUserId">,
): Promise<ApiKeyRow> {
  const [row] = await tx.insert(apiKeys).values(values).returning();
  return row!;
}

/** Revokes a key of this establishment now; undefined when there is no such key or it was already revoked. */
export async function revokeApiKey(
  tx: Tx,
  establishmentId: string,
  keyId: string,
): Promise<ApiKeyRow | undefined> {
  const [row] = await tx
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(
      and(eq(apiKeys.id, keyId), eq(apiKeys.establishmentId, establishmentId), isNull(apiKeys.revokedAt)),
    )
    .returning();
  return row;
}
