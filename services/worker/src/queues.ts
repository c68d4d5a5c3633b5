import type { Config } from "@pris/config";
import { RETEX_REVIEWED_TOPIC, UuidSchema } from "@pris/domain";
import { type JobsOptions, Queue, UnrecoverableError } from "bullmq";
import type { Redis } from "ioredis";
import Type, { type Static, type TSchema } from "typebox";
import { Value } from "typebox/value";

/**
 * Every queue of the service. Payloads carry ids only: the job re-reads the rows, so nothing
 * personal or secret sits in Redis, and a job always works on fresh data.
 */
export const QUEUE_NAMES = {
  /** Outbox rows relayed from PostgreSQL; the job name is the outbox topic. */
  outbox: "outbox",
  /** One e-mail to one person, by its mail_deliveries row. */
  sendMail: "send-mail",
  /** Recurring housekeeping run by job schedulers. */
  maintenance: "maintenance",
} as const;
export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

/** Outbox topics this worker knows how to handle; rows of other topics wait for a worker that does. */
export const OUTBOX_TOPICS = {
  incidentDeclared: "incident.declared",
  /** Any change to an incident: its timers are planned again. */
  incidentChanged: "incident.changed",
  /** Raised to P1: the task force and the ARS are e-mailed. */
  incidentEscalated: "incident.escalated",
  /** A bulletin published or revised (or its fan-out resumed): its e-mails are due. */
  bulletinPublished: "bulletin.published",
  /** The ARS validated a RETEX or sent it back: the establishment's RSSIs are e-mailed. */
  retexReviewed: RETEX_REVIEWED_TOPIC,
} as const;
export type OutboxTopic = (typeof OUTBOX_TOPICS)[keyof typeof OUTBOX_TOPICS];

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
  sweepMailDeliveries: "sweep-mail-deliveries",
  /** Exercise reminders owed today: before planned exercises, unplanned years, overdue actions, digest. */
  exerciseReminders: "exercise-reminders",
  bulletinReminders: "bulletin-reminders",
  /** The daily signed checkpoint of the main courantes' heads, e-mailed to the ARS (LOG_CHECKPOINT_TIME). */
  logCheckpoint: "log-checkpoint",
  /** Hourly: issues the checkpoint a stopped worker missed, and the first one right after deployment. */
  logCheckpointCatchUp: "log-checkpoint-catch-up",
  /** Daily: traces of access older than ACCESS_TRACE_RETENTION_DAYS are deleted. */
  pruneAccessTraces: "prune-access-traces",
} as const;
export const SweepJobSchema = Type.Object({}, { additionalProperties: false });
export type SweepJob = Static<typeof SweepJobSchema>;

/** A payload that does not match its schema is a bug: retrying cannot fix it. */
export class InvalidPayloadError extends UnrecoverableError {
  constructor(queue: string, problems: string[]) {
    super(`invalid ${queue} payload: ${problems.join("; ")}`);
    this.name = "InvalidPayloadError";
  }
}

/** Producers and consumers both check payloads. */
export function assertPayload<S extends TSchema>(queue: string, schema: S, data: unknown): Static<S> {
  if (Value.Check(schema, data)) return data as Static<S>;
  throw new InvalidPayloadError(
    queue,
    Value.Errors(schema, data).map((e) => `${e.instancePath || "/"} ${e.message}`),
  );
}

const DAY_SECONDS = 24 * 3600;

/**
 * Completed jobs stay a day: while they exist, adding the same jobId again is a no-op, which is
 * what makes re-dispatching an outbox row or re-enqueueing a delivery safe.
 */
const KEEP_FINISHED = {
  removeOnComplete: { age: DAY_SECONDS },
  removeOnFail: { age: 7 * DAY_SECONDS },
} satisfies JobsOptions;

export interface RetryTuning {
  /** First retry delay of an outbox job; doubles on each attempt. */
  outboxRetryDelayMs: number;
  /** First retry delay of an e-mail after a temporary SMTP failure; doubles on each attempt. */
  mailRetryDelayMs: number;
}

export const DEFAULT_RETRY_TUNING: RetryTuning = {
  outboxRetryDelayMs: 1_000,
  // 30 s, 1 min, 2 min … over 8 attempts: about an hour of retries, long enough for a
  // greylisting server or a short relay outage, short enough that someone notices a failure.
  mailRetryDelayMs: 30_000,
};

export const OUTBOX_ATTEMPTS = 10;
export const SEND_MAIL_ATTEMPTS = 8;

export type UniqueJobOptions = JobsOptions & { jobId: string };

export function outboxJobOptions(outboxId: string, tuning: RetryTuning): UniqueJobOptions {
  return {
    jobId: outboxId,
    attempts: OUTBOX_ATTEMPTS,
    backoff: { type: "exponential", delay: tuning.outboxRetryDelayMs },
    ...KEEP_FINISHED,
  };
}

export function sendMailJobOptions(deliveryId: string, tuning: RetryTuning): UniqueJobOptions {
  return {
    jobId: deliveryId,
    attempts: SEND_MAIL_ATTEMPTS,
    backoff: { type: "exponential", delay: tuning.mailRetryDelayMs },
    ...KEEP_FINISHED,
  };
}

export type OutboxQueue = Queue<OutboxJob, unknown, string>;
export type SendMailQueue = Queue<SendMailJob, unknown, string>;
export type MaintenanceQueue = Queue<SweepJob, unknown, string>;

export interface Queues {
  outbox: OutboxQueue;
  sendMail: SendMailQueue;
  maintenance: MaintenanceQueue;
  close(): Promise<void>;
}

/** Producer side of every queue, on one shared connection, under the configured key prefix. */
export function createQueues(config: Pick<Config, "QUEUE_PREFIX">, connection: Redis): Queues {
  const options = { connection, prefix: config.QUEUE_PREFIX };
  const outbox: OutboxQueue = new Queue(QUEUE_NAMES.outbox, options);
  const sendMail: SendMailQueue = new Queue(QUEUE_NAMES.sendMail, options);
  const maintenance: MaintenanceQueue = new Queue(QUEUE_NAMES.maintenance, options);
  return {
    outbox,
    sendMail,
    maintenance,
    async close() {
      await Promise.allSettled([outbox.close(), sendMail.close(), maintenance.close()]);
    },
  };
}

/**
 * Adds a job under a fixed id. An existing job with that id makes this a no-op — unless it
 * already failed for good: then the caller is deliberately asking for another round, so the
 * dead job is removed first.
 */
export async function addUnique<D>(
  queue: Pick<Queue<D, unknown, string, D, unknown, string>, "getJob" | "add">,
  name: string,
  data: D,
  opts: UniqueJobOptions,
): Promise<void> {
  const existing = await queue.getJob(opts.jobId);
  if (existing && (await existing.isFailed())) await existing.remove();
  await queue.add(name, data, opts);
}

/** Enqueues one send-mail job per delivery; the delivery id as job id makes it once per delivery. */
export async function enqueueDeliveries(
  queue: SendMailQueue,
  deliveries: { id: string; template: string }[],
  tuning: RetryTuning,
): Promise<void> {
  if (deliveries.length === 0) return;
  await queue.addBulk(
    deliveries.map((d) => ({
      name: d.template,
      data: assertPayload(QUEUE_NAMES.sendMail, SendMailJobSchema, { deliveryId: d.id }),
      opts: sendMailJobOptions(d.id, tuning),
    })),
  );
}
