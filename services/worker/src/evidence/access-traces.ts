import { accessTraces } from "@pris/db";
import { lt, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";

/** Traces of access are kept ACCESS_TRACE_RETENTION_DAYS, then deleted: daily, in the region's night. */
export async function pruneAccessTraces(
  ctx: Pick<WorkerContext, "db" | "config" | "logger">,
  now = new Date(),
): Promise<{ deleted: number }> {
  const cutoff = new Date(now.getTime() - ctx.config.ACCESS_TRACE_RETENTION_DAYS * 86_400_000);
  const deleted = await ctx.db
    .delete(accessTraces)
    .where(lt(accessTraces.at, cutoff))
    .returning({ one: sql`1` });
  if (deleted.length > 0) ctx.logger.info({ deleted: deleted.length, cutoff }, "access traces pruned");
  return { deleted: deleted.length };
}
