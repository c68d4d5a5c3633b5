import type { EvidenceStorage, StoredObject } from "@pris/db";
import { evidenceFiles, LocalEvidenceStorage } from "@pris/db";
import { and, inArray, isNull } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";

/** Keys looked up in the database at once. */
const LOOKUP = 500;

/**
 * Bytes in the evidence store that no evidence file names: a file's bytes are written before its
 * transaction commits (an upload, a message's attachment), and a transaction that then rolls back leaves
 * them behind. Objects older than RETENTION_ORPHAN_HOURS — far longer than any upload's transaction — and
 * named by no row, or only by a row the retention already purged, are deleted; younger ones may belong to
 * a transaction still running and are left for the next run. A local volume's temporary files of the same
 * age (a process killed while writing) go too. Nothing is recorded in a main courante: no incident ever
 * had these bytes.
 */
export async function sweepOrphanEvidence(
  ctx: Pick<WorkerContext, "db" | "config" | "logger"> & { storage: EvidenceStorage },
  now = new Date(),
): Promise<{ removed: string[]; temporaryFiles: number }> {
  const cutoff = new Date(now.getTime() - ctx.config.RETENTION_ORPHAN_HOURS * 3_600_000);
  const removed: string[] = [];
  let batch: StoredObject[] = [];
  const sweep = async () => {
    const keys = batch.map((o) => o.key);
    batch = [];
    const named = await ctx.db
      .select({ key: evidenceFiles.storageKey })
      .from(evidenceFiles)
      .where(and(inArray(evidenceFiles.storageKey, keys), isNull(evidenceFiles.purgedAt)));
    const live = new Set(named.map((r) => r.key));
    for (const key of keys) {
      if (live.has(key)) continue;
      await ctx.storage.remove(key);
      removed.push(key);
    }
  };
  for await (const object of ctx.storage.list()) {
    if (object.modifiedAt >= cutoff) continue;
    batch.push(object);
    if (batch.length >= LOOKUP) await sweep();
  }
  if (batch.length > 0) await sweep();
  const temporaryFiles =
    ctx.storage instanceof LocalEvidenceStorage ? await ctx.storage.removeStaleTemporaryFiles(cutoff) : 0;
  if (removed.length > 0 || temporaryFiles > 0) {
    ctx.logger.warn(
      { removed: removed.length, keys: removed.slice(0, 20), temporaryFiles, cutoff },
      "evidence bytes named by no file deleted",
    );
  }
  return { removed, temporaryFiles };
}
