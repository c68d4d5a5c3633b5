import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { createDatabase, ensureDatabase, MIGRATIONS_DIR } from "./client.ts";
import { checkIncidentLog } from "./incident-log.ts";
import type { LogChainKeyring } from "./log-chain-keys.ts";

/**
 * Backups of the compose deployment: pg_dump's custom format, a manifest of what the dump holds (row
 * counts taken in the dump's own snapshot, migration level, server version) and a sha256sum file over
 * both. A restore checks the checksums first, goes only into an empty database, and afterwards holds
 * the restored rows against the manifest and every main courante against its keys, anchor and signed
 * checkpoints — a backup is proven by restoring it, not by having written it.
 */

export const MANIFEST_FORMAT = "pris-backup/1";

/** Exit codes of `pnpm ops:backup` / `pnpm ops:restore`, documented in the README. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  damaged: 3,
  notEmpty: 4,
  verificationFailed: 5,
} as const;

/** A refusal or failure told to the operator as is, with the exit code that says which. */
export class OpsError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = "OpsError";
  }
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  createdAt: string;
  database: string;
  server: { version: string; major: number };
  pgDump: { version: string; major: number };
  dump: { file: string; bytes: number; sha256: string };
  migrations: { applied: number; latest: string | null } | null;
  /** Rows per table ("schema.table"), counted in the snapshot pg_dump dumped. */
  tables: Record<string, number>;
}

const execFileAsync = promisify(execFile);

/** The URL without its password, which goes to libpq through PGPASSWORD rather than the process list. */
function libpqTarget(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = "";
  return {
    dbname: parsed.toString(),
    env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) },
  };
}

export const databaseName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));

async function toolVersion(path: string): Promise<{ version: string; major: number } | null> {
  try {
    const { stdout } = await execFileAsync(path, ["--version"]);
    const match = /\(PostgreSQL\)\s+(\d+)(\.\d+)?/.exec(stdout);
    if (!match) return null;
    return { version: `${match[1]}${match[2] ?? ""}`, major: Number(match[1]) };
  } catch {
    return null;
  }
}

/**
 * pg_dump or pg_restore of at least `minMajor`, the closest to it: Debian keeps each major in
 * /usr/lib/postgresql/<major>/bin, while the one on PATH is whichever the wrapper picks. PG_BINDIR, when
 * set, is the only place looked at.
 */
export async function findPgTool(
  tool: "pg_dump" | "pg_restore",
  minMajor: number,
): Promise<{ path: string; version: string; major: number }> {
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(join(process.env.PG_BINDIR, tool));
  else {
    const root = "/usr/lib/postgresql";
    if (existsSync(root)) {
      for (const major of readdirSync(root).sort((a, b) => Number(a) - Number(b))) {
        candidates.push(join(root, major, "bin", tool));
      }
    }
    candidates.push(tool);
  }
  const found: { path: string; version: string; major: number }[] = [];
  for (const path of candidates) {
    if (path.includes("/") && !existsSync(path)) continue;
    const version = await toolVersion(path);
    if (version) found.push({ path, ...version });
  }
  const fit = found.filter((f) => f.major >= minMajor).sort((a, b) => a.major - b.major)[0];
  if (fit) return fit;
  const seen = found.length > 0 ? found.map((f) => `${f.version} (${f.path})`).join(", ") : "none";
  throw new OpsError(
    `${tool} ${minMajor} or later is needed (for the server's or the archive's PostgreSQL ${minMajor}); found: ${seen}. ` +
      `Install the PostgreSQL ${minMajor} client tools (Debian: postgresql-client-${minMajor}) or set PG_BINDIR.`,
    EXIT.failed,
  );
}

async function serverVersion(client: pg.Client): Promise<{ version: string; major: number }> {
  const { rows } = await client.query<{ num: string; version: string }>(
    "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version",
  );
  return { version: rows[0]!.version.split(" ")[0]!, major: Math.floor(Number(rows[0]!.num) / 10000) };
}

/** Tables and the like outside the system schemas, extensions' own excepted. */
const USER_RELATIONS = `
  SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  ORDER BY 1, 2`;

/** Exact row counts of every user table, in the client's current snapshot. */
export async function tableCounts(client: pg.Client): Promise<Record<string, number>> {
  const { rows } = await client.query<{ schema: string; name: string; kind: string }>(USER_RELATIONS);
  const counts: Record<string, number> = {};
  for (const { schema, name, kind } of rows) {
    if (kind !== "r" && kind !== "p") continue;
    const { rows: counted } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(name)}`,
    );
    counts[`${schema}.${name}`] = Number(counted[0]!.n);
  }
  return counts;
}

/** How many migrations drizzle recorded, and the tag of the latest one this checkout knows. */
async function migrationLevel(client: pg.Client): Promise<BackupManifest["migrations"]> {
  const { rows: present } = await client.query(
    "SELECT 1 FROM pg_tables WHERE schemaname = 'drizzle' AND tablename = '__drizzle_migrations'",
  );
  if (present.length === 0) return null;
  const { rows } = await client.query<{ n: string; latest: string | null }>(
    "SELECT count(*) AS n, max(created_at)::text AS latest FROM drizzle.__drizzle_migrations",
  );
  let latest: string | null = null;
  try {
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as {
      entries: { when: number; tag: string }[];
    };
    latest = journal.entries.find((e) => String(e.when) === rows[0]!.latest)?.tag ?? null;
  } catch {
    // A journal that cannot be read only costs the manifest the migration's name.
  }
  return { applied: Number(rows[0]!.n), latest };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "inherit", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", (err) =>
      reject(new OpsError(`${command} could not start: ${err.message}`, EXIT.failed)),
    );
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new OpsError(
            `${basename(command)} failed (${signal ?? `exit ${code}`}):\n${stderr.trim() || "(no message)"}`,
            EXIT.failed,
          ),
        );
    });
  });
}

export const manifestPath = (dumpFile: string) => `${dumpFile}.manifest.json`;
export const checksumPath = (dumpFile: string) => `${dumpFile}.sha256`;

/**
 * Dumps the database with pg_dump's custom format into `file`, then writes `<file>.manifest.json` and
 * `<file>.sha256` (sha256sum's format, covering both, so `sha256sum -c` checks them by hand too). The
 * counts are taken in the snapshot that pg_dump is given, so they match the dump even on a live database.
 */
export async function backupDatabase(options: {
  url: string;
  file: string;
  log?: (line: string) => void;
}): Promise<BackupManifest> {
  const log = options.log ?? (() => {});
  const client = new pg.Client({ connectionString: options.url, application_name: "pris-backup" });
  await client.connect();
  const partial = `${options.file}.partial`;
  try {
    const server = await serverVersion(client);
    const pgDump = await findPgTool("pg_dump", server.major);
    log(`PostgreSQL ${server.version}, pg_dump ${pgDump.version} (${pgDump.path})`);
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const { rows } = await client.query<{ snapshot: string }>("SELECT pg_export_snapshot() AS snapshot");
    const tables = await tableCounts(client);
    const migrations = await migrationLevel(client);
    await mkdir(dirname(options.file), { recursive: true });
    const { dbname, env } = libpqTarget(options.url);
    await run(
      pgDump.path,
      ["--format=custom", `--snapshot=${rows[0]!.snapshot}`, "--no-password", `--file=${partial}`, dbname],
      env,
    );
    await client.query("COMMIT");
    await rename(partial, options.file);
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      createdAt: new Date().toISOString(),
      database: databaseName(options.url),
      server,
      pgDump: { version: pgDump.version, major: pgDump.major },
      dump: {
        file: basename(options.file),
        bytes: (await stat(options.file)).size,
        sha256: await sha256File(options.file),
      },
      migrations,
      tables,
    };
    const manifestFile = manifestPath(options.file);
    await writeFile(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
    await writeFile(
      checksumPath(options.file),
      `${manifest.dump.sha256}  ${basename(options.file)}\n` +
        `${await sha256File(manifestFile)}  ${basename(manifestFile)}\n`,
    );
    return manifest;
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Checks `<file>.sha256` against the dump and its manifest, and returns the manifest. */
export async function verifyBackupFiles(file: string): Promise<BackupManifest> {
  if (!existsSync(file)) throw new OpsError(`backup file not found: ${file}`, EXIT.damaged);
  const sums = checksumPath(file);
  if (!existsSync(sums)) {
    throw new OpsError(
      `checksum file not found: ${sums}; refusing to restore an unverifiable backup`,
      EXIT.damaged,
    );
  }
  const expected = new Map<string, string>();
  for (const line of readFileSync(sums, "utf8").split("\n")) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (match) expected.set(match[2]!, match[1]!);
  }
  const manifestFile = manifestPath(file);
  for (const path of [file, manifestFile]) {
    const want = expected.get(basename(path));
    if (!want)
      throw new OpsError(`${sums} has no checksum for ${basename(path)}; refusing to restore`, EXIT.damaged);
    if (!existsSync(path)) throw new OpsError(`${path} not found; refusing to restore`, EXIT.damaged);
    const got = await sha256File(path);
    if (got !== want) {
      throw new OpsError(
        `checksum mismatch for ${path} (expected ${want}, got ${got}): the file is damaged or was altered; ` +
          "refusing to restore",
        EXIT.damaged,
      );
    }
  }
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as BackupManifest;
  if (manifest.format !== MANIFEST_FORMAT) {
    throw new OpsError(`${manifestFile}: unknown manifest format ${String(manifest.format)}`, EXIT.damaged);
  }
  return manifest;
}

export interface RestoreReport {
  database: string;
  created: boolean;
  tables: number;
  rows: number;
  countMismatches: { table: string; expected: number | null; actual: number | null }[];
  incidents: number;
  entries: number;
  brokenChains: { incidentId: string; reference: string; problem: string }[];
}

/** Describes what a failed chain verdict found, for an operator reading a terminal. */
function chainProblem(check: Awaited<ReturnType<typeof checkIncidentLog>>): string {
  const parts: string[] = [];
  if (check.firstBroken) parts.push(`entry ${check.firstBroken.seq}: ${check.firstBroken.reason}`);
  if (check.missing) {
    parts.push(
      `entries ${check.missing.fromSeq}-${check.missing.toSeq} missing (per ${check.missing.attestedBy})`,
    );
  }
  if (check.checkpoint && !check.checkpoint.authentic)
    parts.push(`checkpoint ${check.checkpoint.seq} not authentic`);
  return parts.join("; ") || "does not verify";
}

/**
 * Restores a verified backup into the database of `url` (created when missing), which must be empty:
 * pg_restore in a single transaction, so a failure leaves it empty again. Then every table's rows are
 * counted against the manifest and every main courante is verified with the given keyring.
 */
export async function restoreDatabase(options: {
  file: string;
  url: string;
  keyring: LogChainKeyring;
  log?: (line: string) => void;
}): Promise<RestoreReport> {
  const log = options.log ?? (() => {});
  const manifest = await verifyBackupFiles(options.file);
  log(
    `checksums verified: ${basename(options.file)} (${manifest.dump.bytes} bytes, database ${manifest.database}, ` +
      `taken ${manifest.createdAt})`,
  );
  const database = databaseName(options.url);
  const adminUrl = new URL(options.url);
  adminUrl.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  let created = false;
  try {
    const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (rowCount === 0) {
      await ensureDatabase(options.url);
      created = true;
      log(`created database ${database}`);
    }
  } finally {
    await admin.end();
  }

  const client = new pg.Client({ connectionString: options.url, application_name: "pris-restore" });
  await client.connect();
  try {
    const server = await serverVersion(client);
    const existing = await client.query<{ schema: string; name: string }>(USER_RELATIONS);
    if (existing.rows.length > 0) {
      const some = existing.rows
        .slice(0, 3)
        .map((r) => `${r.schema}.${r.name}`)
        .join(", ");
      throw new OpsError(
        `database ${database} is not empty (it holds ${existing.rows.length} tables, sequences or views, such as ${some}); ` +
          "restore only into a new, empty database. Nothing was changed.",
        EXIT.notEmpty,
      );
    }
    const pgRestore = await findPgTool("pg_restore", Math.max(server.major, manifest.pgDump.major));
    log(`restoring into ${database} on PostgreSQL ${server.version} with pg_restore ${pgRestore.version}`);
    const { dbname, env } = libpqTarget(options.url);
    // The restoring role owns what it restores: the compose deployment connects as that role.
    await run(
      pgRestore.path,
      [
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        "--no-password",
        `--dbname=${dbname}`,
        options.file,
      ],
      env,
    );

    const counts = await tableCounts(client);
    const countMismatches: RestoreReport["countMismatches"] = [];
    for (const table of new Set([...Object.keys(manifest.tables), ...Object.keys(counts)])) {
      const expected = manifest.tables[table] ?? null;
      const actual = counts[table] ?? null;
      if (expected !== actual) countMismatches.push({ table, expected, actual });
    }
    log(`row counts checked: ${Object.keys(counts).length} tables`);

    const report: RestoreReport = {
      database,
      created,
      tables: Object.keys(counts).length,
      rows: Object.values(counts).reduce((a, b) => a + b, 0),
      countMismatches,
      incidents: 0,
      entries: 0,
      brokenChains: [],
    };
    const restored = createDatabase({ url: options.url, max: 4, applicationName: "pris-restore" });
    try {
      const { rows: incidents } = await client.query<{ id: string; reference: string }>(
        "SELECT id, reference FROM incidents ORDER BY id",
      );
      report.incidents = incidents.length;
      let next = 0;
      const checkNext = async () => {
        while (next < incidents.length) {
          const incident = incidents[next++]!;
          const check = await checkIncidentLog(restored.db, options.keyring, incident.id);
          report.entries += check.entries;
          if (!check.valid) {
            report.brokenChains.push({
              incidentId: incident.id,
              reference: incident.reference,
              problem: chainProblem(check),
            });
          }
        }
      };
      await Promise.all(Array.from({ length: 4 }, checkNext));
    } finally {
      await restored.close();
    }
    log(`main courante checked: ${report.incidents} incidents, ${report.entries} entries`);
    return report;
  } finally {
    await client.end().catch(() => {});
  }
}
