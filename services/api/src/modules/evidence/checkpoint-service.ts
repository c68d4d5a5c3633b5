import {
  checkpointFile,
  checkpointIsAuthentic,
  currentLogChain,
  type Db,
  findLogCheckpoint,
  listLogCheckpoints,
} from "@pris/db";
import type { LogCheckpointFile, LogCheckpointSummary } from "@pris/domain";
import type { Principal } from "../../auth/principal.ts";
import { NotFoundError } from "../../errors.ts";
import { requireEvidenceReader } from "./access-trace-service.ts";

export async function listCheckpoints(
  db: Db,
  principal: Principal | null,
  query: { limit?: number | undefined; beforeSeq?: number | undefined },
) {
  requireEvidenceReader(principal);
  const limit = query.limit ?? 30;
  const keyring = currentLogChain();
  const rows = await listLogCheckpoints(db, { limit: limit + 1, beforeSeq: query.beforeSeq });
  const page = rows.slice(0, limit);
  const items: LogCheckpointSummary[] = page.map((row) => ({
    seq: row.seq,
    issuedAt: row.issuedAt.toISOString(),
    keyId: row.keyId,
    digest: row.digest,
    heads: (JSON.parse(row.document) as { heads: unknown[] }).heads.length,
    authentic: checkpointIsAuthentic(keyring, row),
  }));
  return { items, nextBeforeSeq: rows.length > limit ? page.at(-1)!.seq : null };
}

export async function getLogCheckpoint(
  db: Db,
  principal: Principal | null,
  seq: number,
): Promise<LogCheckpointFile> {
  requireEvidenceReader(principal);
  const row = await findLogCheckpoint(db, seq);
  if (!row) throw new NotFoundError("Checkpoint");
  return checkpointFile(currentLogChain(), row);
}
