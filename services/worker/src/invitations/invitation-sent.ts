import { mailDomain } from "@pris/config";
import { invitations, mailDeliveries } from "@pris/db";
import type { OutboxJob, OutboxPayload } from "@pris/domain";
import { eq } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { markProcessed } from "../handlers/outbox-row.ts";
import { enqueueOwedDeliveries } from "../queues.ts";

/** One e-mail per invitation and sending: a replayed job finds its row and sends nothing more. */
export function invitationDeliveryKey(invitationId: string, sendCount: number): string {
  return `invitation:${invitationId}:${sendCount}`;
}

export function invitationMessageId(invitationId: string, sendCount: number, domain: string): string {
  return `<invitation.${invitationId}.${sendCount}@${domain}>`;
}

export interface InvitationSentResult {
  status: "done" | "closed";
}

/**
 * An invitation created or re-sent: one delivery row, tracked like every e-mail, then its send-mail job.
 * The delivery carries no link: the e-mail is rendered, and the link signed, from the invitation's row
 * when it is sent, so an invitation cancelled meanwhile sends nothing.
 */
export async function handleInvitationSent(
  ctx: WorkerContext,
  job: OutboxJob,
  payload: OutboxPayload<"invitation.sent">,
): Promise<InvitationSentResult> {
  const { db, config, queues, tuning } = ctx;
  const [invitation] = await db.select().from(invitations).where(eq(invitations.id, job.aggregateId));
  // Nothing to send for an invitation closed since, or re-sent since (the later row sends the later link).
  const unsent = !invitation
    ? "invitation not found"
    : invitation.acceptedAt || invitation.cancelledAt
      ? "invitation closed before its e-mail"
      : invitation.sendCount > payload.sendCount
        ? "invitation re-sent before this e-mail"
        : null;
  if (unsent || !invitation) {
    await markProcessed(ctx, job.outboxId, unsent);
    return { status: "closed" };
  }
  const key = invitationDeliveryKey(invitation.id, payload.sendCount);
  await db
    .insert(mailDeliveries)
    .values({
      dedupeKey: key,
      template: "invitation",
      subjectId: invitation.id,
      userId: null,
      toAddress: invitation.email,
      messageId: invitationMessageId(invitation.id, payload.sendCount, mailDomain(config)),
    })
    .onConflictDoNothing({ target: mailDeliveries.dedupeKey });
  await enqueueOwedDeliveries(db, queues.sendMail, [key], tuning);
  await markProcessed(ctx, job.outboxId, null);
  return { status: "done" };
}
