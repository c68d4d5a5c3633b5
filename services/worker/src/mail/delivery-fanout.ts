import { mailDeliveries, type Tx } from "@pris/db";
import type { MailDeliveryTemplate } from "@pris/domain";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { type Delivery, nothingToRender, render } from "../handlers/send-mail.ts";
import { enqueueRetries } from "../queues.ts";
import {
  type BatchFanout,
  type BatchOutcome,
  connectionWatch,
  createBatchFanout,
  type FanoutOptions,
  type Prepared,
} from "./batch-fanout.ts";
import { loadIncidentsForMail, renderIncidentDeclaredMail } from "./incident-declared-mail.ts";
import type { RenderedMail } from "./templates.ts";
import { type EncodedMail, encodeBodies } from "./transport.ts";

/**
 * The incident e-mails the pole waits for, sent in batches straight from mail_deliveries rather than one
 * send-mail job each: a burst of declarations is hundreds of e-mails a second, and a job plus a
 * transaction per e-mail costs the worker five times what nodemailer does (bench:alerts). Their e-mail
 * depends on the incident (or the shared message) only, so a batch renders it once per subject.
 */
export const BATCHED_TEMPLATES = [
  "incident-declared",
  "incident-escalated",
  "incident-message",
  "intake-acknowledged",
  "evidence-quarantined",
] as const satisfies MailDeliveryTemplate[];
export type BatchedTemplate = (typeof BATCHED_TEMPLATES)[number];

/**
 * First attempts of batched templates: the fan-out's, not a send-mail job's. After one, the delivery is
 * sent, failed for good, or deferred with a send-mail job for its retries (whose backoff BullMQ keeps).
 */
export const firstAttemptOfBatched = and(
  eq(mailDeliveries.status, "queued"),
  eq(mailDeliveries.attempts, 0),
  inArray(mailDeliveries.template, [...BATCHED_TEMPLATES]),
);

async function claim(tx: Tx, batchSize: number): Promise<Delivery[]> {
  return tx
    .select()
    .from(mailDeliveries)
    .where(firstAttemptOfBatched)
    .orderBy(asc(mailDeliveries.updatedAt))
    .limit(batchSize)
    .for("update", { skipLocked: true });
}

/** Every outcome of a batch in one statement; rows no longer owed (recorded by another run) are left alone. */
async function record(tx: Tx, outcomes: BatchOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  await tx.execute(sql`
    UPDATE mail_deliveries d
    SET status = u.status, attempts = d.attempts + 1, smtp_response = u.response, last_error = u.error,
        updated_at = now(), sent_at = CASE WHEN u.status = 'sent' THEN now() ELSE d.sent_at END
    FROM unnest(
      ${sql.param(outcomes.map((o) => o.id))}::uuid[],
      ${sql.param(outcomes.map((o) => o.status))}::text[],
      ${sql.param(outcomes.map((o) => o.response))}::text[],
      ${sql.param(outcomes.map((o) => o.error))}::text[]
    ) AS u(id, status, response, error)
    WHERE d.id = u.id AND d.status IN ('queued', 'deferred')
  `);
}

/**
 * The batched incident e-mails' fan-out (createBatchFanout over mail_deliveries). Each e-mail keeps its
 * deterministic Message-ID, so a duplicate after a crash is recognisable, and the row lock keeps a
 * send-mail job of the same delivery (a replay, the sweeper) from sending it too.
 */
export function createDeliveryFanout(ctx: WorkerContext, options: FanoutOptions): BatchFanout {
  const { logger } = ctx;

  async function prepare(tx: Tx, batch: Delivery[]): Promise<(d: Delivery) => Promise<Prepared>> {
    // Once per subject, rendered and MIME-encoded for all its recipients. Declarations, the bulk of a
    // burst, are read in one query; the rest one query after another: the batch's connection runs one
    // statement at a time.
    const declared = await loadIncidentsForMail(tx, [
      ...new Set(batch.filter((d) => d.template === "incident-declared").map((d) => d.subjectId)),
    ]);
    const rendered = new Map<string, EncodedMail | undefined>();
    for (const d of batch) {
      const key = `${d.template}:${d.subjectId}`;
      if (rendered.has(key)) continue;
      let content: RenderedMail | undefined;
      if (d.template === "incident-declared") {
        const incident = declared.get(d.subjectId);
        content = incident && renderIncidentDeclaredMail(incident, ctx.config);
      } else content = await render(ctx, tx, d);
      rendered.set(key, content && (await encodeBodies(content)));
    }
    const alive = connectionWatch(tx);
    return async (d) => {
      await alive();
      const content = rendered.get(`${d.template}:${d.subjectId}`);
      if (!content) {
        return {
          outcome: { id: d.id, status: "failed", response: null, error: nothingToRender(d), delayMs: 0 },
        };
      }
      return { mail: { ...content, to: d.toAddress, messageId: d.messageId, trace: d.traceContext } };
    };
  }

  return createBatchFanout(
    ctx,
    {
      label: "incident",
      metricKind: "single",
      claim,
      prepare,
      refused(d, failure) {
        return {
          id: d.id,
          status: failure.kind === "permanent" ? "failed" : "deferred",
          response: failure.code === undefined ? null : failure.message,
          error: failure.message.slice(0, 2000),
          delayMs: ctx.tuning.mailRetryDelayMs,
        };
      },
      record,
      async committed(batch, outcomes) {
        const deferred = new Set(outcomes.filter((o) => o.status === "deferred").map((o) => o.id));
        if (deferred.size === 0) return;
        const retries = batch.filter((d) => deferred.has(d.id));
        await enqueueRetries(ctx.queues.sendMail, retries, ctx.tuning).catch((err: unknown) =>
          // The delivery stays deferred in PostgreSQL: the sweeper gives it its job once Redis answers.
          logger.warn({ err, deliveries: retries.length }, "e-mail retries not queued; left to the sweeper"),
        );
      },
    },
    options,
  );
}
