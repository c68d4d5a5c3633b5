import { randomBytes } from "node:crypto";
import { type Config, loadConfig } from "@pris/config";
import pg from "pg";
import { inject } from "vitest";

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: inject("adminDatabaseUrl") });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database cloned from the migrated template: one per test file, dropped afterwards. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `pris_test_${inject("runId")}_${process.env.VITEST_POOL_ID ?? "0"}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${inject("templateDatabase")}"`);
  const url = new URL(inject("adminDatabaseUrl"));
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

export function uniqueQueuePrefix(): string {
  return `pris-test-${randomBytes(4).toString("hex")}`;
}

/** The configuration a test process would read, pointed at this test's database, Redis and SMTP. */
export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    REDIS_URL: inject("redisUrl"),
    QUEUE_PREFIX: uniqueQueuePrefix(),
    MIGRATE_ON_START: "false",
    PUBLIC_URL: "http://localhost:3000",
    OUTBOX_POLL_MS: "100",
    ...overrides,
  });
}
