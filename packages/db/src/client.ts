import { fileURLToPath } from "node:url";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate as drizzleMigrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import * as baseSchema from "./schema.ts";
import * as bulletinSchema from "./schema-bulletins.ts";
import * as evidenceSchema from "./schema-evidence.ts";
import * as exerciseSchema from "./schema-exercises.ts";
import * as intakeSchema from "./schema-intake.ts";

const schema = { ...baseSchema, ...exerciseSchema, ...bulletinSchema, ...evidenceSchema, ...intakeSchema };

export type Db = NodePgDatabase<typeof schema>;
/** A transaction handle or the database: repositories accept either. */
export type Tx = Db | Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface Database {
  pool: pg.Pool;
  db: Db;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string;
  max?: number;
  applicationName?: string;
  /**
   * The sessions' TimeZone: the region's, so that a day SQL derives from the clock (`current_date`, the day
   * an establishment left the registry) is the region's day, whatever the server's own zone.
   */
  timeZone?: string;
  /** Told of every pooled connection lost (a server restart, pg_terminate_backend, a network cut). */
  onConnectionError?: (err: Error) => void;
}

export function createDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "pris",
    connectionTimeoutMillis: 5_000,
    ...(options.timeZone ? { options: `-c TimeZone=${options.timeZone}` } : {}),
  });
  // A connection lost while checked out (a transaction waiting on SMTP, say) emits 'error' on the
  // client itself, where the pool listens only while the client is idle: unheard, it would end the
  // process. Heard here, it fails the client's pending and next queries instead — the transaction
  // rolls back with its connection, its caller retries — and the pool discards the client on release.
  // This listener hears idle connections too, so the pool's own 'error' needs no second report.
  pool.on("connect", (client) => client.on("error", options.onConnectionError ?? (() => {})));
  pool.on("error", () => {});
  const db = drizzle(pool, { schema });
  return { pool, db, close: () => pool.end() };
}

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../../migrations", import.meta.url));

/** Arbitrary but fixed: every process that migrates takes the same lock, so migrations run once. */
const MIGRATION_LOCK = 727_020_260;

/** Applies pending migrations under a session advisory lock held on one dedicated connection. */
export async function migrate(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: "pris-migrate" });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await drizzleMigrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
    await client.end();
  }
}

/** Creates the database named in the URL when it does not exist (local and test setups). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}
