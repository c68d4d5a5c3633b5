import Type, { type Static } from "typebox";
import { UuidSchema } from "./contracts/common.ts";

/**
 * Every BullMQ queue of the service, with the names and payloads of its jobs. Payloads carry ids only:
 * the job re-reads the rows, so nothing personal or secret sits in Redis, and a job always works on
 * fresh data.
 */
export const QUEUE_NAMES = {
  /** Outbox rows relayed from PostgreSQL; the job is named after the row's topic (an OutboxTopic). */
  outbox: "outbox",
  /** One e-mail to one person, by its mail_deliveries row; the job is named after its MailDeliveryTemplate. */
  sendMail: "send-mail",
  /** Recurring housekeeping run by job schedulers. */
  maintenance: "maintenance",
} as const;
export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

export const OutboxJobSchema = Type.Object(
  {
    outboxId: UuidSchema,
    aggregateId: UuidSchema,
  },
  { additionalProperties: false },
);
export type OutboxJob = Static<typeof OutboxJobSchema>;

export const SendMailJobSchema = Type.Object({ deliveryId: UuidSchema }, { additionalProperties: false });
export type SendMailJob = Static<typeof SendMailJobSchema>;

export const MAINTENANCE_JOBS = {
  /** Exercise reminders owed today: before planned exercises, unplanned years, overdue actions, digest. */
  exerciseReminders: "exercise-reminders",
  bulletinReminders: "bulletin-reminders",
  /** The daily signed checkpoint of the main courantes' heads, e-mailed to the ARS (LOG_CHECKPOINT_TIME). */
  logCheckpoint: "log-checkpoint",
  /** Hourly: issues the checkpoint a stopped worker missed, and the first one right after deployment. */
  logCheckpointCatchUp: "log-checkpoint-catch-up",
  /** Daily: traces of access older than ACCESS_TRACE_RETENTION_DAYS are deleted. */
  pruneAccessTraces: "prune-access-traces",
  /**
   * Daily: evidence files and e-mail bodies of incidents closed over RETENTION_CLOSED_DAYS ago are purged;
   * so are quarantined e-mails never attached (RETENTION_QUARANTINE_DAYS) and stored bytes named by no file.
   */
  purgeClosedIncidents: "purge-closed-incidents",
  /** Hourly: the sign-in throttle's failures older than a day are deleted. */
  pruneSignInRecords: "prune-sign-in-records",
} as const;
export type MaintenanceJobName = (typeof MAINTENANCE_JOBS)[keyof typeof MAINTENANCE_JOBS];
export const SweepJobSchema = Type.Object({}, { additionalProperties: false });
export type SweepJob = Static<typeof SweepJobSchema>;
