import { createDatabase, type Database } from "@pris/db";
import { createQueues, type Queues, startWorker, type WorkerHandle } from "@pris/worker";
import { sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testConfig } from "../support/env.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import {
  type Directory,
  declareIncident,
  seedDirectory,
  sleep,
  waitUntil,
} from "../support/worker-fixtures.ts";

const WAKE_APP = "pris-worker-outbox-wake";

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

function noticesOf(incidentId: string) {
  return smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<incident-declared.${incidentId}.`));
}

/** The worker's LISTEN connection on this test's database, if it has one. */
async function listenerPid(): Promise<number | undefined> {
  const { rows } = await seedDb.db.execute<{ pid: number }>(
    sql`SELECT pid FROM pg_stat_activity WHERE application_name = ${WAKE_APP} AND datname = ${tdb.name}
        AND query ILIKE 'LISTEN%'`,
  );
  return rows[0]?.pid;
}

/** Declares an incident and times its analysts' e-mails from the commit. */
async function declareAndTime(db: Database, timeoutMs: number): Promise<number> {
  const started = Date.now();
  const { incidentId } = await declareIncident(db.db, dir);
  const expected = dir.users.analyst.length;
  await waitUntil(`${expected} e-mails`, () => noticesOf(incidentId).length >= expected, timeoutMs);
  return Date.now() - started;
}

async function startWith(pollMs: string): Promise<{ worker: WorkerHandle; queues: Queues; redis: Redis }> {
  const config = testConfig({ DATABASE_URL: tdb.url, SMTP_URL: smtp.url, OUTBOX_POLL_MS: pollMs });
  const worker = await startWorker(config);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  return { worker, queues: createQueues(config, redis), redis };
}

async function stop({ worker, queues, redis }: { worker: WorkerHandle; queues: Queues; redis: Redis }) {
  await worker.close();
  for (const q of [queues.outbox, queues.sendMail, queues.maintenance]) await q.obliterate({ force: true });
  await queues.close();
  await redis.quit();
}

describe("the relay woken when outbox rows commit, with a one-minute poll", () => {
  let running: Awaited<ReturnType<typeof startWith>>;

  beforeAll(async () => {
    running = await startWith("60000");
    await waitUntil("the LISTEN connection", async () => (await listenerPid()) !== undefined, 5_000);
  });

  afterAll(async () => {
    if (running) await stop(running);
  });

  // Seconds against the poll's minute: the bound leaves room for a loaded machine, not for a poll.
  it("sends a declaration's e-mails within seconds, not at the next poll a minute later", async () => {
    for (let i = 0; i < 3; i++) expect(await declareAndTime(seedDb, 10_000)).toBeLessThan(10_000);
  });

  it("listens again after its connection is killed, and relays what committed meanwhile", async () => {
    const before = await listenerPid();
    await seedDb.db.execute(sql`SELECT pg_terminate_backend(${before})`);
    // Committed while nothing listens: its notification is lost; listening again wakes the relay.
    const meanwhile = await declareAndTime(seedDb, 15_000);
    expect(meanwhile).toBeLessThan(15_000);
    await waitUntil(
      "a new LISTEN connection",
      async () => {
        const pid = await listenerPid();
        return pid !== undefined && pid !== before;
      },
      5_000,
    );
    expect(await declareAndTime(seedDb, 10_000)).toBeLessThan(10_000);
  });
});

describe("the poll as the safety net", () => {
  let running: Awaited<ReturnType<typeof startWith>>;
  let silentDb: Database;

  beforeAll(async () => {
    running = await startWith("1000");
    // Triggers off for this connection: its outbox rows commit without a notification.
    const url = new URL(tdb.url);
    url.searchParams.set("options", "-c session_replication_role=replica");
    silentDb = createDatabase({ url: url.toString(), max: 1 });
  });

  afterAll(async () => {
    await silentDb?.close();
    if (running) await stop(running);
  });

  it("relays a row whose notification never came", async () => {
    await waitUntil("the LISTEN connection", async () => (await listenerPid()) !== undefined, 5_000);
    await sleep(200);
    const { rows } = await silentDb.db.execute<{ role: string }>(
      sql`SELECT current_setting('session_replication_role') AS role`,
    );
    expect(rows[0]?.role).toBe("replica");
    expect(await declareAndTime(silentDb, 5_000)).toBeLessThan(5_000);
  });
});
