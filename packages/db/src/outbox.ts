import type { OutboxMessage } from "@pris/domain";
import { currentTraceCarrier } from "@pris/telemetry";
import type { Tx } from "./client.ts";
import { outbox } from "./schema.ts";

/** Notified (empty payload) by a trigger when a statement inserting outbox rows commits (migration 0022). */
export const OUTBOX_NOTIFY_CHANNEL = "pris_outbox";

/**
 * The columns of one outbox row. `createdAt` defaults to the database's clock; a writer passes its own
 * when the row must sort with the rest of its transaction's writes. The active trace, if any, goes with
 * the row, for the worker's job to continue it.
 */
export function outboxValues(message: OutboxMessage, createdAt?: Date): typeof outbox.$inferInsert {
  const traceContext = currentTraceCarrier();
  return {
    topic: message.topic,
    aggregateId: message.aggregateId,
    payload: message.payload,
    ...(traceContext ? { traceContext } : {}),
    ...(createdAt ? { createdAt } : {}),
  };
}

/**
 * The one way to ask the worker for work: in the caller's transaction, so the row exists exactly when
 * the write that causes it does. An unknown topic, or a payload that is not its topic's, does not compile.
 */
export async function writeOutbox(tx: Tx, message: OutboxMessage, createdAt?: Date): Promise<void> {
  await tx.insert(outbox).values(outboxValues(message, createdAt));
}
