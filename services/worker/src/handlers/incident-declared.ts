import { mailDomain } from "@pris/config";
import { users } from "@pris/db";
import type { OutboxJob, Role } from "@pris/domain";
import { and, eq, inArray } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { loadIncidentForMail } from "../mail/incident-declared-mail.ts";
import { reconcileIncidentTimers } from "../timers/reconcile-timers.ts";
import { notifyRecipients } from "./notify-recipients.ts";
import { isProcessed, markProcessed } from "./outbox-row.ts";

/** The pole's analysts always; the task force and the ARS too when the incident is major. */
export function recipientRoles(severity: string): Role[] {
  return severity === "P1" ? ["analyst", "taskforce", "ars"] : ["analyst"];
}

/** Stable across retries and processes, so a duplicate e-mail is recognisable by its Message-ID. */
export function incidentDeclaredMessageId(incidentId: string, userId: string, domain: string): string {
  return `<incident-declared.${incidentId}.${userId}@${domain}>`;
}

export interface IncidentDeclaredResult {
  status: "done" | "already-processed" | "incident-missing";
  recipients: number;
}

/**
 * Turns a declaration into one delivery row per recipient, then one send-mail job per delivery.
 * Every step can run again: timers are planned idempotently, delivery rows are unique per incident
 * and user, jobs per delivery, and the outbox row is marked processed only once the jobs are in Redis.
 */
export async function handleIncidentDeclared(
  ctx: WorkerContext,
  job: OutboxJob,
): Promise<IncidentDeclaredResult> {
  const { db, config, logger } = ctx;
  if (await isProcessed(ctx, job.outboxId)) return { status: "already-processed", recipients: 0 };

  const incident = await loadIncidentForMail(db, job.aggregateId);
  if (!incident) {
    logger.error({ outboxId: job.outboxId, incidentId: job.aggregateId }, "declared incident not found");
    await markProcessed(ctx, job.outboxId, "incident not found");
    return { status: "incident-missing", recipients: 0 };
  }
  // Its service level and regulatory clocks start now: their timers are planned first.
  await reconcileIncidentTimers(db, config, incident.id);

  const roles = recipientRoles(incident.severity);
  const recipients = await db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(and(eq(users.active, true), inArray(users.role, roles)));
  if (recipients.length > 0) {
    await notifyRecipients(ctx, {
      incidentId: incident.id,
      template: "incident-declared",
      recipients,
      dedupeKey: (userId) => `incident.declared:${incident.id}:${userId}`,
      messageId: (userId) => incidentDeclaredMessageId(incident.id, userId, mailDomain(config)),
      logBody: { roles },
    });
  } else {
    logger.warn({ incidentId: incident.id }, "no active recipient for a declared incident");
  }
  await markProcessed(ctx, job.outboxId, null);
  return { status: "done", recipients: recipients.length };
}
