import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { desc, eq } from "drizzle-orm";
import type { Tx } from "./client.ts";
import { incidentLog } from "./schema.ts";

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

export function chainHash(prevHash: string | null, content: string): string {
  return createHash("sha256")
    .update(prevHash ?? "")
    .update("\n")
    .update(content)
    .digest("hex");
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
  return { ...row, prevHash, hash: chainHash(prevHash, logEntryContent(row)) };
}

/** The first entry of a new incident's main courante (no earlier entry to read). */
export function firstLogEntry(input: LogEntryInput): typeof incidentLog.$inferInsert {
  return chainedLogEntry(input, undefined);
}

/**
 * Appends an entry after the incident's last one. Callers hold the incident row lock
 * (SELECT … FOR UPDATE) so that two appends cannot take the same sequence number.
 */
export async function appendLogEntry(tx: Tx, input: LogEntryInput) {
  const [last] = await tx
    .select({ seq: incidentLog.seq, hash: incidentLog.hash })
    .from(incidentLog)
    .where(eq(incidentLog.incidentId, input.incidentId))
    .orderBy(desc(incidentLog.seq))
    .limit(1);
  const [inserted] = await tx.insert(incidentLog).values(chainedLogEntry(input, last)).returning();
  return inserted!;
}
