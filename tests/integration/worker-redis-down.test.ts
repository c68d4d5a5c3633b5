import type { Config } from "@pris/config";
import { createDatabase, type Database, mailDeliveries, outbox, outboxValues } from "@pris/db";
import { incidentMessage } from "@pris/domain";
import { createLogger, createQueues, startWorker, type WorkerHandle } from "@pris/worker";
import { eq } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testConfig } from "../support/env.ts";
import { type PrivateRedis, startPrivateRedis } from "../support/redis-server.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import {
  type Directory,
  declareIncident,
  seedDirectory,
  sleep,
  waitUntil,
} from "../support/worker-fixtures.ts";

/** Log lines the worker wrote, parsed: what an operator would read. */
function captureLogs() {
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(JSON.parse(line)) } };
}

let tdb: TestDatabase;
let database: Database;
let smtp: TestSmtpServer;
let dir: Directory;

beforeAll(async () => {
  tdb = await createTestDatabase();
  smtp = await startSmtpServer();
  database = createDatabase({ url: tdb.url, max: 4 });
  dir = await seedDirectory(database.db);
});

afterAll(async () => {
  await database?.close();
  await smtp?.close();
  await tdb?.drop();
});

function mailsFor(reference: string) {
  return smtp.messages.filter((m) => m.parsed.subject?.includes(reference));
}

describe("with Redis down", () => {
  let redis: PrivateRedis;
  let config: Config;
  let worker: WorkerHandle;
  const logs = captureLogs();

  beforeAll(async () => {
    redis = await startPrivateRedis();
    config = testConfig({
      DATABASE_URL: tdb.url,
      SMTP_URL: smtp.url,
      REDIS_URL: redis.url,
      LOG_LEVEL: "info",
    });
    worker = await startWorker(config, {
      logger: createLogger(config, logs.stream),
      tuning: { mailRetryDelayMs: 100, outboxRetryDelayMs: 100 },
      sweepEveryMs: 500,
    });
  });

  afterAll(async () => {
    await worker?.close();
    await redis?.stop();
  });

  it("e-mails a declaration made while Redis is stopped, and keeps what needs Redis for its return", async () => {
    const before = await declareIncident(database.db, dir);
    await waitUntil("the worker to work", () => mailsFor(before.reference).length === 2);

    await redis.kill();
    // The API's transaction commits without Redis: the incident and its outbox row are safe in PostgreSQL,
    // and the worker takes declarations and sends their e-mails from there: the pole is told all the same.
    const during = await declareIncident(database.db, dir);
    const [changed] = await database.db
      .insert(outbox)
      .values(outboxValues(incidentMessage("incident.changed", during.incidentId)))
      .returning({ id: outbox.id });
    const mails = await waitUntil(
      "the e-mails of the declaration made during the outage",
      () => mailsFor(during.reference).length >= 2 && mailsFor(during.reference),
      30_000,
    );
    expect(mails.flatMap((m) => m.envelopeTo).sort()).toEqual(dir.users.analyst.map((u) => u.email).sort());
    const [declared] = await database.db.select().from(outbox).where(eq(outbox.id, during.outboxId));
    expect(declared).toMatchObject({ dispatchCount: 0, lastError: null });
    expect(declared!.processedAt).toBeInstanceOf(Date);
    // What goes through a queue waits in PostgreSQL.
    const [pending] = await database.db.select().from(outbox).where(eq(outbox.id, changed!.id));
    expect(pending).toMatchObject({ dispatchedAt: null, dispatchCount: 0, processedAt: null });
    // The operator is told, once the worker tries Redis (the change's relay, or the client's reconnects):
    // the declaration's e-mails need not wait for that, so this may come after them.
    await waitUntil("an error about Redis in the log", () =>
      logs.lines.some((l) => l.level >= 50 && /redis/i.test(l.msg)),
    );

    // Back, and empty: no persistence, as after losing the Redis host.
    await redis.start();
    await waitUntil(
      "the change handled",
      async () => {
        const [row] = await database.db.select().from(outbox).where(eq(outbox.id, changed!.id));
        return row?.processedAt !== null;
      },
      30_000,
    );
    await sleep(500);
    expect(mailsFor(during.reference)).toHaveLength(2);
    const deliveries = await database.db
      .select()
      .from(mailDeliveries)
      .where(eq(mailDeliveries.subjectId, during.incidentId));
    expect(deliveries.every((d) => d.status === "sent" && d.attempts === 1)).toBe(true);
    expect(mailsFor(before.reference)).toHaveLength(2);

    // The sweeper's scheduler lived in the Redis that was lost: the worker put it back.
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queues = createQueues(config, client);
    try {
      await waitUntil(
        "the sweeper scheduler",
        async () => (await queues.maintenance.getJobSchedulersCount()) > 0,
      );
    } finally {
      await queues.close();
      await client.quit();
    }
  });
});

describe("Redis eviction policy", () => {
  it("warns loudly at start when Redis may evict jobs", async () => {
    const redis = await startPrivateRedis(["--maxmemory-policy", "allkeys-lru"]);
    const logs = captureLogs();
    const config = testConfig({
      DATABASE_URL: tdb.url,
      SMTP_URL: smtp.url,
      REDIS_URL: redis.url,
      LOG_LEVEL: "info",
    });
    const worker = await startWorker(config, { logger: createLogger(config, logs.stream) });
    try {
      const warning = await waitUntil("the eviction warning", () =>
        logs.lines.find((l) => l.level === 40 && l.maxmemoryPolicy === "allkeys-lru"),
      );
      expect(warning.msg).toContain("noeviction");
    } finally {
      await worker.close();
      await redis.stop();
    }
  });
});
