import { appendLogEntry, incidents, mailDeliveries } from "@pris/db";
import { currentTraceCarrier } from "@pris/telemetry";
import { eq } from "drizzle-orm";
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
  const { db } = ctx;
  const dedupeKeys = n.recipients.map((u) => n.dedupeKey(u.id));
  // The batched send continues the trace of the work that owes the e-mails (a traced declaration).
  const traceContext = currentTraceCarrier();
  await db.transaction(async (tx) => {
    await tx.select({ id: incidents.id }).from(incidents).where(eq(incidents.id, n.incidentId)).for("update");
    const created = await tx
      .insert(mailDeliveries)
      .values(
        n.recipients.map((u, i) => ({
          dedupeKey: dedupeKeys[i]!,
          template: n.template,
          subjectId: n.subjectId ?? n.incidentId,
          userId: u.id,
          toAddress: u.email,
          messageId: n.messageId(u.id),
          traceContext,
        })),
      )
      .onConflictDoNothing({ target: mailDeliveries.dedupeKey })
      .returning({ id: mailDeliveries.id });
    if (created.length > 0) {
      await appendLogEntry(tx, {
        incidentId: n.incidentId,
        kind: "notification",
        visibility: "internal",
        body: { channel: "email", template: n.template, ...n.logBody, recipients: created.length },
      });
    }
  });
  ctx.wakeDeliveryFanout();
}
