import type { Config } from "@pris/config";
import { type Db, outbox } from "@pris/db";
import { OUTBOX_TOPICS } from "@pris/domain";
import { and, count, isNull, lt, min, notInArray, sql } from "drizzle-orm";
import type { Logger } from "./logger.ts";
import { type PollLoop, pollLoop } from "./poll-loop.ts";

export interface OutboxWatchOptions {
  db: Db;
  config: Pick<Config, "OUTBOX_UNKNOWN_TOPIC_SECONDS">;
  logger: Logger;
  /** How often the outbox is looked at. */
  everyMs: number;
}

export interface OutboxWatch extends PollLoop {
  /** Flags and reports the stranded rows; returns how many there are. */
  checkOnce(): Promise<number>;
}

/**
 * The relay claims only the topics this worker handles, so a row of any other topic would wait in
 * silence. Such a row is stranded once no relay has touched it for OUTBOX_UNKNOWN_TOPIC_SECONDS: this
 * watch writes why on the row (last_error) and logs an error at every look while any is left.
 *
 * It does not mark the row processed: in a rolling deploy (or after a rollback) the topic may be a newer
 * worker's, and an older worker must not throw away work a newer one will do when it runs. A newer
 * worker's relay looks at its dispatched rows every half REDIS_LOSS_RECOVERY_SECONDS, keeping them out of this watch
 * while it runs; the row's last_error is cleared when it is processed.
 */
export function createOutboxWatch(options: OutboxWatchOptions): OutboxWatch {
  const { db, config, logger, everyMs } = options;

  async function checkOnce(): Promise<number> {
    const stranded = and(
      isNull(outbox.processedAt),
      notInArray(outbox.topic, OUTBOX_TOPICS),
      lt(
        sql`coalesce(${outbox.dispatchedAt}, ${outbox.createdAt})`,
        sql`now() - make_interval(secs => ${config.OUTBOX_UNKNOWN_TOPIC_SECONDS})`,
      ),
    );
    const topics = await db
      .select({ topic: outbox.topic, rows: count(), oldest: min(outbox.createdAt) })
      .from(outbox)
      .where(stranded)
      .groupBy(outbox.topic);
    if (topics.length === 0) return 0;
    await db
      .update(outbox)
      .set({
        lastError: sql`'no running worker handles outbox topic ' || ${outbox.topic} || '; the row waits for one that does'`,
      })
      .where(and(stranded, isNull(outbox.lastError)));
    logger.error(
      { topics, handled: OUTBOX_TOPICS, graceSeconds: config.OUTBOX_UNKNOWN_TOPIC_SECONDS },
      "outbox rows wait for a topic this worker does not handle",
    );
    return topics.reduce((sum, t) => sum + t.rows, 0);
  }

  return {
    checkOnce,
    ...pollLoop({
      round: async () => {
        await checkOnce();
        return 0;
      },
      ready: () => true,
      batchSize: 1,
      pollMs: everyMs,
      logger,
      messages: {
        failing: "could not look for outbox rows of unknown topics",
        recovered: "looking for outbox rows of unknown topics again",
      },
    }),
  };
}
