import type { IncidentMessageSharedPayload, OutboxJob } from "@pris/domain";
import type { WorkerContext } from "../context.ts";
import { loadIncidentForNotice } from "../mail/notice-mail.ts";
import { establishmentRssis } from "../timers/timer-recipients.ts";
import { notifyRecipients } from "./notify-recipients.ts";
import { markProcessed } from "./outbox-row.ts";

/** One per main-courante entry and person: a replayed outbox row sends nothing more. */
export function messageSharedDedupeKey(entryId: string, userId: string): string {
  return `incident.message_shared:${entryId}:${userId}`;
}

export function incidentMessageMessageId(entryId: string, userId: string, publicUrl: string): string {
  return `<incident-message.${entryId}.${userId}@${new URL(publicUrl).hostname}>`;
}

export interface IncidentMessageSharedResult {
  status: "done" | "incident-missing";
  recipients: number;
}

/**
 * The pole wrote to the establishment (a shared entry, or a question): the RSSIs who may read the
 * incident — attached to the establishment or to its GHT — get one e-mail each, whose content follows
 * the incident's TLP (see renderIncidentMessageMail). The main courante records the notification.
 */
export async function handleIncidentMessageShared(
  ctx: WorkerContext,
  job: OutboxJob,
  { entryId }: IncidentMessageSharedPayload,
): Promise<IncidentMessageSharedResult> {
  const { db, config, logger } = ctx;
  const incident = await loadIncidentForNotice(db, job.aggregateId);
  if (!incident) {
    logger.error(
      { outboxId: job.outboxId, incidentId: job.aggregateId },
      "incident of the message not found",
    );
    await markProcessed(ctx, job.outboxId, "incident not found");
    return { status: "incident-missing", recipients: 0 };
  }
  const recipients = await establishmentRssis(db, incident.establishmentId);
  if (recipients.length > 0) {
    await notifyRecipients(ctx, {
      incidentId: incident.id,
      subjectId: entryId,
      template: "incident-message",
      recipients,
      dedupeKey: (userId) => messageSharedDedupeKey(entryId, userId),
      messageId: (userId) => incidentMessageMessageId(entryId, userId, config.PUBLIC_URL),
      logBody: { roles: ["rssi"], entryId },
    });
  } else {
    logger.warn({ incidentId: incident.id }, "no active RSSI to tell of the pole's message");
  }
  await markProcessed(ctx, job.outboxId, null);
  return { status: "done", recipients: recipients.length };
}
