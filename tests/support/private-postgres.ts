import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

/**
 * A throw-away PostgreSQL cluster of its own (initdb on a spare port), for tests that restart the server
 * or cut its connections — which they must never do to the PostgreSQL the other tests share.
 * Debian's server binaries are used (/usr/lib/postgresql/<version>/bin, or PG_BIN). As root, every
 * server command runs as the `postgres` OS user, which the server requires; otherwise as the caller.
 */
export interface PrivatePostgres {
  port: number;
  /** The URL of a database of this cluster (default `postgres`); trust authentication. */
  url(database?: string): string;
  /** `CREATE DATABASE`. */
  createDatabase(name: string): Promise<string>;
  /** `pg_ctl restart -m fast`: every connection is cut, the server is back when this resolves. */
  restart(): Promise<void>;
  /** pg_terminate_backend of every connection whose application_name is this; returns how many. */
  terminate(applicationName: string): Promise<number>;
  /** Stops the server and removes its data directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Ports reserved for private clusters, so that they never meet the shared server or each other. */
const PORTS = [55432, 55433, 55434, 55435, 55436, 55437, 55438, 55439];

function binDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql, or set PG_BIN",
    );
  }
  return path.join(root, versions[0]!, "bin");
}

const asRoot = process.getuid?.() === 0;

/** The command line that runs a server binary as the user the server accepts. */
function serverCommand(bin: string, args: string[]): [string, string[]] {
  return asRoot ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args];
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * `settings` are server settings (`-c name=value`) added to the test defaults. The server runs with this
 * process's environment: under `pnpm test:at`, with its shifted clock. With `standbyOf`, the cluster is a
 * hot standby streaming from that one (pg_basebackup -R), read-only, as a CloudNativePG replica is.
 */
export async function startPrivatePostgres(
  settings: Record<string, string> = {},
  { standbyOf }: { standbyOf?: PrivatePostgres } = {},
): Promise<PrivatePostgres> {
  const bin = binDir();
  const dataDir = mkdtempSync(path.join(tmpdir(), "pris-pg-"));
  const pgCtl = path.join(bin, "pg_ctl");
  let port: number | undefined;
  let stopped = false;

  /** Synchronous, so that it also runs from the exit handler when the test process ends abruptly. */
  function cleanup(): void {
    if (stopped) return;
    stopped = true;
    process.off("exit", cleanup);
    try {
      const [cmd, args] = serverCommand(pgCtl, ["stop", "-D", dataDir, "-m", "immediate", "-w"]);
      execFileSync(cmd, args, { stdio: "ignore", timeout: 30_000 });
    } catch {
      // Not running (never started, or already stopped).
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.once("exit", cleanup);

  try {
    if (asRoot) {
      const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
      const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
      chownSync(dataDir, uid, gid);
    }
    const [initCmd, initArgs] = standbyOf
      ? serverCommand(path.join(bin, "pg_basebackup"), [
          ...["-D", dataDir, "-h", "127.0.0.1", "-p", String(standbyOf.port), "-U", "postgres"],
          ...["--write-recovery-conf", "--checkpoint=fast", "--no-sync"],
        ])
      : serverCommand(path.join(bin, "initdb"), [
          ...["-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C"],
          "--no-sync",
        ]);
    await run(initCmd, initArgs);

    for (const candidate of PORTS) {
      if (await accepts(candidate)) continue;
      const options = [
        `-p ${candidate}`,
        "-c listen_addresses=127.0.0.1",
        // Its socket in its own directory: /var/run/postgresql may not be writable, or may be another's.
        `-k ${dataDir}`,
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
        ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
      ].join(" ");
      const [cmd, args] = serverCommand(pgCtl, [
        "start",
        "-D",
        dataDir,
        "-l",
        path.join(dataDir, "server.log"),
        "-o",
        options,
        "-w",
        "-t",
        "60",
      ]);
      try {
        await run(cmd, args);
        port = candidate;
        break;
      } catch {
        // Taken between the check and the start (another test's cluster): try the next port.
      }
    }
    if (port === undefined)
      throw new Error(`no free port for a private PostgreSQL among ${PORTS.join(", ")}`);
  } catch (err) {
    cleanup();
    throw err;
  }

  const thePort = port;
  const url = (database = "postgres") => `postgres://postgres@127.0.0.1:${thePort}/${database}`;

  async function query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: url(), application_name: "pris-test-admin" });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  return {
    port: thePort,
    url,
    async createDatabase(name) {
      await query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      return url(name);
    },
    async restart() {
      const [cmd, args] = serverCommand(pgCtl, [
        "restart",
        "-D",
        dataDir,
        "-l",
        path.join(dataDir, "server.log"),
        "-m",
        "fast",
        "-w",
        "-t",
        "60",
      ]);
      await run(cmd, args);
    },
    async terminate(applicationName) {
      const rows = await query<{ terminated: boolean }>(
        "SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
        [applicationName],
      );
      return rows.filter((r) => r.terminated).length;
    },
    async stop() {
      cleanup();
    },
  };
}
