import { type App, buildApp } from "@pris/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testConfig } from "../support/env.ts";
import { createEstablishment, createUser, declaration, login } from "../support/fixtures.ts";
import { migrateWithPasswordOnly } from "../support/migrate.ts";
import { type PrivatePostgres, startPrivatePostgres } from "../support/private-postgres.ts";

/**
 * DATABASE_READ_URL sends the statistics and the exports to a read replica: here a real hot standby streaming
 * from a private primary. Pausing its replay shows which one a route reads: the standby stays at the moment
 * it paused, the primary moves on.
 */
let primary: PrivatePostgres;
let standby: PrivatePostgres;
let app: App;
let rssi: Record<string, string>;
let analyst: Record<string, string>;
let ars: Record<string, string>;
let admin: Record<string, string>;

const year = new Date().getUTCFullYear();
const statsUrl = (suffix = "") =>
  `/api/v1/stats/incidents${suffix}?from=${year - 1}-01-01&to=${year + 1}-12-31`;

async function standbyQuery(sqlText: string): Promise<unknown> {
  const pg = await import("pg");
  const client = new pg.default.Client({ connectionString: standby.url("pris") });
  await client.connect();
  try {
    return (await client.query(sqlText)).rows[0];
  } finally {
    await client.end();
  }
}

/** Waits until the standby has replayed everything the primary wrote so far. */
async function caughtUp(): Promise<void> {
  const pg = await import("pg");
  const client = new pg.default.Client({ connectionString: primary.url("pris") });
  await client.connect();
  const { lsn } = (await client.query("SELECT pg_current_wal_lsn()::text AS lsn")).rows[0];
  await client.end();
  await expect
    .poll(async () => {
      const row = (await standbyQuery(
        `SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '${lsn}') >= 0 AS done`,
      )) as { done: boolean };
      return row.done;
    })
    .toBe(true);
}

async function declare(): Promise<void> {
  const res = await app.inject({
    method: "POST",
    url: "/api/v1/incidents",
    headers: rssi,
    payload: declaration(),
  });
  expect(res.statusCode).toBe(201);
}

async function declaredInStats(headers: Record<string, string>): Promise<number> {
  const res = await app.inject({ method: "GET", url: statsUrl(), headers });
  expect(res.statusCode).toBe(200);
  return (res.json() as { total: number }).total;
}

beforeAll(async () => {
  primary = await startPrivatePostgres();
  const url = await primary.createDatabase("pris");
  await migrateWithPasswordOnly(url);
  standby = await startPrivatePostgres({ hot_standby: "on" }, { standbyOf: primary });
  app = await buildApp(testConfig({ DATABASE_URL: url, DATABASE_READ_URL: standby.url("pris") }));
  await app.ready();
  const establishment = await createEstablishment(app.database.db);
  const as = async (role: Parameters<typeof createUser>[1]["role"], establishmentId?: string) =>
    (await login(app, (await createUser(app.database.db, { role, establishmentId })).email)).bearer;
  rssi = await as("rssi", establishment.id);
  analyst = await as("analyst");
  ars = await as("ars");
  admin = await as("admin");
}, 120_000);

afterAll(async () => {
  await app?.close();
  await standby?.stop();
  await primary?.stop();
});

describe("a read replica for the statistics and the exports (DATABASE_READ_URL)", () => {
  it("is a real standby: it refuses writes", async () => {
    await expect(standbyQuery("CREATE TABLE nope (id int)")).rejects.toThrow(/read-only/);
  });

  it("serves the statistics from the replica while the journeys read the primary", async () => {
    await declare();
    await caughtUp();
    expect(await declaredInStats(analyst)).toBe(1);

    await standbyQuery("SELECT pg_wal_replay_pause()");
    try {
      await declare();
      // The pole's queue reads the primary: the new incident is there at once.
      const queue = await app.inject({ method: "GET", url: "/api/v1/queue", headers: analyst });
      expect(queue.statusCode).toBe(200);
      expect((queue.json() as { items: unknown[] }).items).toHaveLength(2);
      // The statistics, their CSV and the exercise completion read the paused replica.
      expect(await declaredInStats(ars)).toBe(1);
      const csv = await app.inject({ method: "GET", url: statsUrl(".csv"), headers: analyst });
      expect(csv.statusCode).toBe(200);
      const completion = await app.inject({
        method: "GET",
        url: "/api/v1/exercises/completion",
        headers: ars,
      });
      expect(completion.statusCode).toBe(200);
      const audit = await app.inject({ method: "GET", url: "/api/v1/audit.csv", headers: admin });
      expect(audit.statusCode).toBe(200);
    } finally {
      await standbyQuery("SELECT pg_wal_replay_resume()");
    }
    await caughtUp();
    // Replayed up to the primary's position; the standby may show the commit a moment later still.
    await expect.poll(() => declaredInStats(analyst)).toBe(2);
  });

  it("keeps the statistics' scope: an RSSI gets 403 from the replica's routes too", async () => {
    const res = await app.inject({ method: "GET", url: statsUrl(), headers: rssi });
    expect(res.statusCode).toBe(403);
    expect(res.headers["content-type"]).toMatch(/problem\+json/);
  });

  it("answers 503 on those routes when the replica is gone, and the journeys go on", async () => {
    await standby.stop();
    const res = await app.inject({ method: "GET", url: statsUrl(), headers: analyst });
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("5");
    expect(res.json()).toMatchObject({ code: "database_unavailable" });
    await declare();
    const queue = await app.inject({ method: "GET", url: "/api/v1/queue", headers: analyst });
    expect(queue.statusCode).toBe(200);
  });
});
