import type { Config } from "@pris/config";
import {
  clamdTarget,
  configureLogChain,
  createDatabase,
  createEvidenceStorage,
  type EvidenceStorage,
  OUTBOX_NOTIFY_CHANNEL,
  outbox,
} from "@pris/db";
import {
  MAINTENANCE_JOBS,
  type MaintenanceJobName,
  OutboxJobSchema,
  QUEUE_NAMES,
  SendMailJobSchema,
} from "@pris/domain";
import { type MetricsServer, startMetricsServer } from "@pris/metrics";
import { bullmqTelemetry } from "@pris/telemetry/bullmq";
import { type Job, type RepeatOptions, UnrecoverableError, Worker } from "bullmq";
import { eq } from "drizzle-orm";
import type { Redis } from "ioredis";
import { pruneSignInRecords } from "./auth/sign-in-records.ts";
import { createBulletinFanout } from "./bulletins/fanout.ts";
import { handleMailboxUnsubscribed } from "./bulletins/mailbox-unsubscribed.ts";
import { queueBulletinReminders } from "./bulletins/reminders.ts";
import type { WorkerContext } from "./context.ts";
import { pruneAccessTraces } from "./evidence/access-traces.ts";
import { issueDailyCheckpoint } from "./evidence/log-checkpoint.ts";
import { sweepOrphanEvidence } from "./evidence/orphan-sweep.ts";
import { purgeQuarantinedMessages } from "./evidence/quarantine-retention.ts";
import { purgeClosedIncidents } from "./evidence/retention.ts";
import { scanExerciseReminders } from "./exercises/exercise-reminders.ts";
import { handleRetexReviewed } from "./exercises/retex-reviewed.ts";
import { handleBulletinPublished } from "./handlers/bulletin-published.ts";
import { handleEvidenceQuarantined } from "./handlers/evidence-quarantined.ts";
import { handleEvidenceReceived } from "./handlers/evidence-received.ts";
import { handleIncidentChanged } from "./handlers/incident-changed.ts";
import { createDeclarationIntake, handleIncidentDeclared } from "./handlers/incident-declared.ts";
import { handleIncidentEscalated } from "./handlers/incident-escalated.ts";
import { handleIncidentMessageShared } from "./handlers/incident-message-shared.ts";
import { handleIntakeAttached } from "./handlers/intake-attached.ts";
import { loadOutboxMessage } from "./handlers/outbox-row.ts";
import { handleSendMail } from "./handlers/send-mail.ts";
import { sweepMailDeliveries } from "./handlers/sweep-mail-deliveries.ts";
import { createMailboxReader, type MailboxReader } from "./intake/mailbox-reader.ts";
import { handleInvitationSent } from "./invitations/invitation-sent.ts";
import { createLogger, type Logger, withoutCredentials } from "./logger.ts";
import { createDeliveryFanout } from "./mail/delivery-fanout.ts";
import { createMailTransport } from "./mail/transport.ts";
import { createWorkerMetrics } from "./metrics.ts";
import { createOutboxRelay } from "./outbox-relay.ts";
import { createOutboxWatch } from "./outbox-watch.ts";
import { handlePasswordResetRequested } from "./passwords/password-reset.ts";
import { createPgWake } from "./pg-wake.ts";
import { pollLoop } from "./poll-loop.ts";
import {
  assertPayload,
  createQueues,
  DEFAULT_RETRY_TUNING,
  type Queues,
  type RetryTuning,
} from "./queues.ts";
import {
  checkEvictionPolicy,
  closeConnection,
  createProducerConnection,
  createWorkerConnection,
} from "./redis.ts";
import { createTimerRunner } from "./timers/timer-runner.ts";

export { pruneSignInRecords } from "./auth/sign-in-records.ts";
export { pruneAccessTraces } from "./evidence/access-traces.ts";
export { issueDailyCheckpoint } from "./evidence/log-checkpoint.ts";
export { sweepOrphanEvidence } from "./evidence/orphan-sweep.ts";
export { purgeQuarantinedMessages } from "./evidence/quarantine-retention.ts";
export { purgeClosedIncidents, type RetentionPurge } from "./evidence/retention.ts";
export { authenticationVerdict, parseAuthenticationResults } from "./intake/authentication.ts";
export { readMessage, stripQuotedHistory } from "./intake/message.ts";
export { createLogger, type DestinationStream, type Logger } from "./logger.ts";
export { renderExerciseMail } from "./mail/exercise-mail.ts";
export { createMailTransport, encodeBodies } from "./mail/transport.ts";
export { createOutboxRelay, type OutboxRelay } from "./outbox-relay.ts";
export * from "./queues.ts";

export interface StartWorkerOptions {
  logger?: Logger;
  /** Retry delays; the defaults suit production. */
  tuning?: Partial<RetryTuning>;
  /**
   * How often Redis is checked for the e-mail jobs and job schedulers PostgreSQL says it should hold.
   * Default half REDIS_LOSS_RECOVERY_SECONDS.
   */
  sweepEveryMs?: number;
  /** Outbox rows claimed per relay transaction. Default 100. */
  outboxBatchSize?: number;
  /** Declarations handled per transaction (default DECLARATION_BATCH). */
  declarationBatchSize?: number;
  /**
   * How long the declaration intake and the delivery fan-out wait after a wake-up before they claim
   * (default 50 ms): a burst's declarations and e-mails then go a few dozen per transaction.
   */
  alertGatherMs?: number;
  /**
   * How long close() lets running jobs finish before it abandons them to another worker (once their
   * lock expires). Default half SHUTDOWN_TIMEOUT_SECONDS.
   */
  closeGraceMs?: number;
  /** How often PostgreSQL is asked for due timers. Default 2 s. */
  timerPollMs?: number;
  /** How often exercise reminders are looked for. Default EXERCISE_REMINDER_SCAN_SECONDS. */
  exerciseScanEveryMs?: number;
  /** How often PostgreSQL is asked for bulletin e-mails due when nothing woke the fan-out. Default 1 s. */
  fanoutPollMs?: number;
  /** Incident e-mails claimed, sent and recorded together by the delivery fan-out. Default 100. */
  deliveryBatchSize?: number;
  /** How often non-answering bulletin recipients are looked for. Default five minutes. */
  remindEveryMs?: number;
  /** How often the outbox is looked at for rows of topics this worker does not handle. Default one minute. */
  outboxWatchEveryMs?: number;
  /** How often the intake mailbox is looked at when IMAP IDLE said nothing. Default INTAKE_POLL_SECONDS. */
  intakePollMs?: number;
}

export interface WorkerHandle {
  /** Where Prometheus scrapes this worker, when METRICS_PORT is set. */
  metricsUrl: string | undefined;
  /** Whether this process is the one reading the intake mailbox now (false when none is configured). */
  readingMailbox(): boolean;
  close(): Promise<void>;
}

const EXERCISE_REMINDERS_ID = "exercise-reminders";
const BULLETIN_REMINDERS_ID = "bulletin-reminders";
const LOG_CHECKPOINT_ID = "log-checkpoint-daily";
const LOG_CHECKPOINT_CATCH_UP_ID = "log-checkpoint-catch-up";
const PRUNE_ACCESS_TRACES_ID = "prune-access-traces";
const PRUNE_SIGN_IN_RECORDS_ID = "prune-sign-in-records";
const PURGE_CLOSED_INCIDENTS_ID = "purge-closed-incidents";

/** A cron pattern firing once a day at HH:MM in the region's zone. */
function dailyAt(time: string, tz: string): RepeatOptions {
  const [hours, minutes] = time.split(":").map(Number);
  return { pattern: `${minutes} ${hours} * * *`, tz };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Runs fn once the connection is up, and again after every reconnection. */
function onEveryReady(client: Redis, fn: () => void): void {
  client.on("ready", fn);
  if (client.status === "ready") fn();
}

/**
 * Starts the outbox relay, the timer runner, the job consumers and the job schedulers of one worker process.
 * Nothing here waits for Redis: with Redis down the worker starts, the outbox keeps the work in
 * PostgreSQL, and everything resumes when Redis answers.
 */
export async function startWorker(config: Config, options: StartWorkerOptions = {}): Promise<WorkerHandle> {
  const logger = options.logger ?? createLogger(config);
  const tuning: RetryTuning = { ...DEFAULT_RETRY_TUNING, ...options.tuning };
  const sweepEveryMs = options.sweepEveryMs ?? (config.REDIS_LOSS_RECOVERY_SECONDS * 1000) / 2;
  const exerciseScanEveryMs = options.exerciseScanEveryMs ?? config.EXERCISE_REMINDER_SCAN_SECONDS * 1000;
  const closeGraceMs = options.closeGraceMs ?? (config.SHUTDOWN_TIMEOUT_SECONDS * 1000) / 2;

  // The worker writes notification entries in the main courante, under the same key as the API.
  configureLogChain(config);
  const database = createDatabase({
    url: config.DATABASE_URL,
    max: config.DATABASE_POOL_MAX,
    applicationName: "pris-worker",
    timeZone: config.REGION_TIMEZONE,
    onConnectionError: (err) =>
      logger.warn({ err }, "PostgreSQL connection lost; its work is retried on a new connection"),
  });
  const producer = createProducerConnection(config, logger, "pris-worker-producer");
  const consumer = createWorkerConnection(config, logger, "pris-worker-consumer");
  const queues = createQueues(config, producer);
  for (const queue of [queues.outbox, queues.sendMail, queues.maintenance]) {
    queue.on("error", (err) => logger.debug({ err, queue: queue.name }, "queue error"));
  }
  const mail = createMailTransport(config);
  const metrics = createWorkerMetrics(config, database, queues, logger);
  const ctx: WorkerContext = {
    config,
    db: database.db,
    logger,
    queues,
    mail,
    tuning,
    metrics,
    evidence: {
      storage: await createEvidenceStorage(config),
      clamd: clamdTarget(config),
      clamdTimeoutMs: config.CLAMD_TIMEOUT_MS,
      maxBytes: config.EVIDENCE_MAX_BYTES,
    },
    wakeBulletinFanout: () => fanout.wake(),
    wakeDeliveryFanout: () => deliveryFanout.wake(),
  };
  const fanout = createBulletinFanout(ctx, {
    pollMs: options.fanoutPollMs ?? 1_000,
    batchSize: config.BULLETIN_BATCH_SIZE,
  });
  const gatherMs = options.alertGatherMs ?? 50;
  const deliveryFanout = createDeliveryFanout(ctx, {
    pollMs: options.fanoutPollMs ?? 1_000,
    batchSize: options.deliveryBatchSize ?? 100,
    gatherMs,
  });
  const remindEveryMs = options.remindEveryMs ?? 5 * 60_000;

  const schedulers: Scheduler[] = [
    // A scan runs at every tick; what it sends is deduplicated in PostgreSQL per object, kind and day.
    [EXERCISE_REMINDERS_ID, { every: exerciseScanEveryMs }, MAINTENANCE_JOBS.exerciseReminders],
    [BULLETIN_REMINDERS_ID, { every: remindEveryMs }, MAINTENANCE_JOBS.bulletinReminders],
    [
      LOG_CHECKPOINT_ID,
      dailyAt(config.LOG_CHECKPOINT_TIME, config.REGION_TIMEZONE),
      MAINTENANCE_JOBS.logCheckpoint,
    ],
    [LOG_CHECKPOINT_CATCH_UP_ID, { every: 3600_000 }, MAINTENANCE_JOBS.logCheckpointCatchUp],
    [PRUNE_ACCESS_TRACES_ID, dailyAt("03:30", config.REGION_TIMEZONE), MAINTENANCE_JOBS.pruneAccessTraces],
    [PRUNE_SIGN_IN_RECORDS_ID, { every: 3600_000 }, MAINTENANCE_JOBS.pruneSignInRecords],
    [
      PURGE_CLOSED_INCIDENTS_ID,
      dailyAt("03:45", config.REGION_TIMEZONE),
      MAINTENANCE_JOBS.purgeClosedIncidents,
    ],
  ];
  let policyChecked = false;
  onEveryReady(producer, () => {
    if (!policyChecked) {
      policyChecked = true;
      void checkEvictionPolicy(producer, logger);
    }
    // After a restart Redis may have come back empty: the schedulers are put back each time.
    ensureSchedulers(queues, schedulers).catch((err) =>
      logger.error({ err }, "could not register the job schedulers; the sweeper retries"),
    );
  });

  // With tracing on, each run is a span, child of the context its job was added in.
  const telemetry = bullmqTelemetry();
  const workerOptions = {
    connection: consumer,
    prefix: config.QUEUE_PREFIX,
    ...(telemetry ? { telemetry } : {}),
  };
  let evidenceStorage: Promise<EvidenceStorage> | undefined;
  const workers = [
    new Worker(QUEUE_NAMES.outbox, (job: Job) => processOutboxJob(ctx, job), {
      ...workerOptions,
      concurrency: config.WORKER_CONCURRENCY,
    }),
    new Worker(
      QUEUE_NAMES.sendMail,
      (job: Job) =>
        handleSendMail(ctx, assertPayload(QUEUE_NAMES.sendMail, SendMailJobSchema, job.data), {
          last: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
        }),
      { ...workerOptions, concurrency: config.WORKER_CONCURRENCY },
    ),
    new Worker(
      QUEUE_NAMES.maintenance,
      async (job: Job) => {
        if (job.name === MAINTENANCE_JOBS.exerciseReminders) return scanExerciseReminders(ctx);
        if (job.name === MAINTENANCE_JOBS.bulletinReminders) return queueBulletinReminders(ctx);
        if (job.name === MAINTENANCE_JOBS.logCheckpoint) return issueDailyCheckpoint(ctx);
        if (job.name === MAINTENANCE_JOBS.logCheckpointCatchUp)
          return issueDailyCheckpoint(ctx, { onlyIfMissed: true });
        if (job.name === MAINTENANCE_JOBS.pruneAccessTraces) return pruneAccessTraces(ctx);
        if (job.name === MAINTENANCE_JOBS.pruneSignInRecords) return pruneSignInRecords(ctx);
        if (job.name === MAINTENANCE_JOBS.purgeClosedIncidents) {
          // The S3 client is loaded only when a bucket is set, and only when the job first runs.
          evidenceStorage ??= createEvidenceStorage(config).catch((err) => {
            evidenceStorage = undefined;
            throw err;
          });
          const storage = await evidenceStorage;
          const { purged } = await purgeClosedIncidents({ ...ctx, storage });
          // The same daily run ends what no closed incident's retention reaches: quarantined e-mails never
          // attached, and bytes whose transaction rolled back.
          const quarantine = await purgeQuarantinedMessages(ctx);
          const orphans = await sweepOrphanEvidence({ ...ctx, storage });
          return {
            incidents: purged.length,
            quarantinedMails: quarantine.purged.length,
            orphanObjects: orphans.removed.length,
          };
        }
        throw new UnrecoverableError(`unknown maintenance job ${job.name}`);
      },
      { ...workerOptions, concurrency: 1 },
    ),
  ];
  for (const worker of workers) {
    worker.on("error", (err) => logger.debug({ err, queue: worker.name }, "worker error"));
    worker.on("failed", (job, err) => {
      const final = err instanceof UnrecoverableError || !job || job.attemptsMade >= (job.opts.attempts ?? 1);
      const fields = {
        err,
        queue: worker.name,
        jobId: job?.id,
        jobName: job?.name,
        attemptsMade: job?.attemptsMade,
      };
      if (final) {
        metrics.jobsFailed.inc({ queue: worker.name });
        logger.error(fields, "job failed for good");
      } else logger.debug(fields, "job attempt failed; will retry");
    });
  }

  const relay = createOutboxRelay({
    db: database.db,
    queue: queues.outbox,
    connection: producer,
    config,
    logger,
    tuning,
    ...(options.outboxBatchSize ? { batchSize: options.outboxBatchSize } : {}),
  });
  relay.start();
  const declarations = createDeclarationIntake(ctx, {
    pollMs: config.OUTBOX_POLL_MS,
    gatherMs,
    ...(options.declarationBatchSize ? { batchSize: options.declarationBatchSize } : {}),
  });
  declarations.start();
  // The polls above are the safety net; an outbox row is normally taken as soon as it commits.
  const outboxWake = createPgWake({
    url: config.DATABASE_URL,
    channel: OUTBOX_NOTIFY_CHANNEL,
    wake: () => {
      relay.wake();
      declarations.wake();
    },
    logger,
    applicationName: "pris-worker-outbox-wake",
  });
  outboxWake.start();
  const outboxWatch = createOutboxWatch({
    db: database.db,
    config,
    logger,
    everyMs: options.outboxWatchEveryMs ?? 60_000,
  });
  outboxWatch.start();
  const timerRunner = createTimerRunner(ctx, { pollMs: options.timerPollMs ?? 2_000, connection: producer });
  timerRunner.start();
  fanout.start();
  deliveryFanout.start();
  // A poll in the process, not a job scheduler: it exists to notice what Redis lost, schedulers included
  // (a FLUSHALL drops them without the reconnection that puts them back), so it cannot live in Redis.
  const sweeper = pollLoop({
    round: async () => {
      await ensureSchedulers(queues, schedulers, { onlyMissing: true });
      await sweepMailDeliveries(ctx);
      return 0;
    },
    ready: () => producer.status === "ready",
    batchSize: 1,
    pollMs: sweepEveryMs,
    logger,
    messages: {
      failing: "could not check Redis for lost jobs; retried at the next sweep",
      recovered: "checking Redis for lost jobs again",
    },
  });
  sweeper.start();
  // Off unless a mailbox is configured; among replicas, only the holder of its lock reads it.
  let mailboxReader: MailboxReader | undefined;
  if (config.INTAKE_IMAP_URL) {
    mailboxReader = createMailboxReader(ctx, {
      ...(options.intakePollMs ? { pollMs: options.intakePollMs } : {}),
    });
    mailboxReader.start();
  }
  let metricsServer: MetricsServer | undefined;
  if (config.METRICS_PORT !== undefined) {
    metricsServer = await startMetricsServer(config, config.METRICS_PORT, metrics.registry, (err) =>
      logger.error({ err }, "metrics could not be collected"),
    );
    logger.info({ url: metricsServer.url }, "metrics listening");
  }
  logger.info(
    {
      redis: withoutCredentials(config.REDIS_URL),
      prefix: config.QUEUE_PREFIX,
      smtp: withoutCredentials(config.SMTP_URL),
    },
    "worker started",
  );

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    await Promise.all([
      outboxWake.stop(),
      relay.stop(),
      declarations.stop(),
      outboxWatch.stop(),
      timerRunner.stop(),
      fanout.stop(),
      deliveryFanout.stop(),
      sweeper.stop(),
      mailboxReader?.stop(),
      metricsServer?.close(),
    ]);
    await Promise.all(workers.map((w) => closeWorker(w, closeGraceMs, logger)));
    await bounded(queues.close(), 5_000);
    mail.close();
    await Promise.all([closeConnection(producer), closeConnection(consumer)]);
    await database.close();
    logger.info("worker stopped");
  }
  return {
    metricsUrl: metricsServer?.url,
    readingMailbox: () => mailboxReader?.reading() ?? false,
    close() {
      closing ??= close();
      return closing;
    },
  };
}

/** A recurring job: [scheduler id, repeat, job name]. */
type Scheduler = [id: string, repeat: RepeatOptions, name: MaintenanceJobName];

/**
 * Registers every recurring job (upserting is idempotent), or only those Redis lost, and removes the
 * schedulers this version no longer runs (the mail-delivery sweeper of earlier versions).
 */
async function ensureSchedulers(
  queues: Queues,
  schedulers: Scheduler[],
  options: { onlyMissing?: boolean } = {},
): Promise<void> {
  const existing = new Set((await queues.maintenance.getJobSchedulers()).map((s) => s.key));
  for (const [id, repeat, name] of schedulers) {
    if (options.onlyMissing && existing.has(id)) continue;
    await queues.maintenance.upsertJobScheduler(id, repeat, {
      name,
      data: {},
      opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 100 } },
    });
  }
  const wanted = new Set(schedulers.map(([id]) => id));
  for (const id of existing) if (!wanted.has(id)) await queues.maintenance.removeJobScheduler(id);
}

/**
 * Routes an outbox job to its row's topic's handler and leaves the last error on the row for operators.
 * A topic added to the domain without a handler here does not compile.
 */
async function processOutboxJob(ctx: WorkerContext, job: Job): Promise<unknown> {
  const data = assertPayload(QUEUE_NAMES.outbox, OutboxJobSchema, job.data);
  try {
    const message = await loadOutboxMessage(ctx, data.outboxId);
    if (!message) {
      ctx.logger.warn({ outboxId: data.outboxId, topic: job.name }, "outbox row gone; nothing to do");
      return { status: "row-missing" };
    }
    if (message.processedAt) return { status: "already-processed" };
    switch (message.topic) {
      case "incident.declared":
        return await handleIncidentDeclared(ctx, data);
      case "incident.changed":
        return await handleIncidentChanged(ctx, data);
      case "incident.escalated":
        return await handleIncidentEscalated(ctx, data);
      case "incident.message_shared":
        return await handleIncidentMessageShared(ctx, data, message.payload);
      case "bulletin.published":
        return await handleBulletinPublished(ctx, data);
      case "retex.reviewed":
        return await handleRetexReviewed(ctx, data, message.payload);
      case "invitation.sent":
        return await handleInvitationSent(ctx, data, message.payload);
      case "password.reset_requested":
        return await handlePasswordResetRequested(ctx, data, message.payload);
      case "bulletin.mailbox_unsubscribed":
        return await handleMailboxUnsubscribed(ctx, data, message.payload);
      case "evidence.received":
        return await handleEvidenceReceived(ctx, data, message.payload);
      case "evidence.quarantined":
        return await handleEvidenceQuarantined(ctx, data, message.payload);
      case "intake.attached":
        return await handleIntakeAttached(ctx, data, message.payload);
      default: {
        const unhandled: never = message;
        throw new UnrecoverableError(`no handler for outbox topic ${JSON.stringify(unhandled)}`);
      }
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await ctx.db
      .update(outbox)
      .set({ lastError: message.slice(0, 2000) })
      .where(eq(outbox.id, data.outboxId))
      .catch(() => {});
    throw err;
  }
}

function bounded(promise: Promise<unknown>, ms: number): Promise<unknown> {
  return Promise.race([promise.catch(() => {}), sleep(ms)]);
}

/**
 * Lets running jobs finish within the grace period; past it, closes anyway. An abandoned job
 * keeps its Redis lock until it expires, then another worker runs it again — the handlers are
 * idempotent for exactly this.
 */
async function closeWorker(worker: Worker, graceMs: number, logger: Logger): Promise<void> {
  const graceful = worker.close().then(
    () => true,
    () => false,
  );
  const done = await Promise.race([graceful, sleep(graceMs).then(() => false)]);
  if (!done) {
    logger.warn({ queue: worker.name }, "jobs still running after the grace period; closing anyway");
    await bounded(worker.close(true), 5_000);
  }
}
