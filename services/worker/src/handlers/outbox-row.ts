import { outbox } from "@pris/db";
import { isOutboxTopic, OUTBOX_PAYLOAD_SCHEMAS, type OutboxMessage } from "@pris/domain";
import { UnrecoverableError } from "bullmq";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { InvalidPayloadError, payloadProblems } from "../queues.ts";

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

/**
 * The row behind an outbox job, checked against its topic's schema; undefined when the row is gone. A row
 * already processed (`processedAt` set) makes its job a replay — a re-dispatch, a duplicate, or a declaration
 * another job's batch took — with nothing left to do.
 * The row comes from the database, which the types cannot vouch for:
 * - a topic this worker does not know (a newer worker's, in a rolling deploy) fails the job but leaves
 *   the row pending, for the re-dispatch to hand it to a worker that knows it;
 * - a payload that is not its topic's is a writer's bug no retry can fix: the row is marked processed
 *   with the problems as its last error, and the error is logged.
 */
export async function loadOutboxMessage(
  ctx: WorkerContext,
  outboxId: string,
): Promise<(OutboxMessage & { processedAt: Date | null }) | undefined> {
  const [row] = await ctx.db
    .select({
      topic: outbox.topic,
      aggregateId: outbox.aggregateId,
      payload: outbox.payload,
      processedAt: outbox.processedAt,
    })
    .from(outbox)
    .where(eq(outbox.id, outboxId));
  if (!row) return undefined;
  const topic: string = row.topic;
  if (row.processedAt) return { ...row, topic } as OutboxMessage & { processedAt: Date };
  if (!isOutboxTopic(topic)) throw new UnrecoverableError(`no handler for outbox topic ${topic}`);
  const problems = payloadProblems(OUTBOX_PAYLOAD_SCHEMAS[topic], row.payload);
  if (problems.length > 0) {
    const error = new InvalidPayloadError(`${topic} outbox row`, problems);
    await markProcessed(ctx, outboxId, error.message.slice(0, 2000));
    ctx.logger.error(
      { outboxId, topic, problems },
      "outbox row's payload does not match its topic; not handled",
    );
    throw error;
  }
  return { ...row, topic } as OutboxMessage & { processedAt: null };
}
