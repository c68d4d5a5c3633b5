import { appendLogEntries, incidents, insertRecords, mailDeliveries, type Tx } from "@pris/db";
import { currentTraceCarrier } from "@pris/telemetry";
import { eq, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import type { BatchedTemplate } from "../mail/delivery-fanout.ts";

export interface Notification {
  incidentId: string;
  template: BatchedTemplate;
  /** What the e-mail is rendered from, when not the incident itself (a main-courante entry). */
  subjectId?: string;
  recipients: { id: string; email: string }[];
  /** One per recipient and reason: a second run finds the row and sends nothing new. */
  dedupeKey(userId: string): string;
  /** Stable across retries, so that a duplicate e-mail is recognisable. */
  messageId(userId: string): string;
  /** What the main courante records besides channel, template and count. */
  logBody: Record<string, unknown>;
}

/**
 * One delivery row per recipient (unique dedupe key) and, by the run that created them, one internal
 * entry in the main courante — under the incident's row lock, as appendLogEntry requires — then wakes
 * the delivery fan-out, which sends them in batches. Every step can run again without sending twice.
 */
export async function notifyRecipients(ctx: WorkerContext, n: Notification): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    await tx.select({ id: incidents.id }).from(incidents).where(eq(incidents.id, n.incidentId)).for("update");
    await recordNotifications(tx, [n]);
  });
  ctx.wakeDeliveryFanout();
}

/**
 * The delivery rows and main-courante entries of several notifications, in three statements, within the
 * caller's transaction, which holds every incident's row lock. The e-mails carry the trace they are
 * owed in (`traceContext`), by default the current one.
 */
export async function recordNotifications(
  tx: Tx,
  notifications: (Notification & { traceContext?: Record<string, string> | null })[],
): Promise<void> {
  const current = currentTraceCarrier();
  const rows = notifications.flatMap((n) =>
    n.recipients.map((u) => ({
      dedupeKey: n.dedupeKey(u.id),
      template: n.template,
      subjectId: n.subjectId ?? n.incidentId,
      userId: u.id,
      toAddress: u.email,
      messageId: n.messageId(u.id),
      traceContext: n.traceContext === undefined ? current : n.traceContext,
    })),
  );
  if (rows.length === 0) return;
  // A burst's thousands of rows in one JSON parameter (insertRecords), not a VALUES list value by value.
  const created = await tx.execute<{ dedupe_key: string }>(
    sql`${insertRecords(mailDeliveries, rows)} ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key`,
  );
  const createdKeys = new Set(created.rows.map((c) => c.dedupe_key));
  // Only the run that created an incident's rows records them.
  const entries = notifications.flatMap((n) => {
    const recipients = n.recipients.filter((u) => createdKeys.has(n.dedupeKey(u.id))).length;
    if (recipients === 0) return [];
    const body = { channel: "email", template: n.template, ...n.logBody, recipients };
    return [
      { incidentId: n.incidentId, kind: "notification" as const, visibility: "internal" as const, body },
    ];
  });
  await appendLogEntries(tx, entries);
}
