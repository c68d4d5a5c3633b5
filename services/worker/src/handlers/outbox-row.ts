import { outbox } from "@pris/db";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";

/** A row already processed: its job is a replay (re-dispatch, duplicate) and has nothing left to do. */
export async function isProcessed(ctx: WorkerContext, outboxId: string): Promise<boolean> {
  const [row] = await ctx.db
    .select({ processedAt: outbox.processedAt })
    .from(outbox)
    .where(eq(outbox.id, outboxId));
  return Boolean(row?.processedAt);
}

export async function markProcessed(
  ctx: WorkerContext,
  outboxId: string,
  note: string | null,
): Promise<void> {
  await ctx.db
    .update(outbox)
    .set({ processedAt: sql`now()`, lastError: note })
    .where(and(eq(outbox.id, outboxId), isNull(outbox.processedAt)));
}
