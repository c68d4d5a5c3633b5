import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { LogEntryKind } from "@pris/domain";
import canonicalize from "canonicalize";
import { asc, eq, inArray } from "drizzle-orm";
import type { Tx } from "./client.ts";
import { currentLogChain, type LogChainKey, type LogChainKeyring } from "./log-chain-keys.ts";
import { attestationsOf } from "./log-checkpoints.ts";
import { incidentLog, incidentLogHeads } from "./schema.ts";

export type LogVisibility = "internal" | "shared";

export interface LogEntryInput {
  incidentId: string;
  kind: LogEntryKind;
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
export function keyedChainHash(
  key: Pick<LogChainKey, "id" | "secret">,
  prevHash: string | null,
  content: string,
) {
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
  return {
    ...row,
    prevHash,
    hash: keyedChainHash(currentLogChain().current, prevHash, logEntryContent(row)),
  };
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
  const [inserted] = await appendLogEntries(tx, [input]);
  return inserted!;
}

/**
 * The same for several entries, of one incident or many, in two statements: one read of their heads and
 * one insert, each entry chained after the previous one of its incident in the order given. The caller
 * holds every incident's row lock.
 */
export async function appendLogEntries(tx: Tx, inputs: LogEntryInput[]) {
  if (inputs.length === 0) return [];
  const ids = [...new Set(inputs.map((i) => i.incidentId))];
  const heads = new Map(
    (
      await tx
        .select({
          incidentId: incidentLogHeads.incidentId,
          seq: incidentLogHeads.seq,
          hash: incidentLogHeads.hash,
        })
        .from(incidentLogHeads)
        .where(inArray(incidentLogHeads.incidentId, ids))
    ).map(({ incidentId, ...head }) => [incidentId, head]),
  );
  const rows = inputs.map((input) => {
    const row = chainedLogEntry(input, heads.get(input.incidentId));
    heads.set(input.incidentId, { seq: row.seq!, hash: row.hash });
    return row;
  });
  return tx.insert(incidentLog).values(rows).returning();
}

type LogRow = typeof incidentLog.$inferSelect;
type BreakReason =
  | "content_altered"
  | "chain_broken"
  | "sequence_gap"
  | "unknown_key"
  | "unkeyed"
  | "head_mismatch"
  | "beyond_head";

export interface ChainVerdict {
  valid: boolean;
  entries: number;
  firstBroken: { seq: number; id: string; reason: BreakReason } | null;
  missing: { fromSeq: number; toSeq: number; attestedBy: "anchor" | "checkpoint" } | null;
  legacyEntries: number;
}

/**
 * Checks a chain, oldest first, against its keys, its anchor and what signed checkpoints attest:
 * - each entry follows the previous one (sequence, prev_hash) and its HMAC holds under a key we hold;
 *   an unkeyed entry holds only within the legacy prefix the first checkpoint attested;
 * - the table reaches the anchored head and the latest attested one, with the same hash there: fewer
 *   entries is a truncation (reported as the missing range), another hash a rewrite.
 */
export function verifyLogChain(
  rows: LogRow[],
  keyring: LogChainKeyring,
  anchor: { seq: number; hash: string } | null,
  attested: { headSeq: number; headHash: string; legacyThrough: number; authentic: boolean } | null,
): ChainVerdict {
  const legacyThrough = attested?.authentic ? attested.legacyThrough : 0;
  let firstBroken: ChainVerdict["firstBroken"] = null;
  let legacyEntries = 0;
  let previous: string | null = null;
  for (const [i, row] of rows.entries()) {
    let reason: BreakReason | undefined;
    if (row.seq !== i + 1) reason = "sequence_gap";
    else if (row.prevHash !== previous) reason = "chain_broken";
    else {
      const outcome = checkEntryHash(keyring, row.hash, previous, logEntryContent(row));
      if (outcome === "unkeyed" && row.seq <= legacyThrough) legacyEntries++;
      else if (outcome !== "ok") reason = outcome;
    }
    if (reason) {
      firstBroken = { seq: row.seq, id: row.id, reason };
      break;
    }
    previous = row.hash;
  }
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  const tableEnd = rows.at(-1)?.seq ?? 0;
  let missing: ChainVerdict["missing"] = null;
  const heads: { seq: number; hash: string; by: "anchor" | "checkpoint" }[] = [];
  if (anchor) heads.push({ seq: anchor.seq, hash: anchor.hash, by: "anchor" });
  if (attested?.authentic) heads.push({ seq: attested.headSeq, hash: attested.headHash, by: "checkpoint" });
  for (const head of heads.sort((a, b) => b.seq - a.seq)) {
    if (head.seq > tableEnd) {
      missing ??= { fromSeq: tableEnd + 1, toSeq: head.seq, attestedBy: head.by };
      continue;
    }
    const there = bySeq.get(head.seq);
    if (there && there.hash !== head.hash && (!firstBroken || firstBroken.seq > head.seq)) {
      firstBroken = { seq: head.seq, id: there.id, reason: "head_mismatch" };
    }
  }
  // Entries past the anchor were not written through the chain's single path.
  const past = anchor ? bySeq.get(anchor.seq + 1) : rows[0];
  if (past && (!firstBroken || firstBroken.seq > past.seq)) {
    firstBroken = { seq: past.seq, id: past.id, reason: "beyond_head" };
  }
  return {
    valid: firstBroken === null && missing === null && (attested === null || attested.authentic),
    entries: rows.length,
    firstBroken,
    missing,
    legacyEntries,
  };
}

export interface IncidentLogCheck extends ChainVerdict {
  anchor: { seq: number; hash: string } | null;
  /** The latest signed checkpoint that names the incident, if any. */
  checkpoint: { seq: number; issuedAt: Date; headSeq: number; authentic: boolean } | null;
}

/**
 * Reads one incident's main courante, its anchor and what signed checkpoints attest of it, and checks
 * them with verifyLogChain. Callers check scope first: this reads whatever incident it is given.
 */
export async function checkIncidentLog(
  db: Tx,
  keyring: LogChainKeyring,
  incidentId: string,
): Promise<IncidentLogCheck> {
  const [rows, [anchor], attestations] = await Promise.all([
    db.select().from(incidentLog).where(eq(incidentLog.incidentId, incidentId)).orderBy(asc(incidentLog.seq)),
    db
      .select({ seq: incidentLogHeads.seq, hash: incidentLogHeads.hash })
      .from(incidentLogHeads)
      .where(eq(incidentLogHeads.incidentId, incidentId)),
    attestationsOf(db, keyring, incidentId),
  ]);
  const { latest, first } = attestations;
  const attested = latest && {
    headSeq: latest.headSeq,
    headHash: latest.headHash,
    legacyThrough: first?.checkpoint.authentic ? first.legacyThrough : 0,
    authentic: latest.checkpoint.authentic && (first?.checkpoint.authentic ?? false),
  };
  const verdict = verifyLogChain(rows, keyring, anchor ?? null, attested);
  return {
    ...verdict,
    anchor: anchor ?? null,
    checkpoint: latest && {
      seq: latest.checkpoint.seq,
      issuedAt: latest.checkpoint.issuedAt,
      headSeq: latest.headSeq,
      authentic: attested!.authentic,
    },
  };
}
