import { type App, buildApp } from "@pris/api";
import type { Config } from "@pris/config";
import { createDatabase, type Database } from "@pris/db";
import { createLogger, startWorker, type WorkerHandle } from "@pris/worker";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testConfig } from "../support/env.ts";
import { type PrivateRedis, startPrivateRedis, startSentinel } from "../support/redis-server.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { type Directory, declareIncident, seedDirectory, waitUntil } from "../support/worker-fixtures.ts";

/**
 * REDIS_SENTINELS: the worker and the API ask a real Sentinel for the primary, and follow it when the
 * Sentinel fails over to the replica — as with the redis-operator's RedisSentinel in infra/k8s.
 */
const MASTER = "pris";
let tdb: TestDatabase;
let database: Database;
let smtp: TestSmtpServer;
let dir: Directory;
let primary: PrivateRedis;
let replica: PrivateRedis;
let sentinel: Awaited<ReturnType<typeof startSentinel>>;
let config: Config;
let worker: WorkerHandle;
let app: App;

const silent = { write: () => {} };

beforeAll(async () => {
  tdb = await createTestDatabase();
  smtp = await startSmtpServer();
  database = createDatabase({ url: tdb.url, max: 4 });
  dir = await seedDirectory(database.db);
  primary = await startPrivateRedis();
  replica = await startPrivateRedis(["--replicaof", "127.0.0.1", String(primary.port)]);
  sentinel = await startSentinel(MASTER, primary);
  config = testConfig({
    DATABASE_URL: tdb.url,
    SMTP_URL: smtp.url,
    // Nothing listens there: only the Sentinel can tell where the primary is.
    REDIS_URL: "redis://127.0.0.1:1",
    REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`,
    REDIS_SENTINEL_MASTER: MASTER,
  });
  worker = await startWorker(config, { logger: createLogger(config, silent), sweepEveryMs: 500 });
  app = await buildApp(config);
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await worker?.close();
  await sentinel?.stop();
  await replica?.stop();
  await primary?.stop();
  await database?.close();
  await smtp?.close();
  await tdb?.drop();
});

async function declaredAndMailed(): Promise<void> {
  const { reference } = await declareIncident(database.db, dir);
  await waitUntil(
    `the e-mails of ${reference}`,
    () => smtp.messages.some((m) => m.parsed.subject?.includes(reference)),
    30_000,
  );
}

async function primaryPort(): Promise<number> {
  const client = new Redis(sentinel.port, "127.0.0.1");
  try {
    const [, port] = (await client.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)) as string[];
    return Number(port);
  } finally {
    client.disconnect();
  }
}

describe("Redis through Sentinel (REDIS_SENTINELS)", () => {
  it("finds the primary through the Sentinel: the API is ready and the worker sends the alerts", async () => {
    const ready = await app.inject({ method: "GET", url: "/health/ready" });
    expect(ready.json()).toMatchObject({ redis: { status: "ok" } });
    await declaredAndMailed();
  });

  it("follows a failover to the replica, the old primary gone", async () => {
    const client = new Redis(sentinel.port, "127.0.0.1");
    await client.call("SENTINEL", "FAILOVER", MASTER);
    client.disconnect();
    await waitUntil(
      "the Sentinel to promote the replica",
      async () => (await primaryPort()) === replica.port,
      20_000,
    );
    await primary.kill();

    await declaredAndMailed();
    await waitUntil(
      "the API to be ready again",
      async () => (await app.inject({ method: "GET", url: "/health/ready" })).statusCode === 200,
      20_000,
    );
  });
});
