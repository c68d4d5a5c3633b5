import type { ReminderKind, RetexDecision } from "./exercises.ts";
import type { TimerKind } from "./timer-plan.ts";

/**
 * Every e-mail sent from a mail_deliveries row, by its template's name: the worker renders
 * `mail/templates/<name>.{subject,text,html}.hbs`, the row records the name and the send-mail job is
 * named after it.
 */
export const MAIL_DELIVERY_TEMPLATES = [
  "incident-declared",
  "incident-escalated",
  "incident-message",
  "sla-reminder",
  "sla-missed",
  "followup-due",
  "clock-reminder",
  "clock-overdue",
  "exercise-due",
  "exercise-unplanned",
  "action-overdue",
  "exercise-digest",
  "retex-validated",
  "retex-returned",
  "log-checkpoint",
  "invitation",
  "password-reset",
  "mailbox-unsubscribed",
  "intake-acknowledged",
  "evidence-quarantined",
] as const;
export type MailDeliveryTemplate = (typeof MAIL_DELIVERY_TEMPLATES)[number];

/** A bulletin is sent by the fan-out from its own deliveries table, not from mail_deliveries. */
export const BULLETIN_MAIL_TEMPLATE = "bulletin";

/** Every template the worker holds. */
export const MAIL_TEMPLATES = [...MAIL_DELIVERY_TEMPLATES, BULLETIN_MAIL_TEMPLATE] as const;
export type MailTemplate = (typeof MAIL_TEMPLATES)[number];

export function isMailDeliveryTemplate(name: string): name is MailDeliveryTemplate {
  return (MAIL_DELIVERY_TEMPLATES as readonly string[]).includes(name);
}

/** The e-mail of each timer kind. */
export const TIMER_MAIL_TEMPLATES = {
  "sla.remind": "sla-reminder",
  "sla.missed": "sla-missed",
  "followup.due": "followup-due",
  "clock.remind": "clock-reminder",
  "clock.overdue": "clock-overdue",
} as const satisfies Record<TimerKind, MailDeliveryTemplate>;
export type TimerMailTemplate = (typeof TIMER_MAIL_TEMPLATES)[TimerKind];

/** The e-mail of each exercise reminder; the three "days before" share one. */
export const REMINDER_MAIL_TEMPLATES = {
  "exercise-due-30": "exercise-due",
  "exercise-due-7": "exercise-due",
  "exercise-due-1": "exercise-due",
  "exercise-unplanned": "exercise-unplanned",
  "action-overdue": "action-overdue",
  "exercise-digest": "exercise-digest",
} as const satisfies Record<ReminderKind, MailDeliveryTemplate>;
export type ReminderMailTemplate = (typeof REMINDER_MAIL_TEMPLATES)[ReminderKind];

/** The e-mail telling an establishment of the ARS's decision on its RETEX. */
export const RETEX_REVIEW_MAIL_TEMPLATES = {
  validated: "retex-validated",
  returned: "retex-returned",
} as const satisfies Record<RetexDecision, MailDeliveryTemplate>;
