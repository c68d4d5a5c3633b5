import { mailDomain } from "@pris/config";
import { users } from "@pris/db";
import type { EvidenceQuarantinedPayload, OutboxJob } from "@pris/domain";
import { and, eq } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { loadIncidentForNotice } from "../mail/notice-mail.ts";
import { notifyRecipients } from "./notify-recipients.ts";
import { markProcessed } from "./outbox-row.ts";

/** One per file and analyst: a replayed outbox row sends nothing more. */
export function evidenceQuarantinedDedupeKey(fileId: string, userId: string): string {
  return `evidence.quarantined:${fileId}:${userId}`;
}

export interface EvidenceQuarantinedResult {
  status: "done" | "incident-missing";
  recipients: number;
}

/**
 * A file handed over was found infected, or could not be scanned: it is never served, and every active
 * analyst of the pole is e-mailed once, so that someone looks at it (a sample to analyse, a scanner to
 * repair). The main courante records the notification.
 */
export async function handleEvidenceQuarantined(
  ctx: WorkerContext,
  job: OutboxJob,
  { fileId }: EvidenceQuarantinedPayload,
): Promise<EvidenceQuarantinedResult> {
  const { db, config, logger } = ctx;
  const incident = await loadIncidentForNotice(db, job.aggregateId);
  if (!incident) {
    logger.error({ outboxId: job.outboxId, incidentId: job.aggregateId }, "incident of the file not found");
    await markProcessed(ctx, job.outboxId, "incident not found");
    return { status: "incident-missing", recipients: 0 };
  }
  const recipients = await db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(and(eq(users.active, true), eq(users.role, "analyst")));
  if (recipients.length > 0) {
    await notifyRecipients(ctx, {
      incidentId: incident.id,
      subjectId: fileId,
      template: "evidence-quarantined",
      recipients,
      dedupeKey: (userId) => evidenceQuarantinedDedupeKey(fileId, userId),
      messageId: (userId) => `<evidence-quarantined.${fileId}.${userId}@${mailDomain(config)}>`,
      logBody: { roles: ["analyst"], fileId },
    });
  } else {
    logger.warn({ incidentId: incident.id }, "no active analyst to tell of a quarantined file");
  }
  await markProcessed(ctx, job.outboxId, null);
  return { status: "done", recipients: recipients.length };
}
