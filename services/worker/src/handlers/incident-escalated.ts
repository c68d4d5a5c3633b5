import { appendLogEntry, incidents, mailDeliveries } from "@pris/db";
import { and, eq, inArray } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { loadIncidentForNotice } from "../mail/notice-mail.ts";
import { enqueueDeliveries, type OutboxJob } from "../queues.ts";
import { escalationRecipients } from "../timers/timer-recipients.ts";
import { isProcessed, markProcessed } from "./outbox-row.ts";

export const INCIDENT_ESCALATED_TEMPLATE = "incident-escalated";

/** One per escalation (the outbox row) and recipient: raised to P1 again later, they hear it again. */
export function escalationDedupeKey(outboxId: string, userId: string): string {
  return `incident.escalated:${outboxId}:${userId}`;
}

export function incidentEscalatedMessageId(outboxId: string, userId: string, publicUrl: string): string {
  return `<incident-escalated.${outboxId}.${userId}@${new URL(publicUrl).hostname}>`;
}

export interface IncidentEscalatedResult {
  status: "done" | "already-processed" | "incident-missing" | "no-longer-major";
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
  const { db, config, queues, tuning, logger } = ctx;
  if (await isProcessed(ctx, job.outboxId)) return { status: "already-processed", recipients: 0 };

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
  const dedupeKeys = recipients.map((u) => escalationDedupeKey(job.outboxId, u.id));
  if (recipients.length > 0) {
    await db.transaction(async (tx) => {
      await tx
        .select({ id: incidents.id })
        .from(incidents)
        .where(eq(incidents.id, incident.id))
        .for("update");
      const created = await tx
        .insert(mailDeliveries)
        .values(
          recipients.map((u, i) => ({
            dedupeKey: dedupeKeys[i]!,
            template: INCIDENT_ESCALATED_TEMPLATE,
            subjectId: incident.id,
            userId: u.id,
            toAddress: u.email,
            messageId: incidentEscalatedMessageId(job.outboxId, u.id, config.PUBLIC_URL),
          })),
        )
        .onConflictDoNothing({ target: mailDeliveries.dedupeKey })
        .returning({ id: mailDeliveries.id });
      if (created.length > 0) {
        await appendLogEntry(tx, {
          incidentId: incident.id,
          kind: "notification",
          visibility: "internal",
          body: {
            channel: "email",
            template: INCIDENT_ESCALATED_TEMPLATE,
            roles: ["taskforce", "ars"],
            recipients: created.length,
          },
        });
      }
    });
    const pending = await db
      .select({ id: mailDeliveries.id, template: mailDeliveries.template })
      .from(mailDeliveries)
      .where(
        and(
          inArray(mailDeliveries.dedupeKey, dedupeKeys),
          inArray(mailDeliveries.status, ["queued", "deferred"]),
        ),
      );
    await enqueueDeliveries(queues.sendMail, pending, tuning);
  } else {
    logger.warn({ incidentId: incident.id }, "no active task force or ARS member to mobilise");
  }
  await markProcessed(ctx, job.outboxId, null);
  return { status: "done", recipients: recipients.length };
}
