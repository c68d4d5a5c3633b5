import { mailDeliveries, type Tx } from "@pris/db";
import { UnrecoverableError } from "bullmq";
import { eq, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { LOG_CHECKPOINT_TEMPLATE, renderLogCheckpointMail } from "../evidence/log-checkpoint.ts";
import { REMINDER_TEMPLATES } from "../exercises/exercise-reminders.ts";
import { RETEX_REVIEW_TEMPLATES } from "../exercises/retex-reviewed.ts";
import { renderExerciseMail, renderRetexReviewMail } from "../mail/exercise-mail.ts";
import { loadIncidentForMail, renderIncidentDeclaredMail } from "../mail/incident-declared-mail.ts";
import {
  loadIncidentForNotice,
  loadTimerForMail,
  renderEscalationMail,
  renderTimerMail,
} from "../mail/notice-mail.ts";
import type { RenderedMail } from "../mail/templates.ts";
import { classifySmtpError } from "../mail/transport.ts";
import type { SendMailJob } from "../queues.ts";
import { TIMER_TEMPLATES, timerPlanSettings } from "../timers/timer-state.ts";

type Delivery = typeof mailDeliveries.$inferSelect;

const TIMER_TEMPLATE_NAMES = new Set<string>(Object.values(TIMER_TEMPLATES));
const REMINDER_TEMPLATE_NAMES = new Set<string>(Object.values(REMINDER_TEMPLATES));
const RETEX_REVIEW_TEMPLATE_NAMES = new Set<string>(Object.values(RETEX_REVIEW_TEMPLATES));

/** Renders a delivery's template from the rows as they are now; undefined when its subject is gone. */
async function render(ctx: WorkerContext, tx: Tx, delivery: Delivery): Promise<RenderedMail | undefined> {
  switch (delivery.template) {
    case "incident-declared": {
      const incident = await loadIncidentForMail(tx, delivery.subjectId);
      return incident && renderIncidentDeclaredMail(incident, ctx.config);
    }
    case "incident-escalated": {
      const incident = await loadIncidentForNotice(tx, delivery.subjectId);
      return incident && renderEscalationMail(incident, ctx.config);
    }
    case LOG_CHECKPOINT_TEMPLATE:
      return renderLogCheckpointMail(tx, ctx, delivery.subjectId);
    default: {
      if (REMINDER_TEMPLATE_NAMES.has(delivery.template)) return renderExerciseMail(tx, ctx.config, delivery);
      if (RETEX_REVIEW_TEMPLATE_NAMES.has(delivery.template))
        return renderRetexReviewMail(tx, ctx.config, delivery);
      if (!TIMER_TEMPLATE_NAMES.has(delivery.template)) return undefined;
      // A timer's e-mail has the timer as its subject.
      const timer = await loadTimerForMail(tx, delivery.subjectId);
      const { serviceLevels } = timerPlanSettings(ctx.config);
      return timer && renderTimerMail(timer, { ...ctx.config, serviceLevels });
    }
  }
}

/** The SMTP server deferred the message, or could not be reached: BullMQ retries with backoff. */
export class MailDeferredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MailDeferredError";
  }
}

/** Another run holds the delivery (a stalled job picked up again): retry and find it sent. */
export class DeliveryBusyError extends Error {
  constructor(deliveryId: string) {
    super(`delivery ${deliveryId} is being sent by another job`);
    this.name = "DeliveryBusyError";
  }
}

export type SendMailResult = { status: "sent" | "already-sent" | "already-failed" };

type Outcome =
  | SendMailResult
  | { status: "deferred" | "failed"; reason: string }
  | { status: "missing"; reason: string };

export interface Attempt {
  /** Whether BullMQ will not try this job again after this run. */
  last: boolean;
}

/**
 * Sends one e-mail at most once. The delivery row is locked for the whole send, so two runs of
 * the same delivery cannot both reach the SMTP server, and a delivery recorded as sent is never
 * sent again. The lock is held over the SMTP exchange on purpose: it is bounded by the transport's
 * timeouts. What is left is a crash between the server's acceptance and the commit: then the
 * retry sends a duplicate, recognisable by its deterministic Message-ID.
 */
export async function handleSendMail(
  ctx: WorkerContext,
  job: SendMailJob,
  attempt: Attempt,
): Promise<SendMailResult> {
  const { db, mail, logger } = ctx;
  const outcome: Outcome = await db.transaction(async (tx) => {
    const [delivery] = await tx
      .select()
      .from(mailDeliveries)
      .where(eq(mailDeliveries.id, job.deliveryId))
      .for("update", { skipLocked: true });
    if (!delivery) {
      const [exists] = await tx
        .select({ id: mailDeliveries.id })
        .from(mailDeliveries)
        .where(eq(mailDeliveries.id, job.deliveryId));
      if (exists) throw new DeliveryBusyError(job.deliveryId);
      return { status: "missing", reason: "delivery not found" };
    }
    if (delivery.status === "sent") return { status: "already-sent" };
    if (delivery.status === "failed") return { status: "already-failed" };

    const rendered = await render(ctx, tx, delivery);
    if (!rendered) {
      const reason = `nothing to render: template ${delivery.template}, subject ${delivery.subjectId}`;
      await tx
        .update(mailDeliveries)
        .set({ status: "failed", lastError: reason, updatedAt: sql`now()` })
        .where(eq(mailDeliveries.id, delivery.id));
      return { status: "failed", reason };
    }

    try {
      const result = await mail.send({ ...rendered, to: delivery.toAddress, messageId: delivery.messageId });
      await tx
        .update(mailDeliveries)
        .set({
          status: "sent",
          attempts: sql`${mailDeliveries.attempts} + 1`,
          smtpResponse: result.response,
          lastError: null,
          sentAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(eq(mailDeliveries.id, delivery.id));
      return { status: "sent" };
    } catch (err) {
      const failure = classifySmtpError(err);
      const status = failure.kind === "permanent" || attempt.last ? "failed" : "deferred";
      await tx
        .update(mailDeliveries)
        .set({
          status,
          attempts: sql`${mailDeliveries.attempts} + 1`,
          smtpResponse: failure.code === undefined ? null : failure.message,
          lastError: failure.message,
          updatedAt: sql`now()`,
        })
        .where(eq(mailDeliveries.id, delivery.id));
      logger.warn(
        { deliveryId: delivery.id, smtpCode: failure.code, status, err },
        status === "deferred" ? "e-mail deferred; will retry" : "e-mail failed",
      );
      return { status, reason: failure.message };
    }
  });

  switch (outcome.status) {
    case "missing":
    case "failed":
      throw new UnrecoverableError(outcome.reason);
    case "deferred":
      throw new MailDeferredError(outcome.reason);
    default:
      return outcome;
  }
}
