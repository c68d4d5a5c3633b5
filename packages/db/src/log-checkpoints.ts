import { createHash, sign, verify } from "node:crypto";
import canonicalize from "canonicalize";
import { asc, desc, eq, lt, sql } from "drizzle-orm";
import type { Db, Tx } from "./client.ts";
import type { LogChainKeyring } from "./log-chain-keys.ts";
import { incidentLogHeads, incidents } from "./schema.ts";
import { logCheckpointHeads, logCheckpoints } from "./schema-evidence.ts";

export const CHECKPOINT_FORMAT = "pris-log-checkpoint/1";

/** What a checkpoint says, signed as RFC 8785 canonical JSON. */
export interface CheckpointDocument {
  format: typeof CHECKPOINT_FORMAT;
  region: string;
  seq: number;
  issuedAt: string;
  /** SHA-256 of the previous checkpoint's document: a checkpoint removed or replaced breaks the sequence. */
  previousDigest: string | null;
  keyId: string;
  /** Heads that moved since the previous checkpoint (every head for the first one). */
  heads: {
    incidentId: string;
    reference: string;
    headSeq: number;
    headHash: string;
    legacyThrough: number;
  }[];
}

export type CheckpointRow = typeof logCheckpoints.$inferSelect;

const digestOf = (document: string) => createHash("sha256").update(document).digest("hex");

/** Arbitrary but fixed: two workers firing the daily job at once issue one checkpoint, not two. */
const CHECKPOINT_LOCK = 727_020_261;

/**
 * Issues the next checkpoint: every main courante whose head moved since the last one (all of them the
 * first time, with how many of their entries predate the key). One is issued even when nothing moved:
 * the ARS receiving one every day is what tells it that none was withheld.
 */
export async function issueLogCheckpoint(
  db: Db,
  keyring: LogChainKeyring,
  options: { region: string; now?: Date },
): Promise<CheckpointRow> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${CHECKPOINT_LOCK})`);
    const [previous] = await tx.select().from(logCheckpoints).orderBy(desc(logCheckpoints.seq)).limit(1);
    const moved = await tx
      .select({
        incidentId: incidentLogHeads.incidentId,
        reference: incidents.reference,
        headSeq: incidentLogHeads.seq,
        headHash: incidentLogHeads.hash,
        legacyThrough: previous
          ? sql<number>`0`
          : // The unkeyed prefix: entries up to the first keyed one (all of them if none is keyed).
            sql<number>`coalesce((SELECT min(l.seq) - 1 FROM incident_log l
              WHERE l.incident_id = ${incidentLogHeads.incidentId} AND l.hash LIKE 'hmac-sha256:%'),
              ${incidentLogHeads.seq})::int`,
      })
      .from(incidentLogHeads)
      .innerJoin(incidents, eq(incidents.id, incidentLogHeads.incidentId))
      .where(
        sql`${incidentLogHeads.seq} > coalesce((SELECT max(c.head_seq) FROM log_checkpoint_heads c
              WHERE c.incident_id = ${incidentLogHeads.incidentId}), 0)`,
      )
      .orderBy(asc(incidentLogHeads.incidentId));
    const key = keyring.current;
    const body: CheckpointDocument = {
      format: CHECKPOINT_FORMAT,
      region: options.region,
      seq: (previous?.seq ?? 0) + 1,
      issuedAt: (options.now ?? new Date()).toISOString(),
      previousDigest: previous?.digest ?? null,
      keyId: key.id,
      heads: moved,
    };
    const document = canonicalize(body)!;
    const [row] = await tx
      .insert(logCheckpoints)
      .values({
        seq: body.seq,
        issuedAt: new Date(body.issuedAt),
        keyId: key.id,
        document,
        digest: digestOf(document),
        signature: sign(null, Buffer.from(document), key.signingKey).toString("base64"),
      })
      .returning();
    if (moved.length > 0) {
      await tx
        .insert(logCheckpointHeads)
        .values(moved.map(({ reference: _, ...head }) => ({ checkpointId: row!.id, ...head })));
    }
    return row!;
  });
}

/** Whether a stored checkpoint is one we signed, unchanged: its signature under the key it names, and its digest. */
export function checkpointIsAuthentic(keyring: LogChainKeyring, row: CheckpointRow): boolean {
  const key = keyring.byId.get(row.keyId);
  if (!key || digestOf(row.document) !== row.digest) return false;
  try {
    return verify(null, Buffer.from(row.document), key.publicKey, Buffer.from(row.signature, "base64"));
  } catch {
    return false;
  }
}

export interface Attestation {
  checkpoint: { seq: number; issuedAt: Date; authentic: boolean };
  headSeq: number;
  headHash: string;
  legacyThrough: number;
}

/**
 * What signed checkpoints say of one incident's chain: the latest head they attest, and how many legacy
 * (unkeyed) entries the first one that named it found. A checkpoint row whose document does not carry
 * the same head, or whose signature fails, is reported as not authentic.
 */
export async function attestationsOf(
  db: Tx,
  keyring: LogChainKeyring,
  incidentId: string,
): Promise<{ latest: Attestation | null; first: Attestation | null }> {
  const pick = async (order: "first" | "latest"): Promise<Attestation | null> => {
    const [found] = await db
      .select({ head: logCheckpointHeads, checkpoint: logCheckpoints })
      .from(logCheckpointHeads)
      .innerJoin(logCheckpoints, eq(logCheckpoints.id, logCheckpointHeads.checkpointId))
      .where(eq(logCheckpointHeads.incidentId, incidentId))
      .orderBy(order === "latest" ? desc(logCheckpointHeads.headSeq) : asc(logCheckpoints.seq))
      .limit(1);
    if (!found) return null;
    const { head, checkpoint } = found;
    let authentic = checkpointIsAuthentic(keyring, checkpoint);
    if (authentic) {
      const document = JSON.parse(checkpoint.document) as CheckpointDocument;
      const signed = document.heads.find((h) => h.incidentId === incidentId);
      authentic =
        signed !== undefined &&
        signed.headSeq === head.headSeq &&
        signed.headHash === head.headHash &&
        signed.legacyThrough === head.legacyThrough;
    }
    return {
      checkpoint: { seq: checkpoint.seq, issuedAt: checkpoint.issuedAt, authentic },
      headSeq: head.headSeq,
      headHash: head.headHash,
      legacyThrough: head.legacyThrough,
    };
  };
  return { latest: await pick("latest"), first: await pick("first") };
}

export async function listLogCheckpoints(db: Tx, options: { limit: number; beforeSeq?: number | undefined }) {
  return db
    .select()
    .from(logCheckpoints)
    .where(options.beforeSeq !== undefined ? lt(logCheckpoints.seq, options.beforeSeq) : undefined)
    .orderBy(desc(logCheckpoints.seq))
    .limit(options.limit);
}

export async function findLogCheckpoint(db: Tx, seq: number) {
  const [row] = await db.select().from(logCheckpoints).where(eq(logCheckpoints.seq, seq));
  return row;
}

/** The signed file the ARS keeps: the exact bytes signed, the signature, and the key that checks it. */
export function checkpointFile(keyring: LogChainKeyring, row: CheckpointRow) {
  const key = keyring.byId.get(row.keyId);
  return {
    document: row.document,
    digest: row.digest,
    signature: row.signature,
    signatureAlgorithm: "Ed25519" as const,
    keyId: row.keyId,
    publicKey: key ? key.publicKey.export({ type: "spki", format: "pem" }).toString() : null,
    authentic: checkpointIsAuthentic(keyring, row),
  };
}
