import { mailDomain } from "@pris/config";
import { outbox, type Tx, users } from "@pris/db";
import { OUTBOX_PAYLOAD_SCHEMAS, type OutboxJob, type Role } from "@pris/domain";
import { contextFromCarrier, withSpan } from "@pris/telemetry";
import { and, asc, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { loadIncidentsForMail } from "../mail/incident-declared-mail.ts";
import { type PollLoop, pollLoop } from "../poll-loop.ts";
import { InvalidPayloadError, payloadProblems } from "../queues.ts";
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

/** Declarations handled in one transaction at most. */
export const DECLARATION_BATCH = 100;

export interface IncidentDeclaredResult {
  status: "done" | "already-processed";
  /** Declarations handled in the transaction. */
  declarations: number;
  recipients: number;
}

/**
 * Declarations are taken straight from the outbox, as the delivery fan-out takes e-mails from
 * mail_deliveries: no BullMQ job each (the relay leaves `incident.declared` rows alone), so a burst of
 * declarations costs a few transactions, and the pole hears of a declaration whether Redis answers or not.
 * Each round claims up to DECLARATION_BATCH waiting rows with FOR UPDATE SKIP LOCKED (several workers take
 * batches side by side without sharing a row) and handles them in one transaction of a dozen statements:
 * their incidents locked in id order, their service level and regulatory clocks planned, one delivery row
 * per recipient, one main-courante entry each, the rows marked processed. A round that fails rolls back
 * and its rows are claimed again; every step can run again (timers and delivery rows are unique). Woken
 * when outbox rows commit (NOTIFY, as the relay), polled every OUTBOX_POLL_MS as the safety net.
 */
export function createDeclarationIntake(
  ctx: WorkerContext,
  options: { pollMs: number; batchSize?: number; gatherMs?: number },
): PollLoop {
  const { db, logger } = ctx;
  const batchSize = options.batchSize ?? DECLARATION_BATCH;
  /** One batch, or the one declaration `only`; returns how many it handled. */
  async function batch(only?: string): Promise<number> {
    const handled = await db.transaction(async (tx) => {
      const rows = await claimDeclarations(tx, only ? 1 : batchSize, { only });
      if (rows.length === 0) return { declarations: 0, recipients: 0 };
      // The batch continues the trace of its first declaration, whose e-mails carry it on; the others'
      // e-mails carry the trace of the request that declared them.
      const [first, ...others] = rows;
      return withSpan(
        "declarations",
        { parent: contextFromCarrier(first!.traceContext), attributes: { "pris.declarations": rows.length } },
        () => handleDeclarations(ctx, tx, [{ ...first!, traceContext: undefined }, ...others]),
      );
    });
    if (handled.recipients > 0) ctx.wakeDeliveryFanout();
    return handled.declarations;
  }
  /**
   * A batch that fails is tried again one declaration at a time: one that cannot be handled (its main
   * courante refusing an entry, say) must not hold back the alerts of all the others. It keeps its error
   * and stays pending, tried again at every round.
   */
  async function round(): Promise<number> {
    try {
      return await batch();
    } catch (err) {
      logger.warn({ err }, "a batch of declarations failed; each is tried alone");
      const pending = await db
        .select({ id: outbox.id })
        .from(outbox)
        .where(and(eq(outbox.topic, "incident.declared"), isNull(outbox.processedAt)))
        .orderBy(asc(outbox.createdAt))
        .limit(batchSize);
      let handled = 0;
      for (const { id } of pending) {
        try {
          handled += await batch(id);
        } catch (error) {
          logger.error({ err: error, outboxId: id }, "declaration not handled; it stays pending");
          // drizzle wraps the server's error, which says what went wrong, in `cause`.
          const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
          const message = cause instanceof Error ? cause.message : String(cause);
          await db
            .update(outbox)
            .set({ lastError: message.slice(0, 2000) })
            .where(eq(outbox.id, id))
            .catch(() => {});
        }
      }
      return handled;
    }
  }
  return pollLoop({
    round,
    ready: () => true,
    batchSize,
    pollMs: options.pollMs,
    gatherMs: options.gatherMs,
    logger,
    messages: {
      failing: "declarations not handled; they stay pending and will be retried",
      recovered: "declarations handled again",
    },
  });
}

/**
 * The job of an `incident.declared` row, which only a worker of an earlier version relays (during a
 * rolling deploy): its own row, waited for if a batch holds it, and the others waiting beside it, handled
 * as the declaration intake does.
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
    const others = await claimDeclarations(tx, DECLARATION_BATCH - 1, { except: job.outboxId });
    // Its own row's payload was checked before the handler ran.
    const rows = [
      { id: job.outboxId, aggregateId: job.aggregateId, payload: undefined, traceContext: undefined },
      ...others,
    ];
    return handleDeclarations(ctx, tx, rows);
  });
  if (result.recipients > 0) ctx.wakeDeliveryFanout();
  return result;
}

/**
 * Declarations waiting, oldest first, locked for this transaction; those others hold are skipped. `only`
 * one of them, or all `except` one.
 */
function claimDeclarations(tx: Tx, limit: number, which: { only?: string; except?: string } = {}) {
  return tx
    .select({
      id: outbox.id,
      aggregateId: outbox.aggregateId,
      payload: outbox.payload,
      traceContext: outbox.traceContext,
    })
    .from(outbox)
    .where(
      and(
        eq(outbox.topic, "incident.declared"),
        isNull(outbox.processedAt),
        which.only ? eq(outbox.id, which.only) : undefined,
        which.except ? ne(outbox.id, which.except) : undefined,
      ),
    )
    .orderBy(asc(outbox.createdAt))
    .limit(limit)
    .for("update", { skipLocked: true });
}

interface DeclarationRow {
  id: string;
  aggregateId: string;
  /** Checked against the topic's schema unless undefined (already checked). */
  payload: Record<string, unknown> | undefined;
  /** The trace its e-mails continue; undefined for the current one. */
  traceContext: Record<string, string> | null | undefined;
}

async function handleDeclarations(
  ctx: WorkerContext,
  tx: Tx,
  claimed: DeclarationRow[],
): Promise<IncidentDeclaredResult> {
  const { config, logger } = ctx;
  // A payload that is not the topic's is a writer's bug no retry can fix: marked processed with the
  // problems, as loadOutboxMessage does for a job's row.
  const rows: DeclarationRow[] = [];
  for (const row of claimed) {
    const problems = row.payload
      ? payloadProblems(OUTBOX_PAYLOAD_SCHEMAS["incident.declared"], row.payload)
      : [];
    if (problems.length === 0) {
      rows.push(row);
      continue;
    }
    const error = new InvalidPayloadError("incident.declared outbox row", problems);
    await tx
      .update(outbox)
      .set({ processedAt: sql`now()`, lastError: error.message.slice(0, 2000) })
      .where(eq(outbox.id, row.id));
    logger.error(
      { outboxId: row.id, topic: "incident.declared", problems },
      "outbox row's payload does not match its topic; not handled",
    );
  }
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
    declarations: claimed.length,
    recipients: notifications.reduce((sum, n) => sum + n.recipients.length, 0),
  };
}
