import type { Config } from "@pris/config";
import { createDatabase, type Database, mailDeliveries, outbox } from "@pris/db";
import type { MailDeliveryTemplate } from "@pris/domain";
import {
  createLogger,
  createOutboxRelay,
  createQueues,
  type StartWorkerOptions,
  startWorker,
  type WorkerHandle,
} from "@pris/worker";
import { and, inArray } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testConfig } from "../support/env.ts";
import { type PrivateRedis, startPrivateRedis } from "../support/redis-server.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { changeIncident } from "../support/timer-fixtures.ts";
import { type Directory, declareIncident, seedDirectory, waitUntil } from "../support/worker-fixtures.ts";

/**
 * Redis loses the jobs of P1 alerts — wiped (FLUSHALL) under a running worker while the alerts wait for
 * a refusing SMTP relay, or restarted empty while their outbox jobs wait for a worker — and the alerts
 * still leave within REDIS_LOSS_RECOVERY_SECONDS of Redis being back, far within the P1's 15-minute
 * acknowledgement service level. The setting is shortened here to keep the test short; the mechanism
 * does not depend on its value (README: "When Redis loses its jobs").
 */
const RECOVERY_SECONDS = 8;
/** Beyond the setting: a sweep or relay round in progress, the SMTP exchange, a loaded machine. */
const SLACK_MS = 5_000;
const P1_SERVICE_LEVEL_MS = 15 * 60_000;
const ALERT_TEMPLATES: MailDeliveryTemplate[] = ["incident-declared", "incident-escalated"];
/** Retries of refused e-mails wait longer than the bound: an e-mail sent within it was found again. */
const TUNING: StartWorkerOptions["tuning"] = { mailRetryDelayMs: 10 * 60_000, outboxRetryDelayMs: 60_000 };

let tdb: TestDatabase;
let database: Database;
let db: Database["db"];
let smtp: TestSmtpServer;
let redis: PrivateRedis;
let config: Config;
let dir: Directory;
const workers: WorkerHandle[] = [];
const delays: number[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase();
  smtp = await startSmtpServer();
  redis = await startPrivateRedis();
  config = testConfig({
    DATABASE_URL: tdb.url,
    SMTP_URL: smtp.url,
    REDIS_URL: redis.url,
    REDIS_LOSS_RECOVERY_SECONDS: String(RECOVERY_SECONDS),
  });
  database = createDatabase({ url: tdb.url, max: 4 });
  db = database.db;
  dir = await seedDirectory(db);
});

afterAll(async () => {
  for (const w of workers) await w.close();
  await redis?.stop();
  await database?.close();
  await smtp?.close();
  await tdb?.drop();
  console.info(`redis wipe: longest delay of an alert after Redis was back: ${Math.max(...delays)} ms`);
});

async function start(): Promise<WorkerHandle> {
  const handle = await startWorker(config, { tuning: TUNING });
  workers.push(handle);
  return handle;
}

/** P1 declarations (the pole, the task force, the ARS) and P2s raised to P1 (the task force, the ARS). */
async function raiseAlerts(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    ids.push((await declareIncident(db, dir, { severity: "P1", tlp: "AMBER" })).incidentId);
    const raised = await declareIncident(db, dir, { severity: "P2" });
    await changeIncident(db, raised.incidentId, { severity: "P1", crisisCell: true }, ["incident.escalated"]);
    ids.push(raised.incidentId);
  }
  return ids;
}

/**
 * The alert e-mails of these incidents once every outbox row about them is processed (how many depends
 * on whether a raised incident was still P2 when its declaration was handled); undefined before.
 */
async function alertDeliveries(incidentIds: string[]) {
  const rows = await db.select().from(outbox).where(inArray(outbox.aggregateId, incidentIds));
  if (rows.length === 0 || rows.some((r) => r.processedAt === null)) return undefined;
  return db
    .select()
    .from(mailDeliveries)
    .where(
      and(inArray(mailDeliveries.subjectId, incidentIds), inArray(mailDeliveries.template, ALERT_TEMPLATES)),
    );
}

/** Waits for every alert e-mail of these incidents; returns the longest delay after `back`. */
async function alertsArrive(incidentIds: string[], back: number): Promise<number> {
  const deliveries = await waitUntil(
    "every alert recorded sent",
    async () => {
      const rows = await alertDeliveries(incidentIds);
      return rows?.every((d) => d.status === "sent") && rows;
    },
    P1_SERVICE_LEVEL_MS,
  );
  // At least the P1 declarations (2 analysts, the task force, the ARS) and the escalations (the last two).
  expect(deliveries.length).toBeGreaterThanOrEqual((incidentIds.length / 2) * 6);
  const wanted = new Set(deliveries.map((d) => d.messageId));
  const received = smtp.messages.filter((m) => wanted.has(m.parsed.messageId ?? ""));
  // Each alert once: the refused attempts delivered nothing.
  expect(received.map((m) => m.parsed.messageId).sort()).toEqual([...wanted].sort());
  return Math.max(...received.map((m) => m.receivedAt - back));
}

it("a FLUSHALL while P1 alerts wait for a refusing SMTP relay: they leave within the bound", async () => {
  await start();
  smtp.failRecipients(451, 1_000_000);
  const incidentIds = await raiseAlerts(3);
  await waitUntil(
    "every alert tried once and deferred, its retry delayed in Redis",
    async () => {
      const rows = await alertDeliveries(incidentIds);
      return rows?.every((d) => d.status === "deferred");
    },
    30_000,
  );

  const admin = new Redis(redis.url);
  await admin.flushall();
  expect(await admin.dbsize()).toBe(0);
  await admin.quit();
  const back = Date.now();
  smtp.failRecipients(451, 0);

  const delay = await alertsArrive(incidentIds, back);
  delays.push(delay);
  console.info(`FLUSHALL: longest delay of a P1 alert after the wipe: ${delay} ms`);
  expect(delay).toBeLessThanOrEqual(RECOVERY_SECONDS * 1000 + SLACK_MS);

  // The job schedulers went with the wipe, without a reconnection to put them back: the sweeper did.
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queues = createQueues(config, client);
  try {
    const ids = (await queues.maintenance.getJobSchedulers()).map((s) => s.key).sort();
    expect(ids).toEqual([
      "bulletin-reminders",
      "exercise-reminders",
      "log-checkpoint-catch-up",
      "log-checkpoint-daily",
      "prune-access-traces",
      "prune-sign-in-records",
      "purge-closed-incidents",
    ]);
  } finally {
    await queues.close();
    await client.quit();
  }
}, 90_000);

it("Redis restarted empty while P1 alerts' outbox jobs wait for a worker: they leave within the bound", async () => {
  for (const w of workers.splice(0)) await w.close();
  const incidentIds = await raiseAlerts(3);
  // What a worker does before it dies: the rows relayed, their jobs in Redis, nobody consuming them.
  const producer = new Redis(redis.url, { enableOfflineQueue: false });
  await waitUntil("redis", () => producer.status === "ready");
  const queues = createQueues(config, producer);
  const relay = createOutboxRelay({
    db,
    queue: queues.outbox,
    connection: producer,
    config,
    logger: createLogger(config),
    tuning: { mailRetryDelayMs: 60_000, outboxRetryDelayMs: 60_000 },
  });
  while ((await relay.relayOnce()) > 0);
  const rows = await db.select().from(outbox).where(inArray(outbox.aggregateId, incidentIds));
  // Per pair: two declarations, a change and an escalation. Declarations are not relayed: the worker takes
  // them from PostgreSQL itself.
  expect(rows.length).toBe(12);
  const declared = (r: (typeof rows)[number]) => r.topic === "incident.declared";
  expect(rows.filter(declared).every((r) => r.dispatchCount === 0 && r.processedAt === null)).toBe(true);
  const relayed = rows.filter((r) => !declared(r));
  expect(relayed.every((r) => r.dispatchCount === 1 && r.processedAt === null)).toBe(true);
  expect(await queues.outbox.getJobCountByTypes("waiting")).toBe(relayed.length);
  await queues.close();
  producer.disconnect();

  await redis.kill();
  await redis.start();
  const back = Date.now();
  await start();

  const delay = await alertsArrive(incidentIds, back);
  delays.push(delay);
  console.info(`restarted empty: longest delay of a P1 alert after Redis was back: ${delay} ms`);
  expect(delay).toBeLessThanOrEqual(RECOVERY_SECONDS * 1000 + SLACK_MS);
  const after = await db.select().from(outbox).where(inArray(outbox.aggregateId, incidentIds));
  expect(after.every((r) => r.processedAt !== null)).toBe(true);
  expect(after.every((r) => r.dispatchCount === (r.topic === "incident.declared" ? 0 : 2))).toBe(true);
}, 90_000);
