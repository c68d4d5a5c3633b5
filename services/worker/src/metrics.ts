import type { Config } from "@pris/config";
import type { Database } from "@pris/db";
import { QUEUE_NAMES } from "@pris/domain";
import { createRegistry, registerPoolMetrics, registerWorkMetrics } from "@pris/metrics";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Logger } from "./logger.ts";
import type { Queues } from "./queues.ts";

export interface WorkerMetrics {
  registry: Registry;
  /** E-mails handed to the SMTP server or given up: kind single (mail_deliveries) or bulletin. */
  emails: Counter<"kind" | "outcome">;
  /** Jobs failed for good (no attempt left, or unrecoverable), per queue. */
  jobsFailed: Counter<"queue">;
  /** Messages of the intake mailbox processed, by outcome (declared, replied, quarantined, already-processed). */
  intakeMessages: Counter<"outcome">;
}

const JOB_STATES = ["waiting", "active", "failed", "delayed"] as const;

/** The worker's metrics; the queues' counts are asked of Redis at scrape time. */
export function createWorkerMetrics(
  config: Config,
  database: Database,
  queues: Queues,
  logger: Logger,
): WorkerMetrics {
  const registry = createRegistry({ processMetrics: config.METRICS_PORT !== undefined });
  registerPoolMetrics(registry, database.pool, config.DATABASE_POOL_MAX);
  registerWorkMetrics(registry, database.db, (err) =>
    logger.warn({ err }, "metrics: the work state could not be read"),
  );
  new Gauge({
    name: "pris_queue_jobs",
    help: "BullMQ jobs per queue and state (waiting, active, failed, delayed); NaN when Redis cannot be read",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        [queues.outbox, queues.sendMail, queues.maintenance].map(async (queue) => {
          const counts = await queue.getJobCounts(...JOB_STATES).catch(() => undefined);
          for (const state of JOB_STATES)
            this.set({ queue: queue.name, state }, counts?.[state] ?? Number.NaN);
        }),
      );
    },
  });
  // Every series exists from the start at 0, so that rate() and increase() see the first event.
  const emails = new Counter({
    name: "pris_emails_total",
    help: "E-mails by kind (single, bulletin) and outcome: sent (accepted by the SMTP server), deferred (retried later), failed (given up)",
    labelNames: ["kind", "outcome"] as const,
    registers: [registry],
  });
  for (const kind of ["single", "bulletin"])
    for (const outcome of ["sent", "deferred", "failed"]) emails.inc({ kind, outcome }, 0);
  const jobsFailed = new Counter({
    name: "pris_jobs_failed_total",
    help: "BullMQ jobs failed for good in this process (no attempt left, or a permanent error), per queue",
    labelNames: ["queue"] as const,
    registers: [registry],
  });
  for (const queue of Object.values(QUEUE_NAMES)) jobsFailed.inc({ queue }, 0);
  const intakeMessages = new Counter({
    name: "pris_intake_messages_total",
    help: "Messages of the intake mailbox processed, by outcome: declared, replied, quarantined, already-processed (found done after a restart)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  for (const outcome of ["declared", "replied", "quarantined", "already-processed"])
    intakeMessages.inc({ outcome }, 0);
  return { registry, emails, jobsFailed, intakeMessages };
}
