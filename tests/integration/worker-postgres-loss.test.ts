import { type App, buildApp } from "@pris/api";
import type { Config } from "@pris/config";
import { bulletinDeliveries, createDatabase, type Database, mailDeliveries, timers, users } from "@pris/db";
import { createQueues } from "@pris/worker";
import { and, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bulletinDraft, seedNetwork } from "../support/bulletin-fixtures.ts";
import { testConfig } from "../support/env.ts";
import { createUser, login } from "../support/fixtures.ts";
import { migrateWithPasswordOnly } from "../support/migrate.ts";
import { type PrivatePostgres, startPrivatePostgres } from "../support/private-postgres.ts";
import { startWorkerProcess, type WorkerProcess } from "../support/service-process.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { setOnCall } from "../support/timer-fixtures.ts";
import {
  type Directory,
  declareIncident,
  seedDirectory,
  sleep,
  waitUntil,
} from "../support/worker-fixtures.ts";

/**
 * The worker process against a PostgreSQL cluster of its own, whose server is restarted, and whose
 * connections are cut, while a bulletin fans out and timers fire: every e-mail leaves, the process
 * never exits, and the only duplicates are e-mails in flight at a fault, each copy carrying the same
 * Message-ID. The bound (README, "When PostgreSQL drops its connections"), per fault and worker, when the
 * e-mails accepted under a lost transaction cannot be recorded on a new connection within 15 s:
 * the bulletin fan-out's batches in flight (2 lanes × BULLETIN_BATCH_SIZE), the incident e-mails'
 * (2 lanes × the delivery fan-out's batch, 100) plus the single e-mails being sent (WORKER_CONCURRENCY).
 */
const BATCH = 50;
const DELIVERY_BATCH = 100;
const CONCURRENCY = 10;
const BOUND_PER_FAULT = 2 * BATCH + 2 * DELIVERY_BATCH + CONCURRENCY;
const INCIDENTS = 40;

let pgc: PrivatePostgres;
let database: Database;
let db: Database["db"];
let smtp: TestSmtpServer;
let config: Config;
let app: App;
let analyst: Record<string, string>;
let dir: Directory;
let worker: WorkerProcess;

beforeAll(async () => {
  pgc = await startPrivatePostgres();
  const url = await pgc.createDatabase("pris");
  await migrateWithPasswordOnly(url);
  smtp = await startSmtpServer();
  // A relay that takes its time: transactions are held over SMTP exchanges when the faults strike.
  smtp.slowDown(15);
  config = testConfig({ DATABASE_URL: url, SMTP_URL: smtp.url, PUBLIC_URL: "https://pris.example.re" });
  database = createDatabase({ url, max: 4, applicationName: "pris-test" });
  db = database.db;
  app = await buildApp(config);
  await app.ready();
  analyst = (await login(app, (await createUser(db, { role: "analyst" })).email)).bearer;
  dir = await seedDirectory(db);
  await setOnCall(db, dir.users.analyst[0]!.id, dir.users.analyst[1]!.id);
  await seedNetwork(db, { count: 500, territory: "est", prefix: "est", finessStart: 5000 });
  await seedNetwork(db, { count: 300, territory: "ouest", prefix: "ouest", finessStart: 7000 });
  worker = startWorkerProcess({
    LOG_LEVEL: "warn",
    DATABASE_URL: url,
    REDIS_URL: config.REDIS_URL,
    QUEUE_PREFIX: config.QUEUE_PREFIX,
    SMTP_URL: smtp.url,
    PUBLIC_URL: config.PUBLIC_URL,
    BULLETIN_BATCH_SIZE: String(BATCH),
    WORKER_CONCURRENCY: String(CONCURRENCY),
    OUTBOX_POLL_MS: "100",
  });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await app?.close();
  await database?.close();
  await smtp?.close();
  await pgc?.stop();
  if (config) {
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
    const queues = createQueues(config, redis);
    for (const q of [queues.outbox, queues.sendMail, queues.maintenance]) await q.obliterate({ force: true });
    await queues.close();
    await redis.quit();
  }
});

/** A bulletin to a territory's network, published through the API. */
async function publish(territory: string): Promise<{ id: string; deliveries: number }> {
  const created = await app.inject({
    method: "POST",
    url: "/api/v1/bulletins",
    headers: analyst,
    payload: bulletinDraft({ audience: { territories: [territory] } }),
  });
  const id = created.json().id as string;
  const published = await app.inject({
    method: "POST",
    url: `/api/v1/bulletins/${id}/publish`,
    headers: analyst,
  });
  expect(published.statusCode).toBe(200);
  return { id, deliveries: published.json().deliveries as number };
}

/**
 * Incidents whose service level runs out one after another over the next seconds: their timers fire
 * while the faults strike, each with e-mails to the on-duty analyst and the backup, on top of the
 * declarations' own e-mails.
 */
async function declareWithTimers(count: number, spreadMs: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const ackDueAt = new Date(Date.now() + 1_000 + (spreadMs * i) / count);
    const d = await declareIncident(db, dir, { severity: "P2", ackDueAt });
    ids.push(d.incidentId);
  }
  return ids;
}

/** Every e-mail the database says is owed for these bulletins and incidents, by Message-ID. */
async function owed(bulletinIds: string[], incidentIds: string[]) {
  const bulletin = await db
    .select({ messageId: bulletinDeliveries.messageId, status: bulletinDeliveries.status })
    .from(bulletinDeliveries)
    .where(inArray(bulletinDeliveries.bulletinId, bulletinIds));
  const timerIds = (
    await db
      .select({ id: timers.id })
      .from(timers)
      .where(inArray(sql`${timers.payload}->>'incidentId'`, incidentIds))
  ).map((t) => t.id);
  const single = await db
    .select({ messageId: mailDeliveries.messageId, status: mailDeliveries.status })
    .from(mailDeliveries)
    .where(inArray(mailDeliveries.subjectId, [...incidentIds, ...timerIds]));
  return [...bulletin, ...single];
}

/**
 * Done when the bulletin's deliveries, the declarations' e-mails (one per active analyst) and every
 * timer's e-mails are recorded sent, and no timer of these incidents is left to fire.
 */
async function settled(
  bulletin: { id: string; deliveries: number },
  incidentIds: string[],
): Promise<boolean> {
  const rows = await owed([bulletin.id], incidentIds);
  if (!rows.every((r) => r.status === "sent")) return false;
  const analysts = await db.$count(users, and(eq(users.role, "analyst"), eq(users.active, true)));
  const declared = await db.$count(
    mailDeliveries,
    and(inArray(mailDeliveries.subjectId, incidentIds), eq(mailDeliveries.template, "incident-declared")),
  );
  const ofIncidents = inArray(sql`${timers.payload}->>'incidentId'`, incidentIds);
  const open = await db.$count(timers, and(ofIncidents, isNull(timers.firedAt), isNull(timers.cancelledAt)));
  const missed = await db.$count(
    timers,
    and(ofIncidents, eq(timers.kind, "sla.missed"), isNotNull(timers.firedAt)),
  );
  const bulletinRows = await db.$count(bulletinDeliveries, eq(bulletinDeliveries.bulletinId, bulletin.id));
  return (
    bulletinRows === bulletin.deliveries &&
    declared === analysts * incidentIds.length &&
    missed === incidentIds.length &&
    open === 0
  );
}

/** What arrived for these Message-IDs: lost (never received) and duplicated (received more than once). */
function tally(messageIds: string[]) {
  const received = new Map<string, number>();
  for (const m of smtp.messages) {
    const id = m.parsed.messageId ?? "";
    received.set(id, (received.get(id) ?? 0) + 1);
  }
  const lost = messageIds.filter((id) => !received.has(id));
  const duplicates = messageIds.reduce((n, id) => n + Math.max(0, (received.get(id) ?? 0) - 1), 0);
  return { lost, duplicates, most: Math.max(0, ...messageIds.map((id) => received.get(id) ?? 0)) };
}

const logged = (prefix: string) => worker.logs.filter((l) => l.msg.startsWith(prefix));
const connectionsLost = () => logged("PostgreSQL connection lost").length;
/** E-mails accepted by the SMTP server under a transaction then lost, recorded on a new connection. */
const recordedAfterLoss = () =>
  [...logged("bulletin batch lost"), ...logged("incident batch lost")].reduce(
    (n, l) => n + Number(l.recorded),
    0,
  ) + logged("e-mail accepted, then its transaction lost").length;

describe("the worker when PostgreSQL drops its connections", () => {
  it("restarted mid-fan-out and mid-timers, twice: nothing lost, no exit, duplicates within the bound", async () => {
    const pid = worker.pid;
    const bulletin = await publish("est");
    expect(bulletin.deliveries).toBe(1000);
    const incidentIds = await declareWithTimers(INCIDENTS, 8_000);
    const start = smtp.messages.length;

    await waitUntil("a quarter of the fan-out", () => smtp.messages.length - start >= 250, 120_000);
    await pgc.restart();
    await waitUntil("more e-mails after the restart", () => smtp.messages.length - start >= 600, 60_000);
    await pgc.restart();

    await waitUntil(
      "every e-mail recorded sent",
      () => settled(bulletin, incidentIds).catch(() => false),
      150_000,
    );
    const rows = await owed([bulletin.id], incidentIds);
    const { lost, duplicates, most } = tally(rows.map((r) => r.messageId));
    const faults = 2;
    console.info(
      `postgres restarts: ${rows.length} e-mails owed, ${lost.length} lost, ${duplicates} duplicates, ` +
        `${worker.exits.length} exits, ${connectionsLost()} connections lost, ` +
        `${recordedAfterLoss()} e-mails recorded after their transaction was lost`,
    );
    expect(lost).toEqual([]);
    expect(duplicates).toBeLessThanOrEqual(faults * BOUND_PER_FAULT);
    expect(most).toBeLessThanOrEqual(1 + faults);
    expect(connectionsLost()).toBeGreaterThan(0);
    expect(worker.exits).toEqual([]);
    expect(worker.pid).toBe(pid);
    expect(worker.alive()).toBe(true);
  }, 240_000);

  it("its connections terminated five times mid-fan-out and mid-timers: nothing lost, no exit", async () => {
    const pid = worker.pid;
    const lostBefore = connectionsLost();
    const recordedBefore = recordedAfterLoss();
    const bulletin = await publish("ouest");
    expect(bulletin.deliveries).toBe(600);
    const incidentIds = await declareWithTimers(INCIDENTS, 6_000);
    const start = smtp.messages.length;

    let terminated = 0;
    for (let i = 1; i <= 5; i += 1) {
      await waitUntil(`e-mails before cut ${i}`, () => smtp.messages.length - start >= i * 100, 60_000);
      terminated += await pgc.terminate("pris-worker");
      await sleep(200);
    }
    await waitUntil(
      "every e-mail recorded sent",
      () => settled(bulletin, incidentIds).catch(() => false),
      150_000,
    );
    const rows = await owed([bulletin.id], incidentIds);
    const { lost, duplicates } = tally(rows.map((r) => r.messageId));
    console.info(
      `connections terminated: ${terminated} connections cut in 5 rounds, ${rows.length} e-mails owed, ` +
        `${lost.length} lost, ${duplicates} duplicates, ${worker.exits.length} exits, ` +
        `${recordedAfterLoss() - recordedBefore} e-mails recorded after their transaction was lost`,
    );
    expect(terminated).toBeGreaterThanOrEqual(5);
    expect(connectionsLost()).toBeGreaterThan(lostBefore);
    expect(lost).toEqual([]);
    expect(duplicates).toBeLessThanOrEqual(5 * BOUND_PER_FAULT);
    expect(worker.exits).toEqual([]);
    expect(worker.pid).toBe(pid);
    expect(worker.alive()).toBe(true);
  }, 240_000);
});
