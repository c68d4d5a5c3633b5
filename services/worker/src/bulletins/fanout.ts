import { bulletinRecipients, bulletinRevisions, bulletins, type Db, type Tx } from "@pris/db";
import { DELIVERY_MAX_ATTEMPTS, deliveryRetryDelayMs } from "@pris/domain";
import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import {
  type BatchFanout,
  type BatchOutcome,
  createBatchFanout,
  type FanoutOptions,
  type Prepared,
} from "../mail/batch-fanout.ts";
import { type BulletinForMail, bulletinMailer } from "./bulletin-mail.ts";

export type BulletinFanout = BatchFanout;

const PAUSE_CHECK_MS = 250;

type Claimed = {
  id: string;
  bulletin_id: string;
  recipient_id: string;
  purpose: string;
  message_id: string;
  attempts: number;
};

/** Locks due deliveries of bulletins that are not paused (see BatchSource.claim). */
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
async function record(tx: Tx, outcomes: BatchOutcome[]): Promise<void> {
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
 * The e-mail fan-out of alert bulletins (createBatchFanout). The deliveries table is the queue: PostgreSQL
 * holds every e-mail owed, so Redis plays no part, a restart resumes where the last one stopped, and
 * pausing a bulletin (its paused_at) stops its claims.
 */
export function createBulletinFanout(ctx: WorkerContext, options: FanoutOptions): BulletinFanout {
  const { db, config } = ctx;

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

  async function prepare(tx: Tx, batch: Claimed[]): Promise<(d: Claimed) => Promise<Prepared>> {
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
    return async (d) => {
      if ((await pausedNow()).has(d.bulletin_id)) return undefined;
      const bulletin = byId.get(d.bulletin_id);
      const person = people.get(d.recipient_id);
      if (!bulletin || !person || bulletin.tlp === "RED" || bulletin.status !== "published") {
        // Nothing that may be e-mailed: a bug upstream, never a reason to send.
        return {
          outcome: { id: d.id, status: "failed", response: null, error: "not to be e-mailed", delayMs: 0 },
        };
      }
      const rendered = mailers.get(d.bulletin_id)!(person, d.purpose);
      return { mail: { ...rendered, to: person.email, messageId: d.message_id } };
    };
  }

  return createBatchFanout(
    ctx,
    {
      label: "bulletin",
      metricKind: "bulletin",
      claim,
      prepare,
      refused(d, failure) {
        const final = failure.kind === "permanent" || d.attempts >= DELIVERY_MAX_ATTEMPTS;
        return {
          id: d.id,
          status: final ? "failed" : "deferred",
          response: failure.code === undefined ? null : failure.message,
          error: failure.message.slice(0, 2000),
          delayMs: final ? 0 : deliveryRetryDelayMs(ctx.tuning.mailRetryDelayMs, d.attempts),
        };
      },
      record,
    },
    options,
  );
}
