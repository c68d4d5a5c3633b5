import { bulletinRecipients, bulletinRevisions, bulletins, type Db, type Tx } from "@pris/db";
import { DELIVERY_MAX_ATTEMPTS, deliveryRetryDelayMs } from "@pris/domain";
import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { classifySmtpError } from "../mail/transport.ts";
import { recordAfterLoss } from "../record-after-loss.ts";
import { type BulletinForMail, bulletinMailer } from "./bulletin-mail.ts";

export interface FanoutOptions {
  /** How often PostgreSQL is asked for e-mails due when nothing woke the fan-out. */
  pollMs: number;
  /** Deliveries claimed, sent and recorded together. */
  batchSize: number;
  /** Batches in flight at once: one claims and records while the other sends. */
  lanes?: number;
  /** E-mails of a batch handed to the SMTP pool at once. */
  sendWindow?: number;
}

export interface BulletinFanout {
  /** Claims, sends and records one batch; returns how many deliveries it handled. */
  runBatch(): Promise<number>;
  /** Looks for due deliveries now rather than at the next poll. */
  wake(): void;
  start(): void;
  stop(): Promise<void>;
}

const PAUSE_CHECK_MS = 250;

type Claimed = {
  id: string;
  bulletin_id: string;
  recipient_id: string;
  purpose: string;
  message_id: string;
  attempts: number;
};

type Outcome = {
  id: string;
  status: "sent" | "deferred" | "failed";
  response: string | null;
  error: string | null;
  delayMs: number;
};

/**
 * Locks due deliveries of bulletins that are not paused, in the batch's transaction: SKIP LOCKED lets
 * several workers (and lanes) take batches side by side without sharing a row, and a worker that dies
 * mid-batch loses its connection, so PostgreSQL rolls the transaction back and the rows are due again.
 */
async function claim(tx: Tx, batchSize: number): Promise<Claimed[]> {
  const { rows } = await tx.execute<Claimed>(sql`
    SELECT d.id, d.bulletin_id, d.recipient_id, d.purpose, d.message_id, d.attempts + 1 AS attempts
    FROM bulletin_deliveries d
    JOIN bulletins b ON b.id = d.bulletin_id AND b.paused_at IS NULL
    WHERE d.status IN ('queued', 'deferred') AND d.next_attempt_at <= now()
    ORDER BY d.next_attempt_at
    LIMIT ${batchSize}
    FOR UPDATE OF d SKIP LOCKED
  `);
  return rows;
}

/** Every outcome of a batch in one statement; rows no longer owed (recorded by another run) are left alone. */
async function record(tx: Tx, outcomes: Outcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  await tx.execute(sql`
    UPDATE bulletin_deliveries d
    SET status = u.status, attempts = d.attempts + 1, smtp_response = u.response, last_error = u.error,
        updated_at = now(),
        sent_at = CASE WHEN u.status = 'sent' THEN now() ELSE d.sent_at END,
        next_attempt_at = CASE WHEN u.status = 'deferred' THEN now() + u.delay_ms * interval '1 millisecond'
                               ELSE d.next_attempt_at END
    FROM unnest(
      ${sql.param(outcomes.map((o) => o.id))}::uuid[],
      ${sql.param(outcomes.map((o) => o.status))}::text[],
      ${sql.param(outcomes.map((o) => o.response))}::text[],
      ${sql.param(outcomes.map((o) => o.error))}::text[],
      ${sql.param(outcomes.map((o) => o.delayMs))}::bigint[]
    ) AS u(id, status, response, error, delay_ms)
    WHERE d.id = u.id AND d.status IN ('queued', 'deferred')
  `);
}

async function loadBulletins(db: Db, ids: string[]): Promise<Map<string, BulletinForMail>> {
  const rows = await db
    .select({ bulletin: bulletins, changes: bulletinRevisions.changes })
    .from(bulletins)
    .leftJoin(
      bulletinRevisions,
      and(eq(bulletinRevisions.bulletinId, bulletins.id), eq(bulletinRevisions.revision, bulletins.revision)),
    )
    .where(inArray(bulletins.id, ids));
  return new Map(rows.map((r) => [r.bulletin.id, { ...r.bulletin, changes: r.changes ?? "" }]));
}

/**
 * The e-mail fan-out of alert bulletins. The deliveries table is the queue: PostgreSQL holds every e-mail
 * owed, so Redis plays no part, a restart resumes where the last one stopped, and pausing a bulletin
 * (its paused_at) stops its claims. Each batch is one transaction: locked in one statement, sent through
 * the pooled SMTP transport a few e-mails at a time, recorded in one statement — one write per e-mail. The lock is held over the SMTP exchange on purpose, as for single
 * e-mails: it is bounded by the transport's timeouts. At least once: a worker killed between the server's
 * acceptance and the commit has its batch rolled back and sent again by the next worker, each duplicate
 * carrying the same Message-ID. A batch whose connection is lost (PostgreSQL restarted, the connection
 * terminated) stops sending and records what was accepted on a new connection (recordAfterLoss); only
 * what it cannot record in time is sent again.
 */
export function createBulletinFanout(ctx: WorkerContext, options: FanoutOptions): BulletinFanout {
  const { db, mail, logger, config } = ctx;
  const lanes = options.lanes ?? 2;
  const sendWindow = options.sendWindow ?? 4 * config.SMTP_POOL_SIZE;
  let stopped = true;
  const sleepers = new Set<() => void>();
  let running: Promise<void>[] = [];
  let failing = false;

  /**
   * The batch's bulletins paused since the claim, looked up at most every PAUSE_CHECK_MS while it is
   * sent: a pause takes effect within a fraction of a second, not after the batch. Their deliveries are
   * left unrecorded, so they are due again once the bulletin is resumed.
   */
  function pauseWatch(tx: Tx, bulletinIds: string[]): () => Promise<Set<string>> {
    let paused = new Set<string>();
    let checkedAt = Date.now();
    let checking: Promise<void> | undefined;
    return async () => {
      if (!checking && Date.now() - checkedAt >= PAUSE_CHECK_MS) {
        checking = tx
          .select({ id: bulletins.id })
          .from(bulletins)
          .where(and(inArray(bulletins.id, bulletinIds), isNotNull(bulletins.pausedAt)))
          .then((rows) => {
            paused = new Set(rows.map((r) => r.id));
          })
          .finally(() => {
            checkedAt = Date.now();
            checking = undefined;
          });
      }
      if (checking) await checking;
      return paused;
    };
  }

  /** Sends the batch; each outcome is pushed to `settled` as it comes (paused ones have none). */
  async function send(tx: Tx, batch: Claimed[], settled: Outcome[]): Promise<void> {
    const [byId, recipients] = await Promise.all([
      loadBulletins(db, [...new Set(batch.map((d) => d.bulletin_id))]),
      db
        .select({
          id: bulletinRecipients.id,
          email: bulletinRecipients.email,
          name: bulletinRecipients.name,
          role: bulletinRecipients.role,
        })
        .from(bulletinRecipients)
        .where(
          inArray(
            bulletinRecipients.id,
            batch.map((d) => d.recipient_id),
          ),
        ),
    ]);
    const people = new Map(recipients.map((r) => [r.id, r]));
    const mailers = new Map([...byId].map(([id, b]) => [id, bulletinMailer(b, config)]));
    // On the batch's own connection: if it is lost, the batch cannot be recorded, and the failed check
    // stops the sending within PAUSE_CHECK_MS instead of at the end of the batch.
    const pausedNow = pauseWatch(tx, [...byId.keys()]);
    const one = async (d: Claimed): Promise<Outcome | undefined> => {
      if ((await pausedNow()).has(d.bulletin_id)) return undefined;
      const bulletin = byId.get(d.bulletin_id);
      const person = people.get(d.recipient_id);
      if (!bulletin || !person || bulletin.tlp === "RED" || bulletin.status !== "published") {
        // Nothing that may be e-mailed: a bug upstream, never a reason to send.
        return { id: d.id, status: "failed", response: null, error: "not to be e-mailed", delayMs: 0 };
      }
      const rendered = mailers.get(d.bulletin_id)!(person, d.purpose);
      try {
        const result = await mail.send({ ...rendered, to: person.email, messageId: d.message_id });
        return { id: d.id, status: "sent", response: result.response, error: null, delayMs: 0 };
      } catch (err) {
        const failure = classifySmtpError(err);
        const final = failure.kind === "permanent" || d.attempts >= DELIVERY_MAX_ATTEMPTS;
        return {
          id: d.id,
          status: final ? "failed" : "deferred",
          response: failure.code === undefined ? null : failure.message,
          error: failure.message.slice(0, 2000),
          delayMs: final ? 0 : deliveryRetryDelayMs(ctx.tuning.mailRetryDelayMs, d.attempts),
        };
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
    const settled: Outcome[] = [];
    let outcomes: Outcome[];
    try {
      outcomes = await db.transaction(async (tx) => {
        const batch = await claim(tx, options.batchSize);
        if (batch.length === 0) return [];
        await send(tx, batch, settled);
        await record(tx, settled);
        return settled;
      });
    } catch (err) {
      // Lost with its connection, perhaps after the SMTP server accepted part of the batch: those
      // e-mails are recorded on a new connection, or the batch's next claim would send them again.
      const accepted = settled.filter((o) => o.status === "sent");
      if (
        accepted.length > 0 &&
        (await recordAfterLoss(db, logger, "bulletin e-mails", (t) => record(t, accepted)))
      ) {
        ctx.metrics.emails.inc({ kind: "bulletin", outcome: "sent" }, accepted.length);
        logger.warn(
          { recorded: accepted.length },
          "bulletin batch lost; the e-mails already accepted are recorded",
        );
      }
      throw err;
    }
    if (outcomes.length === 0) return 0;
    for (const o of outcomes) ctx.metrics.emails.inc({ kind: "bulletin", outcome: o.status });
    const notSent = outcomes.filter((o) => o.status !== "sent");
    if (notSent.length > 0) {
      logger.warn(
        {
          deferred: notSent.filter((o) => o.status === "deferred").length,
          failed: notSent.filter((o) => o.status === "failed").length,
        },
        "bulletin e-mails not accepted",
      );
    }
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

  function wake(): void {
    for (const done of [...sleepers]) done();
  }

  async function lane(): Promise<void> {
    while (!stopped) {
      let handled = 0;
      try {
        handled = await runBatch();
        if (failing) logger.info("bulletin fan-out working again");
        failing = false;
      } catch (err) {
        if (!failing)
          logger.error({ err }, "bulletin fan-out failed; the deliveries stay due and are retried");
        failing = true;
      }
      if (handled === 0 && !stopped) await idle();
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
      wake();
      await Promise.all(running);
    },
  };
}
