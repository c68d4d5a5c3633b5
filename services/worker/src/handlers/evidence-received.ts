import { scanPendingEvidence } from "@pris/db";
import type { EvidenceReceivedPayload, OutboxJob } from "@pris/domain";
import type { WorkerContext } from "../context.ts";
import { markProcessed } from "./outbox-row.ts";

export interface EvidenceReceivedResult {
  status: "scanned" | "nothing-to-do";
  verdict: "clean" | "infected" | "unscannable" | null;
}

/**
 * A file was handed over and stored: clamd scans it (read back from the store, its SHA-256 checked on
 * the way) and the verdict is recorded — the row, an `evidence_scanned` entry of the main courante, and,
 * when it is not clean, the `evidence.quarantined` notice to the pole. Until then the file is never
 * served. A replayed row finds the file scanned and does nothing.
 */
export async function handleEvidenceReceived(
  ctx: WorkerContext,
  job: OutboxJob,
  { fileId }: EvidenceReceivedPayload,
): Promise<EvidenceReceivedResult> {
  const verdict = await scanPendingEvidence(ctx.db, ctx.evidence, fileId);
  if (verdict && verdict.status !== "clean") {
    ctx.logger.warn({ fileId, incidentId: job.aggregateId, verdict }, "evidence file quarantined");
  }
  await markProcessed(ctx, job.outboxId, null);
  return verdict
    ? { status: "scanned", verdict: verdict.status }
    : { status: "nothing-to-do", verdict: null };
}
