import type { Config } from "@pris/config";
import type { Db, EvidenceStoreDeps } from "@pris/db";
import type { Logger } from "./logger.ts";
import type { MailTransport } from "./mail/transport.ts";
import type { WorkerMetrics } from "./metrics.ts";
import type { Queues, RetryTuning } from "./queues.ts";

/** What every job handler works with; built once per process by startWorker. */
export interface WorkerContext {
  config: Config;
  db: Db;
  logger: Logger;
  queues: Queues;
  mail: MailTransport;
  tuning: RetryTuning;
  metrics: WorkerMetrics;
  /** The evidence store and clamd, where a message's attachments go. */
  evidence: EvidenceStoreDeps;
  /** Tells this process's bulletin fan-out that e-mails are due now. */
  wakeBulletinFanout(): void;
  /** Tells this process's delivery fan-out that incident e-mails are due now. */
  wakeDeliveryFanout(): void;
}
