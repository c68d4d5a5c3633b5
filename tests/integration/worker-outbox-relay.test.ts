import { randomUUID } from "node:crypto";
import type { Config } from "@pris/config";
import { createDatabase, type Database, outbox, outboxValues } from "@pris/db";
import { incidentMessage, type OutboxTopic } from "@pris/domain";
import {
  createLogger,
  createOutboxRelay,
  createQueues,
  type OutboxRelay,
  type Queues,
  startWorker,
  type WorkerHandle,
} from "@pris/worker";
import { eq, inArray, sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testConfig } from "../support/env.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import {
  type Directory,
  declareIncident,
  seedDirectory,
  sleep,
  waitUntil,
} from "../support/worker-fixtures.ts";

let tdb: TestDatabase;
let smtp: TestSmtpServer;
let dir: Directory;
let seedDb: Database;

beforeAll(async () => {
  tdb = await createTestDatabase();
  smtp = await startSmtpServer();
  seedDb = createDatabase({ url: tdb.url, max: 4 });
  dir = await seedDirectory(seedDb.db);
});

afterAll(async () => {
  await seedDb?.close();
  await smtp?.close();
  await tdb?.drop();
});

async function insertOutboxRows(count: number): Promise<string[]> {
  const rows = await seedDb.db
    .insert(outbox)
    .values(
      Array.from({ length: count }, () => outboxValues(incidentMessage("incident.changed", randomUUID()))),
    )
    .returning({ id: outbox.id });
  return rows.map((r) => r.id);
}

/** Two relays, as two worker processes would run them: each its own pool and Redis connection. */
describe("outbox relay on its own", () => {
  let config: Config;
  const resources: { close(): Promise<unknown> }[] = [];
  let relays: OutboxRelay[];
  let queues: Queues;

  beforeAll(async () => {
    config = testConfig({ DATABASE_URL: tdb.url });
    const logger = createLogger(config);
    relays = [];
    for (let i = 0; i < 2; i++) {
      const database = createDatabase({ url: tdb.url, max: 2 });
      // Connected before the race starts, so neither relay gets a head start.
      await database.pool.query("SELECT 1");
      const redis = new Redis(config.REDIS_URL, { enableOfflineQueue: false });
      await waitUntil("redis", () => redis.status === "ready");
      const q = createQueues(config, redis);
      resources.push(q, { close: () => redis.quit() }, database);
      relays.push(
        createOutboxRelay({
          db: database.db,
          queue: q.outbox,
          connection: redis,
          config,
          logger,
          tuning: { outboxRetryDelayMs: 100, mailRetryDelayMs: 100 },
          batchSize: 7,
        }),
      );
    }
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
    queues = createQueues(config, redis);
    resources.push(queues, { close: () => redis.quit() });
  });

  afterEach(async () => {
    await queues.outbox.obliterate({ force: true });
    await seedDb.db.delete(outbox);
  });

  afterAll(async () => {
    await queues?.outbox.obliterate({ force: true });
    for (const r of resources) await r.close();
  });

  it("dispatches each row once when two relays claim at the same time", async () => {
    const ids = await insertOutboxRows(100);
    const drain = async (relay: OutboxRelay) => {
      let total = 0;
      for (;;) {
        const n = await relay.relayOnce();
        if (n === 0) return total;
        total += n;
      }
    };
    const [a, b] = await Promise.all(relays.map(drain));

    expect(a! + b!).toBe(100);
    // Both took part: SKIP LOCKED handed them different rows rather than making one wait.
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    const rows = await seedDb.db.select().from(outbox).where(inArray(outbox.id, ids));
    expect(rows.every((r) => r.dispatchCount === 1 && r.dispatchedAt !== null)).toBe(true);
    const counts = await queues.outbox.getJobCounts("waiting");
    expect(counts.waiting).toBe(100);
    const jobs = await queues.outbox.getJobs(["waiting"]);
    expect(new Set(jobs.map((j) => j.id))).toEqual(new Set(ids));
    expect(jobs.every((j) => j.name === "incident.changed" && j.data.outboxId === j.id)).toBe(true);
  });

  it("dispatches again a row whose job Redis lost, and only that one", async () => {
    const [lost, alive] = await insertOutboxRows(2);
    expect(await relays[0]!.relayOnce()).toBe(2);
    // Nothing to check until half REDIS_LOSS_RECOVERY_SECONDS has passed.
    expect(await relays[1]!.relayOnce()).toBe(0);

    await (await queues.outbox.getJob(lost!))!.remove();
    await seedDb.db
      .update(outbox)
      .set({ dispatchedAt: sql`now() - interval '1 hour'` })
      .where(inArray(outbox.id, [lost!, alive!]));
    expect(await relays[1]!.relayOnce()).toBe(2);

    const jobs = await queues.outbox.getJobs(["waiting"]);
    expect(jobs.map((j) => j.id).sort()).toEqual([lost!, alive!].sort());
    const rows = await seedDb.db
      .select()
      .from(outbox)
      .where(inArray(outbox.id, [lost!, alive!]));
    expect(Object.fromEntries(rows.map((r) => [r.id, r.dispatchCount]))).toEqual({ [lost!]: 2, [alive!]: 1 });
    // Both were looked at: neither is checked again before another half period.
    expect(rows.every((r) => Date.now() - r.dispatchedAt!.getTime() < 60_000)).toBe(true);
    expect(await relays[1]!.relayOnce()).toBe(0);
  });

  it("leaves declarations to the worker's declaration intake, which takes them without a job", async () => {
    const [row] = await seedDb.db
      .insert(outbox)
      .values(outboxValues(incidentMessage("incident.declared", randomUUID())))
      .returning({ id: outbox.id });
    expect(await relays[0]!.relayOnce()).toBe(0);
    const [after] = await seedDb.db.select().from(outbox).where(eq(outbox.id, row!.id));
    expect(after).toMatchObject({ dispatchCount: 0, dispatchedAt: null });
  });

  it("leaves topics it does not know for a worker that does", async () => {
    const [row] = await seedDb.db
      .insert(outbox)
      // Written by a newer API: a topic this version's types do not have.
      .values({ topic: "topic.of-a-newer-worker" as OutboxTopic, aggregateId: randomUUID() })
      .returning({ id: outbox.id });
    expect(await relays[0]!.relayOnce()).toBe(0);
    const [after] = await seedDb.db.select().from(outbox).where(eq(outbox.id, row!.id));
    expect(after).toMatchObject({ dispatchCount: 0, dispatchedAt: null });
  });
});

describe("two worker processes", () => {
  let workers: WorkerHandle[] = [];
  let queues: Queues;
  let redis: Redis;

  beforeAll(async () => {
    const config = testConfig({ DATABASE_URL: tdb.url, SMTP_URL: smtp.url, OUTBOX_POLL_MS: "50" });
    workers = await Promise.all([
      startWorker(config, { outboxBatchSize: 3 }),
      startWorker(config, { outboxBatchSize: 3 }),
    ]);
    redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
    queues = createQueues(config, redis);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    if (queues) {
      for (const q of [queues.outbox, queues.sendMail, queues.maintenance])
        await q.obliterate({ force: true });
      await queues.close();
    }
    await redis?.quit();
  });

  it("notifies each analyst once per declaration", async () => {
    const declared = await Promise.all(Array.from({ length: 12 }, () => declareIncident(seedDb.db, dir)));
    const expected = declared.length * dir.users.analyst.length;
    // The declarations' e-mails only: on a Monday in the region the ARS's exercise digest goes out too.
    const notices = () => smtp.messages.filter((m) => m.parsed.messageId?.startsWith("<incident-declared."));
    await waitUntil(`${expected} e-mails`, () => notices().length >= expected, 20_000);
    await sleep(500);

    expect(notices()).toHaveLength(expected);
    const messageIds = notices().map((m) => m.parsed.messageId);
    expect(new Set(messageIds).size).toBe(expected);
    const rows = await seedDb.db
      .select()
      .from(outbox)
      .where(
        inArray(
          outbox.id,
          declared.map((d) => d.outboxId),
        ),
      );
    // Each relayed once at most: a declaration another job's batch took before the relay saw it has no job.
    expect(rows.every((r) => r.dispatchCount <= 1 && r.processedAt !== null)).toBe(true);
  });
});
