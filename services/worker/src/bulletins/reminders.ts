import { mailDomain } from "@pris/config";
import { bulletinDeliveries } from "@pris/db";
import { bulletinMessageId, REMINDER_PURPOSE } from "@pris/domain";
import { sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";

const REMINDERS_PER_RUN = 5_000;

/**
 * Recipients who have not answered a bulletin BULLETIN_REMINDER_HOURS after their e-mail was accepted get
 * one reminder: a delivery of purpose 'reminder', unique per recipient, so a rerun or a second worker
 * adds nothing. Paused and TLP:RED bulletins are left alone; the fan-out sends the rows.
 */
export async function queueBulletinReminders(
  ctx: WorkerContext,
  now = new Date(),
): Promise<{ queued: number }> {
  const hours = ctx.config.BULLETIN_REMINDER_HOURS;
  if (hours === 0) return { queued: 0 };
  const { rows } = await ctx.db.execute<{ recipient_id: string; bulletin_id: string; revision: number }>(sql`
    SELECT r.id AS recipient_id, r.bulletin_id, b.revision
    FROM bulletin_recipients r
    JOIN bulletins b ON b.id = r.bulletin_id
    WHERE b.status = 'published' AND b.tlp <> 'RED' AND b.paused_at IS NULL AND r.answer IS NULL
      -- A functional mailbox that unsubscribed (left the contacts) is reminded of nothing.
      AND (r.role <> 'mailbox' OR EXISTS (
        SELECT 1 FROM establishments e
        WHERE e.id = r.establishment_id AND lower(e.contacts->>'functionalMailbox') = r.email
      ))
      AND EXISTS (
        SELECT 1 FROM bulletin_deliveries d
        WHERE d.recipient_id = r.id AND d.purpose LIKE 'revision-%' AND d.status = 'sent'
          AND d.sent_at <= ${now}::timestamptz - make_interval(hours => ${hours})
      )
      AND NOT EXISTS (
        SELECT 1 FROM bulletin_deliveries d WHERE d.recipient_id = r.id AND d.purpose = ${REMINDER_PURPOSE}
      )
    LIMIT ${REMINDERS_PER_RUN}
  `);
  if (rows.length === 0) return { queued: 0 };
  const host = mailDomain(ctx.config);
  let queued = 0;
  for (let i = 0; i < rows.length; i += 1000) {
    const created = await ctx.db
      .insert(bulletinDeliveries)
      .values(
        rows.slice(i, i + 1000).map((r) => ({
          bulletinId: r.bulletin_id,
          recipientId: r.recipient_id,
          purpose: REMINDER_PURPOSE,
          revision: r.revision,
          messageId: bulletinMessageId(r.bulletin_id, r.recipient_id, REMINDER_PURPOSE, host),
          nextAttemptAt: now,
        })),
      )
      .onConflictDoNothing()
      .returning({ id: bulletinDeliveries.id });
    queued += created.length;
  }
  if (queued > 0) {
    ctx.logger.info({ queued }, "bulletin reminders queued");
    ctx.wakeBulletinFanout();
  }
  return { queued };
}
