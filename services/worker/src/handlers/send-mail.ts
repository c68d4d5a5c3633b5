import { mailDeliveries, type Tx } from "@pris/db";
import { isMailDeliveryTemplate, type SendMailJob } from "@pris/domain";
import { UnrecoverableError } from "bullmq";
import { and, eq, inArray, sql } from "drizzle-orm";
import { renderMailboxUnsubscribedMail } from "../bulletins/mailbox-unsubscribed.ts";
import type { WorkerContext } from "../context.ts";
import { renderLogCheckpointMail } from "../evidence/log-checkpoint.ts";
import { renderEvidenceQuarantinedMail } from "../mail/evidence-quarantined-mail.ts";
import { renderExerciseMail, renderRetexReviewMail } from "../mail/exercise-mail.ts";
import { loadIncidentForMail, renderIncidentDeclaredMail } from "../mail/incident-declared-mail.ts";
import { renderIncidentMessageMail } from "../mail/incident-message-mail.ts";
import { renderIntakeAcknowledgedMail } from "../mail/intake-acknowledged-mail.ts";
import { renderInvitationMail } from "../mail/invitation-mail.ts";
import {
  loadIncidentForNotice,
  loadTimerForMail,
  renderEscalationMail,
  renderTimerMail,
} from "../mail/notice-mail.ts";
import type { RenderedMail } from "../mail/templates.ts";
import { classifySmtpError } from "../mail/transport.ts";
import { renderPasswordResetMail } from "../passwords/password-reset.ts";
import { recordAfterLoss } from "../record-after-loss.ts";
import { timerPlanSettings } from "../timers/timer-state.ts";

export type Delivery = typeof mailDeliveries.$inferSelect;

/**
 * Renders a delivery's template from the rows as they are now; undefined when its subject is gone, or
 * when the row names a template this worker does not hold (the caller fails the delivery and says so).
 */
export async function render(
  ctx: WorkerContext,
  tx: Tx,
  delivery: Delivery,
): Promise<RenderedMail | undefined> {
  const { template, subjectId, createdAt } = delivery;
  switch (template) {
    case "incident-declared": {
      const incident = await loadIncidentForMail(tx, subjectId);
      return incident && renderIncidentDeclaredMail(incident, ctx.config);
    }
    case "incident-escalated": {
      const incident = await loadIncidentForNotice(tx, subjectId);
      return incident && renderEscalationMail(incident, ctx.config);
    }
    case "incident-message":
      return renderIncidentMessageMail(tx, ctx.config, subjectId);
    case "intake-acknowledged":
      return renderIntakeAcknowledgedMail(tx, ctx.config, subjectId);
    case "log-checkpoint":
      return renderLogCheckpointMail(tx, ctx, subjectId);
    case "invitation":
      return renderInvitationMail(tx, ctx.config, subjectId);
    case "password-reset":
      return renderPasswordResetMail(tx, ctx.config, delivery);
    case "evidence-quarantined":
      return renderEvidenceQuarantinedMail(tx, ctx.config, subjectId);
    case "mailbox-unsubscribed":
      return renderMailboxUnsubscribedMail(tx, ctx.config, subjectId);
    case "exercise-due":
    case "exercise-unplanned":
    case "action-overdue":
    case "exercise-digest":
      return renderExerciseMail(tx, ctx.config, { template, subjectId, createdAt });
    case "retex-validated":
    case "retex-returned":
      return renderRetexReviewMail(tx, ctx.config, delivery);
    case "sla-reminder":
    case "sla-missed":
    case "followup-due":
    case "clock-reminder":
    case "clock-overdue": {
      // A timer's e-mail has the timer as its subject.
      const timer = await loadTimerForMail(tx, subjectId);
      const { serviceLevels } = timerPlanSettings(ctx.config);
      return timer && renderTimerMail(timer, { ...ctx.config, serviceLevels });
    }
    default: {
      // The column's type is a promise the data may not keep (a row written by another version): a
      // template added without its renderer does not compile, and a name no renderer knows is reported.
      const unknown: never = template;
      ctx.logger.error(
        { deliveryId: delivery.id, template: unknown },
        "e-mail delivery names an unknown template",
      );
      return undefined;
    }
  }
}

/** Why a delivery that rendered nothing is failed. */
export function nothingToRender(delivery: Delivery): string {
  return isMailDeliveryTemplate(delivery.template)
    ? `nothing to render: template ${delivery.template}, subject ${delivery.subjectId}`
    : `unknown mail template ${JSON.stringify(delivery.template)}`;
}

/** Records a delivery sent, if it is still owed (another run may have recorded it already). */
function markSent(tx: Tx, deliveryId: string, response: string) {
  return tx
    .update(mailDeliveries)
    .set({
      status: "sent",
      attempts: sql`${mailDeliveries.attempts} + 1`,
      smtpResponse: response,
      lastError: null,
      sentAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(mailDeliveries.id, deliveryId), inArray(mailDeliveries.status, ["queued", "deferred"])));
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
 * timeouts. If the transaction is lost after the server's acceptance (its connection cut, PostgreSQL
 * restarted), the e-mail is recorded on a new connection instead. What is left is a crash between the
 * acceptance and the commit, or a database away for longer than recordAfterLoss waits: then the retry
 * sends a duplicate, recognisable by its deterministic Message-ID.
 */
export async function handleSendMail(
  ctx: WorkerContext,
  job: SendMailJob,
  attempt: Attempt,
): Promise<SendMailResult> {
  const { db, mail, logger } = ctx;
  const smtp: { accepted?: string } = {};
  const outcome: Outcome = await db
    .transaction(async (tx): Promise<Outcome> => {
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
        const reason = nothingToRender(delivery);
        await tx
          .update(mailDeliveries)
          .set({ status: "failed", lastError: reason, updatedAt: sql`now()` })
          .where(eq(mailDeliveries.id, delivery.id));
        return { status: "failed", reason };
      }

      try {
        const result = await mail.send({
          ...rendered,
          to: delivery.toAddress,
          messageId: delivery.messageId,
        });
        smtp.accepted = result.response;
        await markSent(tx, delivery.id, result.response);
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
    })
    .catch(async (err: unknown): Promise<Outcome> => {
      const response = smtp.accepted;
      if (response === undefined) throw err;
      const recorded = await recordAfterLoss(db, logger, "an e-mail", (tx) =>
        markSent(tx, job.deliveryId, response),
      );
      if (!recorded) throw err;
      logger.warn(
        { deliveryId: job.deliveryId },
        "e-mail accepted, then its transaction lost; recorded sent",
      );
      return { status: "sent" };
    });

  if (outcome.status === "sent" || outcome.status === "deferred" || outcome.status === "failed")
    ctx.metrics.emails.inc({ kind: "single", outcome: outcome.status });
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
