import { ConfigError, loadConfig } from "@pris/config";
import { startTelemetry } from "@pris/telemetry";
import { startWorker } from "./index.ts";
import { createLogger } from "./logger.ts";

/**
 * The worker process: reads the configuration, starts, and stops cleanly on SIGTERM/SIGINT.
 * A second signal during shutdown exits at once — unless it comes within a second of the first: that
 * is the same Ctrl-C, delivered by the terminal and again by a supervisor or the demo stack. It exits on its own only for what it cannot
 * survive — a refused configuration (78, EX_CONFIG: not worth restarting) or an exception nothing
 * caught (1: whatever runs it starts it again; see scripts/supervise.ts) — never for a lost
 * connection to PostgreSQL, Redis or the SMTP server, which it waits for and retries.
 */
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78);
  }
  throw err;
}

const logger = createLogger(config);

process.on("unhandledRejection", (err) => {
  logger.error({ err }, "unhandled rejection");
});
process.on("uncaughtException", (err) => {
  logger.fatal({ err }, "uncaught exception; exiting");
  process.exit(1);
});

// Before the queues and workers: they carry BullMQ's telemetry only when the SDK runs.
const telemetry = await startTelemetry(config, "pris-worker");
const worker = await startWorker(config, { logger });

let stoppingAt: number | undefined;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stoppingAt !== undefined) {
      if (Date.now() - stoppingAt < 1_000) return;
      logger.warn({ signal }, "second signal; exiting now");
      process.exit(1);
    }
    stoppingAt = Date.now();
    logger.info({ signal }, "shutting down");
    // close() bounds each step; this bounds them all, whatever hangs.
    setTimeout(() => {
      logger.error({ timeoutSeconds: config.SHUTDOWN_TIMEOUT_SECONDS }, "shutdown timed out; exiting");
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_SECONDS * 1000).unref();
    worker
      .close()
      .then(() => telemetry.shutdown())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
  });
}
