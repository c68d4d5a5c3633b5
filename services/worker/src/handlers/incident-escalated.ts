import { mailDomain } from "@pris/config";
import type { OutboxJob } from "@pris/domain";
import type { WorkerContext } from "../context.ts";
import { loadIncidentForNotice } from "../mail/notice-mail.ts";
import { escalationRecipients } from "../timers/timer-recipients.ts";
import { notifyRecipients } from "./notify-recipients.ts";
import { markProcessed } from "./outbox-row.ts";

/** One per escalation (the outbox row) and recipient: raised to P1 again later, they hear it again. */
export function escalationDedupeKey(outboxId: string, userId: string): string {
  return `incident.escalated:${outboxId}:${userId}`;
}

export function incidentEscalatedMessageId(outboxId: string, userId: string, domain: string): string {
  return `<incident-escalated.${outboxId}.${userId}@${domain}>`;
}

export interface IncidentEscalatedResult {
  status: "done" | "incident-missing" | "no-longer-major";
  recipients: number;
}

/**
 * Raised to P1: the task force is mobilised. Its members and the ARS get one e-mail each, under the
 * same TLP discipline as a declaration, and the main courante records the notification once.
 */
export async function handleIncidentEscalated(
  ctx: WorkerContext,
  job: OutboxJob,
): Promise<IncidentEscalatedResult> {
  const { db, config, logger } = ctx;

  const incident = await loadIncidentForNotice(db, job.aggregateId);
  if (!incident) {
    logger.error({ outboxId: job.outboxId, incidentId: job.aggregateId }, "escalated incident not found");
    await markProcessed(ctx, job.outboxId, "incident not found");
    return { status: "incident-missing", recipients: 0 };
  }
  // Lowered again before this job ran: a mobilisation e-mail now would be wrong.
  if (incident.severity !== "P1" && !incident.crisisCell) {
    await markProcessed(ctx, job.outboxId, "no longer a major incident");
    return { status: "no-longer-major", recipients: 0 };
  }

  const recipients = await escalationRecipients(db);
  if (recipients.length > 0) {
    await notifyRecipients(ctx, {
      incidentId: incident.id,
      template: "incident-escalated",
      recipients,
      dedupeKey: (userId) => escalationDedupeKey(job.outboxId, userId),
      messageId: (userId) => incidentEscalatedMessageId(job.outboxId, userId, mailDomain(config)),
      logBody: { roles: ["taskforce", "ars"] },
    });
  } else {
    logger.warn({ incidentId: incident.id }, "no active task force or ARS member to mobilise");
  }
  await markProcessed(ctx, job.outboxId, null);
  return { status: "done", recipients: recipients.length };
}
