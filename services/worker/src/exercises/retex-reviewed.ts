import { mailDomain } from "@pris/config";
import { mailDeliveries } from "@pris/db";
import {
  type OutboxJob,
  RETEX_REVIEW_MAIL_TEMPLATES,
  type RetexReviewedPayload,
  retexReviewedKey,
} from "@pris/domain";
import { sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { markProcessed } from "../handlers/outbox-row.ts";
import { enqueueOwedDeliveries } from "../queues.ts";
import { RSSIS } from "./exercise-reminders.ts";

export function retexReviewedMessageId(outboxId: string, userId: string, domain: string): string {
  return `<retex-reviewed.${outboxId}.${userId}@${domain}>`;
}

export interface RetexReviewedResult {
  status: "done";
  recipients: number;
}

/**
 * The ARS validated a RETEX or sent it back: every active RSSI of the establishment (and of its GHT) gets
 * one e-mail. The delivery's subject is the outbox row, which keeps the decision and the ARS's comment
 * as they were; its key (decision × person) makes a replayed job create and send nothing more.
 */
export async function handleRetexReviewed(
  ctx: WorkerContext,
  job: OutboxJob,
  { decision }: RetexReviewedPayload,
): Promise<RetexReviewedResult> {
  const { db, config, queues, tuning, logger } = ctx;
  const { rows: recipients } = await db.execute<{ id: string; email: string }>(sql`
    SELECT DISTINCT u.id, u.email
    FROM exercise_participations p
    JOIN establishments e ON e.id = p.establishment_id
    ${RSSIS}
    WHERE p.id = ${job.aggregateId}`);
  if (recipients.length === 0) {
    logger.warn({ participationId: job.aggregateId }, "no active RSSI to tell of the RETEX decision");
    await markProcessed(ctx, job.outboxId, "no recipient");
    return { status: "done", recipients: 0 };
  }
  const keys = recipients.map((u) => retexReviewedKey(job.outboxId, u.id));
  await db
    .insert(mailDeliveries)
    .values(
      recipients.map((u, i) => ({
        dedupeKey: keys[i]!,
        template: RETEX_REVIEW_MAIL_TEMPLATES[decision],
        subjectId: job.outboxId,
        userId: u.id,
        toAddress: u.email,
        messageId: retexReviewedMessageId(job.outboxId, u.id, mailDomain(config)),
      })),
    )
    .onConflictDoNothing({ target: mailDeliveries.dedupeKey });
  await enqueueOwedDeliveries(db, queues.sendMail, keys, tuning);
  await markProcessed(ctx, job.outboxId, null);
  return { status: "done", recipients: recipients.length };
}
