import pg from "pg";
import type { Logger } from "./logger.ts";

export interface PgWakeOptions {
  url: string;
  /** The NOTIFY channel listened to. */
  channel: string;
  /** Called for every notification, and once each time listening starts or resumes. */
  wake: () => void;
  logger: Logger;
  applicationName: string;
  /** Wait before reconnecting a lost connection. Default 1 s. */
  retryMs?: number;
}

export interface PgWake {
  start(): void;
  stop(): Promise<void>;
  /** Whether notifications are being listened to right now. */
  readonly listening: boolean;
}

/**
 * One LISTEN connection, outside the pool (a pooled connection would be handed back and lose its
 * LISTEN), that wakes a poll loop when something commits. Notifications sent while it is down are lost,
 * so it wakes the loop once when listening resumes, and the loop's own poll remains the safety net: a
 * missed notification delays work by at most one poll, never loses it. Reconnection as in the API's
 * IncidentFeed.
 */
export function createPgWake(options: PgWakeOptions): PgWake {
  const { url, channel, wake, logger, applicationName } = options;
  const retryMs = options.retryMs ?? 1_000;
  let client: pg.Client | undefined;
  let listening = false;
  let stopped = true;
  let lostSince: number | undefined;
  let retry: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    if (stopped) return;
    const c = new pg.Client({ connectionString: url, application_name: applicationName });
    client = c;
    const lost = (err?: Error) => {
      if (client !== c) return;
      client = undefined;
      listening = false;
      c.end().catch(() => {});
      if (stopped) return;
      if (lostSince === undefined) {
        lostSince = Date.now();
        logger.warn({ err: err?.message, channel }, "lost the PostgreSQL notifications; polling meanwhile");
      }
      retry = setTimeout(() => void connect(), retryMs);
      retry.unref();
    };
    c.on("error", lost);
    c.on("end", () => lost());
    c.on("notification", () => wake());
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      if (client !== c) return;
      listening = true;
      if (lostSince !== undefined) {
        logger.info(
          { channel, lostMs: Date.now() - lostSince },
          "listening to PostgreSQL notifications again",
        );
        lostSince = undefined;
      }
      wake();
    } catch (err) {
      lost(err as Error);
    }
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      void connect();
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      listening = false;
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
    get listening() {
      return listening;
    },
  };
}
