import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { evidenceQuarantinedMessage, evidenceReceivedMessage, incidentMessage } from "@pris/domain";
import { and, eq } from "drizzle-orm";
import { fileTypeFromBuffer } from "file-type";
import { v7 as uuidv7 } from "uuid";
import type { Db, Tx } from "../client.ts";
import { appendLogEntry } from "../incident-log.ts";
import { writeOutbox } from "../outbox.ts";
import { incidents } from "../schema.ts";
import { evidenceFiles } from "../schema-evidence.ts";
import { ClamdSession, type ClamdTarget, type ScanStatus, type ScanVerdict } from "./clamd.ts";
import type { EvidenceStorage } from "./storage.ts";

/**
 * The evidence store as the API (uploads) and the worker (a message's attachments) both use it: the
 * bytes' store, clamd, and the size limit.
 */
export interface EvidenceStoreDeps {
  storage: EvidenceStorage;
  clamd: ClamdTarget;
  clamdTimeoutMs: number;
  maxBytes: number;
}

/** A file over EVIDENCE_MAX_BYTES: nothing of it is kept. */
export class EvidenceTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`evidence file over ${maxBytes} bytes`);
  }
}

/** file-type reads at most this much of the start of a file to tell its type. */
const SNIFF_BYTES = 4100;

export interface ReceivedEvidence {
  id: string;
  sizeBytes: number;
  sha256: string;
  detected: { mime: string; ext: string } | null;
}

/**
 * Streams a file once to the evidence store under a fresh id, counting and hashing (SHA-256) its bytes
 * as they pass and keeping the first 4 kB to tell the type; nothing is held whole. The scan comes after,
 * in the worker (outbox topic `evidence.received`, written by recordEvidence): the upload goes at the
 * store's pace, not clamd's, and the file is never served before its verdict. Over the size limit it
 * throws EvidenceTooLargeError and keeps nothing; a store that fails fails the upload and keeps nothing.
 */
export async function receiveEvidence(
  deps: Pick<EvidenceStoreDeps, "storage" | "maxBytes">,
  file: AsyncIterable<Buffer>,
): Promise<ReceivedEvidence> {
  const id = uuidv7();
  const hash = createHash("sha256");
  const head: Buffer[] = [];
  let headBytes = 0;
  let sizeBytes = 0;
  const meter = new Transform({
    highWaterMark: 256 * 1024,
    transform(chunk: Buffer, _encoding, done) {
      sizeBytes += chunk.length;
      if (sizeBytes > deps.maxBytes) return done(new EvidenceTooLargeError(deps.maxBytes));
      hash.update(chunk);
      if (headBytes < SNIFF_BYTES) {
        head.push(chunk);
        headBytes += chunk.length;
      }
      done(null, chunk);
    },
  });
  // The store reads the meter; the meter reads the file. Either failing ends both (the file's side
  // destroys the meter, which fails the store's read; the store's failure destroys it too), so neither
  // can wait forever on the other.
  const storing = deps.storage.put(id, meter).catch((err) => {
    // A store that fails before reading everything would leave the file waiting on a full meter.
    meter.destroy(err);
    throw err;
  });
  const [stored, read] = await Promise.allSettled([storing, pipeline(file, meter)]);
  const failures = [stored, read].flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
  if (failures.length > 0) {
    await deps.storage.remove(id).catch(() => undefined);
    throw failures.find((f) => f instanceof EvidenceTooLargeError) ?? failures[0];
  }
  const sniffed = await fileTypeFromBuffer(Buffer.concat(head).subarray(0, SNIFF_BYTES));
  return {
    id,
    sizeBytes,
    sha256: hash.digest("hex"),
    detected: sniffed ? { mime: sniffed.mime, ext: sniffed.ext } : null,
  };
}

/**
 * Reads a stored file back and streams it to clamd (INSTREAM), hashing it on the way: bytes that no
 * longer match the SHA-256 the main courante holds, or gone from the store, are "unscannable", said so.
 * Never throws for clamd: out of reach or silent, the verdict is "unscannable" with the reason.
 */
export async function scanStoredEvidence(
  deps: Pick<EvidenceStoreDeps, "storage" | "clamd" | "clamdTimeoutMs">,
  file: { storageKey: string; sha256: string },
): Promise<ScanVerdict> {
  const body = await deps.storage.get(file.storageKey);
  if (!body) return { status: "unscannable", detail: "Le fichier est absent du stockage des pièces." };
  const hash = createHash("sha256");
  const scan = new ClamdSession(deps.clamd, deps.clamdTimeoutMs);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      await scan.write(chunk);
    }
  } catch (err) {
    scan.abort();
    throw err;
  }
  const verdict = await scan.finish();
  if (hash.digest("hex") !== file.sha256) {
    return {
      status: "unscannable",
      detail: "Les octets conservés ne correspondent plus à l'empreinte SHA-256 inscrite à la remise.",
    };
  }
  return verdict;
}

/** Who handed a file over: exactly one of a person, an API key, or a message of the intake mailbox. */
export type EvidenceUploader = { userId: string } | { apiKeyId: string } | { mailIntakeId: string };

/**
 * Writes a received file into its incident, inside the caller's transaction (which holds the
 * incident's row lock): the row, "pending" until scanned, and the main courante's entry carrying its
 * SHA-256, size, detected type, uploader and time into the hash chain; the outbox row that has the
 * worker scan it (recordScanVerdict then writes the verdict).
 */
export async function recordEvidence(
  tx: Tx,
  input: {
    incidentId: string;
    received: ReceivedEvidence;
    /** Already cleaned by displayFileName. */
    name: string;
    declaredMime: string | null;
    uploader: EvidenceUploader;
    /** The entry's author: the person or key, or the RSSI account a message came from. */
    actor: { actorUserId?: string | null; actorApiKeyId?: string | null };
    /** More for the entry's body (the message a file came with). */
    entryBody?: Record<string, unknown>;
    at: Date;
  },
) {
  const { received, uploader, at } = input;
  const [row] = await tx
    .insert(evidenceFiles)
    .values({
      id: received.id,
      incidentId: input.incidentId,
      uploadedByUserId: "userId" in uploader ? uploader.userId : null,
      uploadedByApiKeyId: "apiKeyId" in uploader ? uploader.apiKeyId : null,
      uploadedByMailIntakeId: "mailIntakeId" in uploader ? uploader.mailIntakeId : null,
      originalName: input.name,
      sizeBytes: received.sizeBytes,
      sha256: received.sha256,
      detectedMime: received.detected?.mime ?? null,
      detectedExt: received.detected?.ext ?? null,
      declaredMime: input.declaredMime,
      storageKey: received.id,
      scanStatus: "pending",
      scanDetail: null,
      scannedAt: null,
      createdAt: at,
    })
    .returning();
  const entry = await appendLogEntry(tx, {
    incidentId: input.incidentId,
    kind: "evidence_added",
    visibility: "shared",
    body: {
      file: {
        id: received.id,
        name: input.name,
        sizeBytes: received.sizeBytes,
        sha256: received.sha256,
        detectedType: received.detected?.mime ?? null,
      },
      scan: { status: "pending", detail: null },
      ...input.entryBody,
    },
    ...input.actor,
    at,
  });
  await writeOutbox(tx, evidenceReceivedMessage(input.incidentId, received.id));
  return { row: row!, entry };
}

/**
 * Writes a scan's verdict, inside the caller's transaction (which holds the incident's row lock): the
 * row, only if it still has the status the scan started from (else null: another scan got there
 * first), an entry of the main courante (`evidence_scanned` for the first verdict, `evidence_rescanned`
 * when the pole scans an unscannable file again), and the incident's change for the live views. A first
 * verdict that is not clean is announced to the pole (outbox `evidence.quarantined`).
 */
export async function recordScanVerdict(
  tx: Tx,
  input: {
    file: { id: string; incidentId: string; scanStatus: string };
    verdict: ScanVerdict;
    actor: { actorUserId?: string | null; actorApiKeyId?: string | null };
    at: Date;
  },
) {
  const { file, verdict, at } = input;
  const [row] = await tx
    .update(evidenceFiles)
    .set({ scanStatus: verdict.status, scanDetail: verdict.detail, scannedAt: at })
    .where(and(eq(evidenceFiles.id, file.id), eq(evidenceFiles.scanStatus, file.scanStatus as ScanStatus)))
    .returning();
  if (!row) return null;
  const first = file.scanStatus === "pending";
  await appendLogEntry(tx, {
    incidentId: file.incidentId,
    kind: first ? "evidence_scanned" : "evidence_rescanned",
    visibility: "shared",
    body: {
      file: { id: row.id, name: row.originalName, sha256: row.sha256 },
      scan: { status: verdict.status, detail: verdict.detail },
      previous: file.scanStatus,
    },
    ...input.actor,
    at,
  });
  await tx.update(incidents).set({ updatedAt: at }).where(eq(incidents.id, file.incidentId));
  await writeOutbox(tx, incidentMessage("incident.changed", file.incidentId));
  if (first && verdict.status !== "clean") {
    await writeOutbox(tx, evidenceQuarantinedMessage(file.incidentId, row.id));
  }
  return row;
}

/**
 * The worker's scan of a file handed over: if it is still pending (and not purged), reads it back, has
 * clamd scan it, and records the verdict under the incident's row lock. Returns the verdict, or null
 * when there was nothing to do (already scanned, purged, or gone): a replayed outbox row does nothing.
 */
export async function scanPendingEvidence(
  db: Db,
  deps: Pick<EvidenceStoreDeps, "storage" | "clamd" | "clamdTimeoutMs">,
  fileId: string,
  now = () => new Date(),
): Promise<ScanVerdict | null> {
  const [file] = await db.select().from(evidenceFiles).where(eq(evidenceFiles.id, fileId));
  if (file?.scanStatus !== "pending" || file.purgedAt) return null;
  const verdict = await scanStoredEvidence(deps, file);
  const recorded = await db.transaction(async (tx) => {
    await tx
      .select({ id: incidents.id })
      .from(incidents)
      .where(eq(incidents.id, file.incidentId))
      .for("update");
    return recordScanVerdict(tx, { file, verdict, actor: {}, at: now() });
  });
  return recorded ? verdict : null;
}
