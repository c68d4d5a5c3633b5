import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import canonicalize from "canonicalize";
import { eq } from "drizzle-orm";
import type { Tx } from "./client.ts";
import { currentLogChain, type LogChainKey, type LogChainKeyring } from "./log-chain-keys.ts";
import { incidentLog, incidentLogHeads } from "./schema.ts";

export type LogVisibility = "internal" | "shared";

export interface LogEntryInput {
  incidentId: string;
  kind: string;
  visibility: LogVisibility;
  body: Record<string, unknown>;
  actorUserId?: string | null;
  actorApiKeyId?: string | null;
  at?: Date;
}

/** What the hash covers: everything that makes the entry, in RFC 8785 canonical JSON. */
export function logEntryContent(entry: {
  incidentId: string;
  seq: number;
  at: Date;
  kind: string;
  visibility: string;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  body: Record<string, unknown>;
}): string {
  return (
    canonicalize({
      incidentId: entry.incidentId,
      seq: entry.seq,
      at: entry.at.toISOString(),
      kind: entry.kind,
      visibility: entry.visibility,
      actorUserId: entry.actorUserId,
      actorApiKeyId: entry.actorApiKeyId,
      body: entry.body,
    }) ?? ""
  );
}

/** The unkeyed SHA-256 link of the entries written before the chain was keyed (0016): legacy only. */
export function legacyChainHash(prevHash: string | null, content: string): string {
  return createHash("sha256")
    .update(prevHash ?? "")
    .update("\n")
    .update(content)
    .digest("hex");
}

const KEYED_PREFIX = "hmac-sha256:";

/** The link of an entry: HMAC-SHA256 of the previous hash and the content, under a key not in the database. */
export function keyedChainHash(key: Pick<LogChainKey, "id" | "secret">, prevHash: string | null, content: string) {
  const mac = createHmac("sha256", key.secret)
    .update(prevHash ?? "")
    .update("\n")
    .update(content)
    .digest("hex");
  return `${KEYED_PREFIX}${key.id}:${mac}`;
}

/** Whether a stored hash is right for its content, and if not why: a key we do not hold, or no key at all. */
export function checkEntryHash(
  keyring: LogChainKeyring,
  stored: string,
  prevHash: string | null,
  content: string,
): "ok" | "content_altered" | "unknown_key" | "unkeyed" {
  if (!stored.startsWith(KEYED_PREFIX)) {
    return legacyChainHash(prevHash, content) === stored ? "unkeyed" : "content_altered";
  }
  const key = keyring.byId.get(stored.slice(KEYED_PREFIX.length).split(":")[0] ?? "");
  if (!key) return "unknown_key";
  const expected = Buffer.from(keyedChainHash(key, prevHash, content));
  const actual = Buffer.from(stored);
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? "ok" : "content_altered";
}

/** The entry that follows `previous` (none for the first), with its place in the chain. */
export function chainedLogEntry(
  input: LogEntryInput,
  previous: { seq: number; hash: string } | undefined,
): typeof incidentLog.$inferInsert {
  const row = {
    incidentId: input.incidentId,
    seq: (previous?.seq ?? 0) + 1,
    at: input.at ?? new Date(),
    kind: input.kind,
    visibility: input.visibility,
    actorUserId: input.actorUserId ?? null,
    actorApiKeyId: input.actorApiKeyId ?? null,
    body: input.body,
  };
  const prevHash = previous?.hash ?? null;
  return { ...row, prevHash, hash: keyedChainHash(currentLogChain().current, prevHash, logEntryContent(row)) };
}

/** The first entry of a new incident's main courante (no earlier entry to read). */
export function firstLogEntry(input: LogEntryInput): typeof incidentLog.$inferInsert {
  return chainedLogEntry(input, undefined);
}

/**
 * Appends an entry after the incident's head. Callers hold the incident row lock (SELECT … FOR UPDATE)
 * so that two appends cannot take the same sequence number. The head is read from its anchor, not from
 * the table: entries removed behind the database's back leave a gap the next entry does not hide. The
 * anchor moves with the insert (trigger of 0016), in the same transaction.
 */
export async function appendLogEntry(tx: Tx, input: LogEntryInput) {
  const [head] = await tx
    .select({ seq: incidentLogHeads.seq, hash: incidentLogHeads.hash })
    .from(incidentLogHeads)
    .where(eq(incidentLogHeads.incidentId, input.incidentId));
  const [inserted] = await tx.insert(incidentLog).values(chainedLogEntry(input, head)).returning();
  return inserted!;
}
