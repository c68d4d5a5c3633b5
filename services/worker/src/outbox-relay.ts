import type { Config } from "@pris/config";
import { type Db, outbox } from "@pris/db";
import { OUTBOX_TOPICS, type OutboxJob } from "@pris/domain";
import { SpanKind, type StartedSpan, startSpanFrom } from "@pris/telemetry";
import { jobTraceOptions } from "@pris/telemetry/bullmq";
import { and, asc, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Redis } from "ioredis";
import type { Logger } from "./logger.ts";
import { pollLoop } from "./poll-loop.ts";
import { addUnique, type OutboxQueue, outboxJobOptions, type RetryTuning } from "./queues.ts";

export interface OutboxRelayOptions {
  db: Db;
  queue: OutboxQueue;
  /** The connection the queue adds through: the relay does not try while it is down. */
  connection: Redis;
  config: Pick<Config, "OUTBOX_POLL_MS" | "REDIS_LOSS_RECOVERY_SECONDS">;
  logger: Logger;
  tuning: RetryTuning;
  /** Rows claimed per transaction. */
  batchSize?: number;
  /** Longest wait for Redis to take a batch before the transaction gives up and rolls back. */
  addTimeoutMs?: number;
}

export interface OutboxRelay {
  /** Claims and dispatches one batch; returns how many rows it dispatched. */
  relayOnce(): Promise<number>;
  start(): void;
  /** Looks for rows now rather than at the next poll: called when outbox rows commit. */
  wake(): void;
  /** Stops polling and waits for the batch in progress, if any. */
  stop(): Promise<void>;
}

/** What the relay hands to BullMQ: every topic but declarations, which the declaration intake takes itself. */
export const RELAYED_TOPICS = OUTBOX_TOPICS.filter((topic) => topic !== "incident.declared");

class RedisUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RedisUnavailableError";
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnavailableError(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Moves committed outbox rows to BullMQ. Each batch is claimed, enqueued and marked in one
 * PostgreSQL transaction: if Redis refuses the jobs, the transaction rolls back and the rows stay
 * pending for the next tick. Claiming with FOR UPDATE SKIP LOCKED lets several worker processes
 * relay at once without handing the same row to two of them; the job id (the outbox id) makes a
 * row dispatched twice — after a commit that failed, or a re-dispatch — one job.
 *
 * A row dispatched and still not processed is looked at again every half REDIS_LOSS_RECOVERY_SECONDS:
 * Redis is asked whether its job still exists. A job alive (waiting, running, delayed for a retry)
 * is left alone; one that Redis lost (wiped, restarted empty, failed over to an empty replica) or
 * that gave up is added again. So a lost job is back in the queue within REDIS_LOSS_RECOVERY_SECONDS
 * of Redis answering, whatever its age.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, queue, connection, config, logger, tuning } = options;
  const batchSize = options.batchSize ?? 100;
  const addTimeoutMs = options.addTimeoutMs ?? 5_000;
  const checkAfterSeconds = config.REDIS_LOSS_RECOVERY_SECONDS / 2;

  async function relayOnce(): Promise<number> {
    if (connection.status !== "ready") {
      throw new RedisUnavailableError(`redis connection is ${connection.status}`);
    }
    return db.transaction(async (tx) => {
      const rows = await tx
        .select({
          id: outbox.id,
          topic: outbox.topic,
          aggregateId: outbox.aggregateId,
          count: outbox.dispatchCount,
          traceContext: outbox.traceContext,
        })
        .from(outbox)
        .where(
          and(
            isNull(outbox.processedAt),
            inArray(outbox.topic, RELAYED_TOPICS),
            or(
              isNull(outbox.dispatchedAt),
              lt(outbox.dispatchedAt, sql`now() - make_interval(secs => ${checkAfterSeconds})`),
            ),
          ),
        )
        .orderBy(asc(outbox.createdAt))
        .limit(batchSize)
        .for("update", { skipLocked: true });
      if (rows.length === 0) return 0;

      const fresh = rows.filter((r) => r.count === 0);
      const again = rows.filter((r) => r.count > 0);
      // A row written by a traced request is relayed in that trace, and its job runs as the relay's child.
      // A batch that rolls back leaves its spans unended: never exported, as nothing was relayed.
      const spans: StartedSpan[] = [];
      const job = (r: (typeof rows)[number]) => {
        const span = startSpanFrom(r.traceContext, `outbox relay ${r.topic}`, {
          kind: SpanKind.PRODUCER,
          attributes: {
            "pris.outbox.id": r.id,
            "pris.outbox.topic": r.topic,
            "pris.outbox.dispatch": r.count + 1,
          },
        });
        if (span) spans.push(span);
        return {
          name: r.topic,
          data: { outboxId: r.id, aggregateId: r.aggregateId } satisfies OutboxJob,
          opts: { ...outboxJobOptions(r.id, tuning, r.topic), ...jobTraceOptions(span?.carrier) },
        };
      };
      if (fresh.length > 0) {
        await withTimeout(queue.addBulk(fresh.map(job)), addTimeoutMs, "adding outbox jobs");
      }
      const states = await withTimeout(
        Promise.all(again.map((r) => queue.getJobState(r.id))),
        addTimeoutMs,
        "asking for outbox jobs",
      );
      // Redis lost the job, or the job gave up: dispatched again.
      const lost = again.filter((_, i) => states[i] === "unknown" || states[i] === "failed");
      for (const r of lost) {
        const { name, data, opts } = job(r);
        await withTimeout(addUnique(queue, name, data, opts), addTimeoutMs, "re-adding an outbox job");
      }
      const dispatched = [...fresh, ...lost].map((r) => r.id);
      if (dispatched.length > 0) {
        await tx
          .update(outbox)
          .set({ dispatchedAt: sql`now()`, dispatchCount: sql`${outbox.dispatchCount} + 1` })
          .where(inArray(outbox.id, dispatched));
      }
      // Still in Redis, only slow (retrying, or queued behind others): looked at again later.
      const alive = again.filter((r) => !lost.includes(r)).map((r) => r.id);
      if (alive.length > 0) {
        await tx.update(outbox).set({ dispatchedAt: sql`now()` }).where(inArray(outbox.id, alive));
      }
      if (lost.length > 0) {
        logger.warn({ outboxIds: lost.map((r) => r.id) }, "outbox jobs lost by Redis dispatched again");
      }
      for (const span of spans) span.end();
      return rows.length;
    });
  }

  return {
    relayOnce,
    // While Redis is away its connection says so once; rows simply wait in PostgreSQL.
    ...pollLoop({
      round: relayOnce,
      ready: () => connection.status === "ready",
      batchSize,
      pollMs: config.OUTBOX_POLL_MS,
      logger,
      messages: {
        failing: "outbox relay failed; rows stay pending and will be retried",
        recovered: "outbox relay dispatching again",
      },
    }),
  };
}
