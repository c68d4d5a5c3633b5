import { type Config, mailDomain } from "@pris/config";
import { mailDeliveries, type Tx } from "@pris/db";
import { formatInZone, type OutboxJob, type OutboxPayload, type OutboxTopic } from "@pris/domain";
import { sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { RSSIS } from "../exercises/exercise-reminders.ts";
import { markProcessed } from "../handlers/outbox-row.ts";
import { poleContact, type RenderedMail, renderMailboxUnsubscribed } from "../mail/templates.ts";
import { enqueueOwedDeliveries } from "../queues.ts";

export function mailboxUnsubscribedMessageId(outboxId: string, address: string, domain: string): string {
  // The address is not in the id: a Message-ID is shown to every hop and kept in their logs.
  const n = Buffer.from(address).toString("base64url");
  return `<mailbox-unsubscribed.${outboxId}.${n}@${domain}>`;
}

export interface MailboxUnsubscribedResult {
  status: "done";
  recipients: number;
}

/**
 * A functional mailbox unsubscribed from the bulletins: the establishment's RSSIs are told, so that they
 * may give another mailbox (or the same one again) on the establishment's page. Their accounts, and the
 * RSSI of the directory when it has no account: someone must learn that the alerts no longer reach it.
 */
export async function handleMailboxUnsubscribed(
  ctx: WorkerContext,
  job: OutboxJob,
  { establishmentId }: OutboxPayload<"bulletin.mailbox_unsubscribed">,
): Promise<MailboxUnsubscribedResult> {
  const { db, config, queues, tuning, logger } = ctx;
  const { rows } = await db.execute<{ user_id: string | null; email: string }>(sql`
    SELECT DISTINCT ON (lower(x.email)) x.user_id, lower(x.email) AS email
    FROM (
      SELECT u.id AS user_id, u.email, 0 AS rank
      FROM establishments e ${RSSIS}
      WHERE e.id = ${establishmentId}
      UNION ALL
      SELECT NULL, e.contacts->'rssi'->>'email', 1
      FROM establishments e
      WHERE e.id = ${establishmentId} AND e.contacts->'rssi'->>'email' IS NOT NULL
    ) x
    ORDER BY lower(x.email), x.rank`);
  if (rows.length === 0) {
    logger.warn({ establishmentId }, "no RSSI to tell that the functional mailbox unsubscribed");
    await markProcessed(ctx, job.outboxId, "no recipient");
    return { status: "done", recipients: 0 };
  }
  const keys = rows.map((r) => `mailbox-unsubscribed:${job.outboxId}:${r.email}`);
  await db
    .insert(mailDeliveries)
    .values(
      rows.map((r, i) => ({
        dedupeKey: keys[i]!,
        template: "mailbox-unsubscribed" as const,
        subjectId: job.outboxId,
        userId: r.user_id,
        toAddress: r.email,
        messageId: mailboxUnsubscribedMessageId(job.outboxId, r.email, mailDomain(config)),
      })),
    )
    .onConflictDoNothing({ target: mailDeliveries.dedupeKey });
  await enqueueOwedDeliveries(db, queues.sendMail, keys, tuning);
  await markProcessed(ctx, job.outboxId, null);
  return { status: "done", recipients: rows.length };
}

/** The notice, from the outbox row (when) and the recipient whose link it was (which mailbox, which bulletin). */
export async function renderMailboxUnsubscribedMail(
  tx: Tx,
  config: Config,
  outboxId: string,
): Promise<RenderedMail | undefined> {
  const { rows } = await tx.execute<{
    created_at: Date;
    email: string;
    establishment_id: string;
    establishment: string;
    reference: string | null;
    title: string;
    tlp: string;
  }>(sql`
    SELECT o.created_at, r.email, e.id AS establishment_id, e.name AS establishment,
           b.reference, b.title, b.tlp
    FROM outbox o
    JOIN bulletin_recipients r ON r.id = o.aggregate_id
    JOIN establishments e ON e.id = r.establishment_id
    JOIN bulletins b ON b.id = r.bulletin_id
    WHERE o.id = ${outboxId} AND o.topic = ${"bulletin.mailbox_unsubscribed" satisfies OutboxTopic}`);
  const r = rows[0];
  if (!r) return undefined;
  return renderMailboxUnsubscribed(
    {
      regionName: config.REGION_NAME,
      establishmentName: r.establishment,
      mailbox: r.email,
      unsubscribedAt: formatInZone(new Date(r.created_at), config.REGION_TIMEZONE),
      bulletinReference: r.reference ?? "",
      link: `${config.PUBLIC_URL.replace(/\/+$/, "")}/mon-etablissement`,
    },
    poleContact(config),
  );
}
