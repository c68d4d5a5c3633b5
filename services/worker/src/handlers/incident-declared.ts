import { mailDomain } from "@pris/config";
import { outbox, type Tx, users } from "@pris/db";
import type { OutboxJob, Role } from "@pris/domain";
import { and, asc, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { loadIncidentsForMail } from "../mail/incident-declared-mail.ts";
import { reconcileTimers } from "../timers/reconcile-timers.ts";
import { recordNotifications } from "./notify-recipients.ts";

/** The pole's analysts always; the task force and the ARS too when the incident is major. */
export function recipientRoles(severity: string): Role[] {
  return severity === "P1" ? ["analyst", "taskforce", "ars"] : ["analyst"];
}

/** Stable across retries and processes, so a duplicate e-mail is recognisable by its Message-ID. */
export function incidentDeclaredMessageId(incidentId: string, userId: string, domain: string): string {
  return `<incident-declared.${incidentId}.${userId}@${domain}>`;
}

/** Declarations handled by one job at most: its own and those waiting beside it. */
export const DECLARATION_BATCH = 100;

export interface IncidentDeclaredResult {
  status: "done" | "already-processed";
  /** Declarations handled, this job's own and the others it took. */
  declarations: number;
  recipients: number;
}

/**
 * Turns declarations into one delivery row per recipient, plans their service level and regulatory
 * clocks, and wakes the delivery fan-out. A job does this for its own declaration and for every other
 * one still waiting (up to DECLARATION_BATCH), in one transaction of a dozen statements, so a burst of
 * declarations costs a few transactions rather than a dozen round trips each; the jobs of the
 * declarations it took find their row processed and end at once.
 *
 * Locks: its own outbox row first, waited for (another job's batch holding it has processed it when
 * it lets go), then the other waiting rows with SKIP LOCKED, then their incidents in id order. Every
 * step can run again: timers and delivery rows are unique, and rows are marked processed in the same
 * transaction as their effects.
 */
export async function handleIncidentDeclared(
  ctx: WorkerContext,
  job: OutboxJob,
): Promise<IncidentDeclaredResult> {
  const result = await ctx.db.transaction(async (tx): Promise<IncidentDeclaredResult> => {
    const [own] = await tx
      .select({ processedAt: outbox.processedAt })
      .from(outbox)
      .where(eq(outbox.id, job.outboxId))
      .for("update");
    if (!own || own.processedAt) return { status: "already-processed", declarations: 0, recipients: 0 };
    const others = await tx
      .select({ id: outbox.id, aggregateId: outbox.aggregateId, traceContext: outbox.traceContext })
      .from(outbox)
      .where(
        and(eq(outbox.topic, "incident.declared"), isNull(outbox.processedAt), ne(outbox.id, job.outboxId)),
      )
      .orderBy(asc(outbox.createdAt))
      .limit(DECLARATION_BATCH - 1)
      .for("update", { skipLocked: true });
    // This job's e-mails continue its own trace; the others', the trace of the request that declared them.
    const rows = [{ id: job.outboxId, aggregateId: job.aggregateId, traceContext: undefined }, ...others];
    return handleDeclarations(ctx, tx, rows);
  });
  if (result.recipients > 0) ctx.wakeDeliveryFanout();
  return result;
}

async function handleDeclarations(
  ctx: WorkerContext,
  tx: Tx,
  rows: { id: string; aggregateId: string; traceContext: Record<string, string> | null | undefined }[],
): Promise<IncidentDeclaredResult> {
  const { config, logger } = ctx;
  const incidentIds = rows.map((r) => r.aggregateId);
  // Their service level and regulatory clocks start now: their timers are planned first, under the
  // incident locks the main courante needs next.
  await reconcileTimers(tx, config, incidentIds, "update");
  const incidents = await loadIncidentsForMail(tx, incidentIds);
  const missing = rows.filter((r) => !incidents.has(r.aggregateId));
  if (missing.length > 0) {
    logger.error(
      { outboxIds: missing.map((r) => r.id), incidentIds: missing.map((r) => r.aggregateId) },
      "declared incident not found",
    );
  }

  const people = await tx
    .select({ id: users.id, email: users.email, role: users.role })
    .from(users)
    .where(and(eq(users.active, true), inArray(users.role, recipientRoles("P1"))));
  const domain = mailDomain(config);
  const notifications = rows.flatMap((row) => {
    const incident = incidents.get(row.aggregateId);
    if (!incident) return [];
    const roles = recipientRoles(incident.severity);
    const recipients = people.filter((p) => roles.includes(p.role as Role));
    if (recipients.length === 0)
      logger.warn({ incidentId: incident.id }, "no active recipient for a declared incident");
    return [
      {
        incidentId: incident.id,
        template: "incident-declared" as const,
        recipients,
        dedupeKey: (userId: string) => `incident.declared:${incident.id}:${userId}`,
        messageId: (userId: string) => incidentDeclaredMessageId(incident.id, userId, domain),
        logBody: { roles },
        traceContext: row.traceContext,
      },
    ];
  });
  await recordNotifications(tx, notifications);

  const done = rows.filter((r) => incidents.has(r.aggregateId)).map((r) => r.id);
  if (done.length > 0) {
    await tx.update(outbox).set({ processedAt: sql`now()`, lastError: null }).where(inArray(outbox.id, done));
  }
  if (missing.length > 0) {
    await tx
      .update(outbox)
      .set({ processedAt: sql`now()`, lastError: "incident not found" })
      .where(
        inArray(
          outbox.id,
          missing.map((r) => r.id),
        ),
      );
  }
  return {
    status: "done",
    declarations: rows.length,
    recipients: notifications.reduce((sum, n) => sum + n.recipients.length, 0),
  };
}
