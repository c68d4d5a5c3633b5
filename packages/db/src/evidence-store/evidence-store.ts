import { createHash } from "node:crypto";
import { PassThrough } from "node:stream";
import { evidenceQuarantinedMessage } from "@pris/domain";
import { fileTypeFromBuffer } from "file-type";
import { v7 as uuidv7 } from "uuid";
import type { Tx } from "../client.ts";
import { appendLogEntry } from "../incident-log.ts";
import { writeOutbox } from "../outbox.ts";
import { evidenceFiles } from "../schema-evidence.ts";
import { ClamdSession, type ClamdTarget, type ScanVerdict } from "./clamd.ts";
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

/** Waits until the stream can take more: the upload goes at the pace of the slower of store and scanner. */
function writeTo(stream: PassThrough, chunk: Buffer): Promise<void> {
  if (stream.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      stream.off("drain", onDrain);
      stream.off("error", onError);
      stream.off("close", onDrain);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    stream.on("drain", onDrain);
    stream.on("error", onError);
    stream.on("close", onDrain);
  });
}

export interface ReceivedEvidence {
  id: string;
  sizeBytes: number;
  sha256: string;
  detected: { mime: string; ext: string } | null;
  verdict: ScanVerdict;
}

/**
 * Streams a file once, chunk by chunk, to three places at the same time: the SHA-256 and the byte
 * count, the evidence store (under a fresh id), and clamd (INSTREAM). Nothing is held whole: memory is
 * a few chunks and the first 4 kB kept to tell the type. Scanning while storing, rather than in a job
 * afterwards, gives the uploader the verdict in the answer and costs no second read of the file; a
 * clamd out of reach leaves the file "unscannable" (never served) instead of failing the upload.
 * Over the size limit it throws EvidenceTooLargeError and keeps nothing.
 */
export async function receiveEvidence(
  deps: EvidenceStoreDeps,
  file: AsyncIterable<Buffer>,
): Promise<ReceivedEvidence> {
  const id = uuidv7();
  const hash = createHash("sha256");
  const head: Buffer[] = [];
  let headBytes = 0;
  let sizeBytes = 0;
  const toStore = new PassThrough({ highWaterMark: 256 * 1024 });
  // Its failure is the store's rejection, awaited below; the event itself needs no second listener.
  toStore.on("error", () => undefined);
  const stored = deps.storage.put(id, toStore);
  // A failure of the store is seen by the loop below through writeTo; keep it from being unhandled.
  stored.catch(() => undefined);
  const scan = new ClamdSession(deps.clamd, deps.clamdTimeoutMs);
  try {
    for await (const chunk of file) {
      sizeBytes += chunk.length;
      if (sizeBytes > deps.maxBytes) throw new EvidenceTooLargeError(deps.maxBytes);
      hash.update(chunk);
      if (headBytes < SNIFF_BYTES) {
        head.push(chunk);
        headBytes += chunk.length;
      }
      await Promise.all([writeTo(toStore, chunk), scan.write(chunk)]);
    }
    toStore.end();
    const [verdict] = await Promise.all([scan.finish(), stored]);
    const sniffed = await fileTypeFromBuffer(Buffer.concat(head).subarray(0, SNIFF_BYTES));
    return {
      id,
      sizeBytes,
      sha256: hash.digest("hex"),
      detected: sniffed ? { mime: sniffed.mime, ext: sniffed.ext } : null,
      verdict,
    };
  } catch (err) {
    scan.abort();
    toStore.destroy(new Error("upload abandoned"));
    await stored.catch(() => undefined);
    await deps.storage.remove(id).catch(() => undefined);
    throw err;
  }
}

/** Who handed a file over: exactly one of a person, an API key, or a message of the intake mailbox. */
export type EvidenceUploader = { userId: string } | { apiKeyId: string } | { mailIntakeId: string };

/**
 * Writes a received file into its incident, inside the caller's transaction (which holds the
 * incident's row lock): the row, and the main courante's entry carrying its SHA-256, size, detected
 * type, uploader, time and scan verdict into the hash chain. A quarantined file is announced to the
 * pole (outbox), who must look at it.
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
      scanStatus: received.verdict.status,
      scanDetail: received.verdict.detail,
      scannedAt: at,
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
      scan: { status: received.verdict.status, detail: received.verdict.detail },
      ...input.entryBody,
    },
    ...input.actor,
    at,
  });
  if (received.verdict.status !== "clean") {
    await writeOutbox(tx, evidenceQuarantinedMessage(input.incidentId, received.id));
  }
  return { row: row!, entry };
}
