import type { Tx } from "@pris/db";
import { sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { recordAfterLoss } from "../record-after-loss.ts";
import { classifySmtpError, type OutgoingMail, type SmtpFailure } from "./transport.ts";

export interface FanoutOptions {
  /** How often PostgreSQL is asked for e-mails due when nothing woke the fan-out. */
  pollMs: number;
  /** E-mails claimed, sent and recorded together. */
  batchSize: number;
  /** Batches in flight at once: one claims and records while the other sends. */
  lanes?: number;
  /** E-mails of a batch handed to the SMTP pool at once. */
  sendWindow?: number;
  /**
   * How long a wake-up waits before an idle lane claims (default 0): e-mails owed in a stream (a burst of
   * declarations) then leave a few dozen per batch rather than four, at that cost in latency.
   */
  gatherMs?: number;
}

export interface BatchFanout {
  /** Claims, sends and records one batch; returns how many e-mails it handled. */
  runBatch(): Promise<number>;
  /** Looks for due e-mails now rather than at the next poll. */
  wake(): void;
  start(): void;
  stop(): Promise<void>;
}

export type BatchOutcome = {
  id: string;
  status: "sent" | "deferred" | "failed";
  response: string | null;
  error: string | null;
  /** For a deferred e-mail: when to try it again. */
  delayMs: number;
};

/** One claimed e-mail made ready: sent, settled without sending, or left owed (`undefined`). */
export type Prepared = { mail: OutgoingMail } | { outcome: BatchOutcome } | undefined;

/** Where a fan-out's e-mails come from, and how they are recorded: the table is the queue. */
export interface BatchSource<C extends { id: string }> {
  /** Names the fan-out in logs ("bulletin" → "bulletin fan-out failed", "bulletin batch lost"). */
  label: string;
  /** The `kind` of the e-mails metric. */
  metricKind: "single" | "bulletin";
  /**
   * Locks due e-mails in the batch's transaction: with FOR UPDATE SKIP LOCKED several workers (and lanes)
   * take batches side by side without sharing a row, and a worker that dies mid-batch loses its
   * connection, so PostgreSQL rolls the transaction back and the rows are due again.
   */
  claim(tx: Tx, batchSize: number): Promise<C[]>;
  /**
   * Reads what the batch's e-mails are rendered from, once per batch; returns how to make each one. That
   * function must reject once the batch's connection is lost (connectionWatch), or the batch would go on
   * sending rows whose locks are gone.
   */
  prepare(tx: Tx, batch: C[]): Promise<(item: C) => Promise<Prepared>>;
  /** The outcome of an e-mail the SMTP server refused or could not take. */
  refused(item: C, failure: SmtpFailure): BatchOutcome;
  /** Every outcome of a batch in one statement, touching only rows still owed. */
  record(tx: Tx, outcomes: BatchOutcome[]): Promise<void>;
  /** After the batch committed: what is left to do elsewhere (a retry handed to a queue). */
  committed?(batch: C[], outcomes: BatchOutcome[]): Promise<void>;
}

/**
 * Whether the batch's connection still holds its row locks, asked at most every `everyMs` while the batch
 * is sent: once the connection is lost, PostgreSQL has released the locks and another lane or worker may
 * claim the same rows, so the batch must stop sending within a fraction of a second, not at its end.
 * Rejects when the connection is lost; one query at a time, as the connection runs them.
 */
export function connectionWatch(tx: Tx, everyMs = 250): () => Promise<void> {
  let checkedAt = Date.now();
  let checking: Promise<void> | undefined;
  return async () => {
    if (!checking && Date.now() - checkedAt >= everyMs) {
      checking = tx
        .execute(sql`SELECT 1`)
        .then(() => undefined)
        .finally(() => {
          checkedAt = Date.now();
          checking = undefined;
        });
    }
    if (checking) await checking;
  };
}

/**
 * Sends e-mails owed in a table, a batch at a time. Each batch is one transaction: locked in one
 * statement, sent through the pooled SMTP transport a few e-mails at a time, recorded in one statement —
 * one write per e-mail. The lock is held over the SMTP exchange on purpose, as for single e-mails: it is
 * bounded by the transport's timeouts. At least once: a worker killed between the server's acceptance and
 * the commit has its batch rolled back and sent again by the next worker, each duplicate carrying the
 * same Message-ID. A batch whose connection is lost (PostgreSQL restarted, the connection terminated)
 * stops sending and records what was accepted on a new connection (recordAfterLoss); only what it cannot
 * record in time is sent again.
 */
export function createBatchFanout<C extends { id: string }>(
  ctx: WorkerContext,
  source: BatchSource<C>,
  options: FanoutOptions,
): BatchFanout {
  const { db, mail, logger, config } = ctx;
  const lanes = options.lanes ?? 2;
  const sendWindow = options.sendWindow ?? 4 * config.SMTP_POOL_SIZE;
  const gatherMs = options.gatherMs ?? 0;
  let gathering: NodeJS.Timeout | undefined;
  let stopped = true;
  const sleepers = new Set<() => void>();
  let running: Promise<void>[] = [];
  let failing = false;
  /** Counts wake-ups: a lane that was woken while it worked looks again instead of sleeping. */
  let wakes = 0;
  /** Rows claimed by a lane of this process whose batch is not recorded yet (committed or rescued). */
  const held = new Set<string>();

  /** Sends the batch; each outcome is pushed to `settled` as it comes (those left owed have none). */
  async function send(tx: Tx, batch: C[], settled: BatchOutcome[]): Promise<void> {
    const make = await source.prepare(tx, batch);
    const one = async (item: C): Promise<BatchOutcome | undefined> => {
      const prepared = await make(item);
      if (!prepared) return undefined;
      if ("outcome" in prepared) return prepared.outcome;
      try {
        const result = await mail.send(prepared.mail);
        return { id: item.id, status: "sent", response: result.response, error: null, delayMs: 0 };
      } catch (err) {
        return source.refused(item, classifySmtpError(err));
      }
    };
    // A few e-mails at a time, each rendered when its turn comes: enough to keep every pooled connection
    // busy, few enough that a message dies young instead of waiting in the pool's queue, which under the
    // worker's bounded heap costs full collections.
    let next = 0;
    let failed = false;
    const senders = await Promise.allSettled(
      Array.from({ length: Math.min(sendWindow, batch.length) }, async () => {
        try {
          while (next < batch.length && !failed) {
            const outcome = await one(batch[next++]!);
            if (outcome) settled.push(outcome);
          }
        } catch (err) {
          // The batch is lost (its transaction rolls back): the other senders stop taking e-mails, and
          // the transaction waits for them to finish, so none queries its connection after the rollback.
          failed = true;
          throw err;
        }
      }),
    );
    const lost = senders.find((s) => s.status === "rejected");
    if (lost) throw lost.reason;
  }

  async function runBatch(): Promise<number> {
    const settled: BatchOutcome[] = [];
    let claimed: C[] = [];
    let outcomes: BatchOutcome[];
    try {
      outcomes = await db.transaction(async (tx) => {
        // Rows another lane of this process holds are left alone: that lane's transaction was lost (the
        // locks went with it) and it is recording what it sent on a new connection.
        claimed = (await source.claim(tx, options.batchSize)).filter((c) => !held.has(c.id));
        for (const c of claimed) held.add(c.id);
        if (claimed.length === 0) return [];
        await send(tx, claimed, settled);
        await source.record(tx, settled);
        return settled;
      });
    } catch (err) {
      // Lost with its connection, perhaps after the SMTP server accepted part of the batch: those
      // e-mails are recorded on a new connection, or the batch's next claim would send them again.
      const accepted = settled.filter((o) => o.status === "sent");
      if (
        accepted.length > 0 &&
        (await recordAfterLoss(db, logger, `${source.label} e-mails`, (t) => source.record(t, accepted)))
      ) {
        ctx.metrics.emails.inc({ kind: source.metricKind, outcome: "sent" }, accepted.length);
        logger.warn(
          { recorded: accepted.length },
          `${source.label} batch lost; the e-mails already accepted are recorded`,
        );
      }
      throw err;
    } finally {
      for (const c of claimed) held.delete(c.id);
    }
    if (outcomes.length === 0) return 0;
    for (const o of outcomes) ctx.metrics.emails.inc({ kind: source.metricKind, outcome: o.status });
    const notSent = outcomes.filter((o) => o.status !== "sent");
    if (notSent.length > 0) {
      logger.warn(
        {
          deferred: notSent.filter((o) => o.status === "deferred").length,
          failed: notSent.filter((o) => o.status === "failed").length,
        },
        `${source.label} e-mails not accepted`,
      );
    }
    await source.committed?.(claimed, outcomes);
    return outcomes.length;
  }

  function idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, options.pollMs);
      function done() {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      }
      sleepers.add(done);
    });
  }

  function release(): void {
    clearTimeout(gathering);
    gathering = undefined;
    for (const done of [...sleepers]) done();
  }

  function wake(): void {
    wakes += 1;
    if (gatherMs <= 0) release();
    else gathering ??= setTimeout(release, gatherMs);
  }

  async function lane(): Promise<void> {
    while (!stopped) {
      let handled = 0;
      let failed = false;
      const wakesBefore = wakes;
      try {
        handled = await runBatch();
        if (failing) logger.info(`${source.label} fan-out working again`);
        failing = false;
      } catch (err) {
        if (!failing)
          logger.error({ err }, `${source.label} fan-out failed; the deliveries stay due and are retried`);
        failing = true;
        failed = true;
      }
      // A batch that found nothing may have claimed before the rows that woke it committed; one that
      // failed waits a poll whatever woke it, not to hammer a database that is away.
      if (handled === 0 && (failed || wakes === wakesBefore) && !stopped) await idle();
    }
  }

  return {
    runBatch,
    wake,
    start() {
      if (!stopped) return;
      stopped = false;
      running = Array.from({ length: lanes }, () => lane());
    },
    async stop() {
      stopped = true;
      release();
      await Promise.all(running);
    },
  };
}
