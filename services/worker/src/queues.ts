import type { Config } from "@pris/config";
import { type Db, mailDeliveries } from "@pris/db";
import {
  type MailDeliveryTemplate,
  type OutboxJob,
  type OutboxTopic,
  QUEUE_NAMES,
  type SendMailJob,
  SendMailJobSchema,
  type SweepJob,
} from "@pris/domain";
import { bullmqTelemetry } from "@pris/telemetry/bullmq";
import { type JobsOptions, Queue, UnrecoverableError } from "bullmq";
import { and, inArray } from "drizzle-orm";
import type { Redis } from "ioredis";
import type { Static, TSchema } from "typebox";
import { Value } from "typebox/value";

/** A payload that does not match its schema is a bug: retrying cannot fix it. */
export class InvalidPayloadError extends UnrecoverableError {
  constructor(queue: string, problems: string[]) {
    super(`invalid ${queue} payload: ${problems.join("; ")}`);
    this.name = "InvalidPayloadError";
  }
}

/** What is wrong with data against its schema, one line per problem; empty when it matches. */
export function payloadProblems(schema: TSchema, data: unknown): string[] {
  if (Value.Check(schema, data)) return [];
  return Value.Errors(schema, data).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

/** Producers and consumers both check payloads. */
export function assertPayload<S extends TSchema>(queue: string, schema: S, data: unknown): Static<S> {
  const problems = payloadProblems(schema, data);
  if (problems.length === 0) return data as Static<S>;
  throw new InvalidPayloadError(queue, problems);
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

/**
 * Whether a job is someone waiting on it — the pole reading about an incident, a person asking for a
 * reset link — or work that may come by the thousand and can wait a little (exercise reminders and
 * digests, invitation campaigns, review outcomes, checkpoints). BullMQ takes every job without a priority
 * before any prioritized one, so the first kind is queued without one and the second with BULK_PRIORITY:
 * a declaration never waits behind a campaign, however long. A record, so that a topic or template added
 * without its class does not compile.
 */
type Urgency = "prompt" | "bulk";

const TOPIC_URGENCY: Record<OutboxTopic, Urgency> = {
  "incident.declared": "prompt",
  "incident.changed": "prompt",
  "incident.escalated": "prompt",
  "incident.message_shared": "prompt",
  "bulletin.published": "prompt",
  "retex.reviewed": "bulk",
  "invitation.sent": "bulk",
  "password.reset_requested": "prompt",
  "bulletin.mailbox_unsubscribed": "bulk",
  // A scan holds a slot while clamd reads the file: it must not keep the pole's alerts waiting.
  "evidence.received": "bulk",
  "evidence.quarantined": "prompt",
  "intake.attached": "prompt",
};

const TEMPLATE_URGENCY: Record<MailDeliveryTemplate, Urgency> = {
  "incident-declared": "prompt",
  "incident-escalated": "prompt",
  "incident-message": "prompt",
  "intake-acknowledged": "prompt",
  "sla-reminder": "prompt",
  "sla-missed": "prompt",
  "followup-due": "prompt",
  "clock-reminder": "prompt",
  "clock-overdue": "prompt",
  "exercise-due": "bulk",
  "exercise-unplanned": "bulk",
  "action-overdue": "bulk",
  "exercise-digest": "bulk",
  "retex-validated": "bulk",
  "retex-returned": "bulk",
  "log-checkpoint": "bulk",
  invitation: "bulk",
  "password-reset": "prompt",
  "mailbox-unsubscribed": "bulk",
  "evidence-quarantined": "prompt",
};

/** BullMQ's priority of the jobs that can wait (1 is the highest; no priority comes before any). */
export const BULK_PRIORITY = 10;

/** A row or delivery of a newer version, whose name this one does not know, can wait as well. */
function priority(urgency: Urgency | undefined): { priority?: number } {
  return urgency === "prompt" ? {} : { priority: BULK_PRIORITY };
}

export function outboxJobOptions(
  outboxId: string,
  tuning: RetryTuning,
  topic: OutboxTopic,
): UniqueJobOptions {
  return {
    ...priority(TOPIC_URGENCY[topic]),
    jobId: outboxId,
    attempts: OUTBOX_ATTEMPTS,
    backoff: { type: "exponential", delay: tuning.outboxRetryDelayMs },
    ...KEEP_FINISHED,
  };
}

export function sendMailJobOptions(
  deliveryId: string,
  tuning: RetryTuning,
  template: MailDeliveryTemplate,
): UniqueJobOptions {
  return {
    ...priority(TEMPLATE_URGENCY[template]),
    jobId: deliveryId,
    attempts: SEND_MAIL_ATTEMPTS,
    backoff: { type: "exponential", delay: tuning.mailRetryDelayMs },
    ...KEEP_FINISHED,
  };
}

/**
 * An outbox job is named after its topic, a send-mail job after its template. Maintenance names stay
 * strings: BullMQ types a job scheduler's id with the job names (ensureSchedulers types the names).
 */
export type OutboxQueue = Queue<OutboxJob, unknown, OutboxTopic>;
export type SendMailQueue = Queue<SendMailJob, unknown, MailDeliveryTemplate>;
export type MaintenanceQueue = Queue<SweepJob, unknown, string>;

export interface Queues {
  outbox: OutboxQueue;
  sendMail: SendMailQueue;
  maintenance: MaintenanceQueue;
  close(): Promise<void>;
}

/**
 * Producer side of every queue, on one shared connection, under the configured key prefix. With tracing
 * on, a job carries the trace context it was added in (BullMQ's telemetry option).
 */
export function createQueues(config: Pick<Config, "QUEUE_PREFIX">, connection: Redis): Queues {
  const telemetry = bullmqTelemetry();
  const options = { connection, prefix: config.QUEUE_PREFIX, ...(telemetry ? { telemetry } : {}) };
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
export async function addUnique<D, N extends string>(
  queue: Pick<Queue<D, unknown, N, D, unknown, N>, "getJob" | "add">,
  name: N,
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
  deliveries: { id: string; template: MailDeliveryTemplate }[],
  tuning: RetryTuning,
): Promise<void> {
  if (deliveries.length === 0) return;
  await queue.addBulk(
    deliveries.map((d) => ({
      name: d.template,
      data: assertPayload(QUEUE_NAMES.sendMail, SendMailJobSchema, { deliveryId: d.id }),
      opts: sendMailJobOptions(d.id, tuning, d.template),
    })),
  );
}

/**
 * The retries of e-mails a batch tried once and the server deferred (the delivery fan-out): a send-mail
 * job each, the first run after mailRetryDelayMs, as many attempts in all as a send-mail job's.
 */
export async function enqueueRetries(
  queue: SendMailQueue,
  deliveries: { id: string; template: MailDeliveryTemplate }[],
  tuning: RetryTuning,
): Promise<void> {
  if (deliveries.length === 0) return;
  await queue.addBulk(
    deliveries.map((d) => ({
      name: d.template,
      data: assertPayload(QUEUE_NAMES.sendMail, SendMailJobSchema, { deliveryId: d.id }),
      opts: {
        ...sendMailJobOptions(d.id, tuning, d.template),
        attempts: SEND_MAIL_ATTEMPTS - 1,
        delay: tuning.mailRetryDelayMs,
      },
    })),
  );
}

/**
 * One send-mail job per delivery still owed (queued or deferred) among these dedupe keys, read back
 * after the rows were written: a second run finds the same rows and adds no second job.
 */
export async function enqueueOwedDeliveries(
  db: Db,
  queue: SendMailQueue,
  dedupeKeys: string[],
  tuning: RetryTuning,
): Promise<void> {
  const pending = await db
    .select({ id: mailDeliveries.id, template: mailDeliveries.template })
    .from(mailDeliveries)
    .where(
      and(
        inArray(mailDeliveries.dedupeKey, dedupeKeys),
        inArray(mailDeliveries.status, ["queued", "deferred"]),
      ),
    );
  await enqueueDeliveries(queue, pending, tuning);
}
