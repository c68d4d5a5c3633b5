import net from "node:net";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migrateWithPasswordOnly } from "../support/migrate.ts";

/**
 * Real PostgreSQL and Redis for the integration tests: DATABASE_URL / REDIS_URL when set;
 * otherwise containers through testcontainers when Docker answers; otherwise the default local
 * addresses. Migrations run once into a template database that each test file clones.
 */
declare module "vitest" {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    templateDatabase: string;
    redisUrl: string;
    runId: string;
  }
}

/** Databases of a run are named pris_test_<run start in seconds>_…, so a later run can clear old leftovers. */
const RUN = `${Math.floor(Date.now() / 1000)}`;
const TEMPLATE = `pris_test_${RUN}_template`;
const LEFTOVER_AGE_SECONDS = 3 * 3600;

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export default async function setup(project: TestProject) {
  const stops: (() => Promise<unknown>)[] = [];
  let databaseUrl = process.env.DATABASE_URL;
  let redisUrl = process.env.REDIS_URL;

  if ((!databaseUrl || !redisUrl) && !(await reachable("127.0.0.1", 5432)) && (await dockerAvailable())) {
    const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
    const { RedisContainer } = await import("@testcontainers/redis");
    if (!databaseUrl) {
      const pgc = await new PostgreSqlContainer("postgres:17-alpine").start();
      stops.push(() => pgc.stop());
      databaseUrl = pgc.getConnectionUri();
    }
    if (!redisUrl) {
      const rc = await new RedisContainer("redis:7-alpine")
        .withCommand(["redis-server", "--maxmemory-policy", "noeviction"])
        .start();
      stops.push(() => rc.stop());
      redisUrl = rc.getConnectionUrl();
    }
  }
  databaseUrl ??= "postgres://postgres:postgres@127.0.0.1:5432/postgres";
  redisUrl ??= "redis://127.0.0.1:6379";

  const admin = new URL(databaseUrl);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  // Leftovers of interrupted runs; recent ones may belong to a run still going on beside this one.
  const stale = await client.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname ~ '^pris_test_[0-9]+_'",
  );
  for (const { datname } of stale.rows) {
    const started = Number(datname.split("_")[2]);
    if (Number(RUN) - started > LEFTOVER_AGE_SECONDS)
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
  await client.query(`CREATE DATABASE "${TEMPLATE}"`);
  await client.end();

  const templateUrl = new URL(admin);
  templateUrl.pathname = `/${TEMPLATE}`;
  await migrateWithPasswordOnly(templateUrl.toString());

  project.provide("adminDatabaseUrl", admin.toString());
  project.provide("templateDatabase", TEMPLATE);
  project.provide("redisUrl", redisUrl);

  project.provide("runId", RUN);

  return async () => {
    const cleanup = new pg.Client({ connectionString: admin.toString() });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS "${TEMPLATE}" WITH (FORCE)`);
    await cleanup.end();
    for (const stop of stops.reverse()) await stop();
  };
}
