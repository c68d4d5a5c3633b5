/**
 * Runs the test suite as if the machine's clock said another instant, in another zone:
 *
 *   pnpm test:at 2028-02-29T19:55:00Z [--tz America/Los_Angeles] [vitest arguments…]
 *
 * Every process of the run sees the same shifted clock — the tests, the API and worker they start,
 * Chromium, and a private PostgreSQL cluster and redis-server started for the run — through
 * libfaketime (Debian's `faketime` package) with one fixed offset, so `now()` in SQL and `Date.now()`
 * in JavaScript agree, and time still flows. The machine's zone (TZ, and the cluster's `timezone`)
 * is set to something other than the region's, so nothing may lean on it either.
 * The web app is expected to be built already (`npm test` builds it).
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startPrivateRedis } from "../tests/support/redis-server.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LIBFAKETIME = [
  "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
  "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
  "/usr/lib/faketime/libfaketimeMT.so.1",
].find((path) => existsSync(path));

function fail(message: string): never {
  console.error(`test-at: ${message}`);
  process.exit(2);
}

const args = process.argv.slice(2);
const instant = args.shift();
let zone = "America/Los_Angeles";
if (args[0] === "--tz") {
  args.shift();
  zone = args.shift() ?? fail("--tz needs a zone");
}
const target = instant ? Date.parse(instant) : Number.NaN;
if (Number.isNaN(target)) fail("usage: test-at <ISO instant> [--tz Zone/Name] [vitest arguments…]");
if (!LIBFAKETIME) fail("libfaketime not found: apt-get install faketime");

const pgBin = (() => {
  const base = "/usr/lib/postgresql";
  const version = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))[0]
    : undefined;
  return version
    ? join(base, version, "bin")
    : fail("PostgreSQL's initdb not found: apt-get install postgresql");
})();

/** One offset for every process of the run, fixed now: their clocks agree and keep running. */
const offsetSeconds = Math.round((target - Date.now()) / 1000);
const fakeClock = {
  LD_PRELOAD: LIBFAKETIME,
  FAKETIME: `${offsetSeconds >= 0 ? "+" : ""}${offsetSeconds}`,
  // Timers and timeouts keep the real monotonic clock: only the calendar moves.
  FAKETIME_DONT_FAKE_MONOTONIC: "1",
  TZ: zone,
};

/** initdb refuses to run as root: the cluster then belongs to the postgres account. */
const asRoot = process.getuid?.() === 0;
function pgCommand(command: string, commandArgs: string[], env: NodeJS.ProcessEnv = {}) {
  const [file, fileArgs] = asRoot
    ? [
        "runuser",
        [
          "-u",
          "postgres",
          "--",
          "env",
          ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
          join(pgBin, command),
          ...commandArgs,
        ],
      ]
    : [join(pgBin, command), commandArgs];
  const result = spawnSync(file, fileArgs as string[], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) {
    fail(`${command} failed: ${result.stderr.toString() || result.stdout.toString()}`);
  }
}

const work = mkdtempSync(join(tmpdir(), "pris-test-at-"));
chmodSync(work, 0o777);
const data = join(work, "data");
const pgPort = 55_400 + Math.floor(Math.random() * 30);
let pgStarted = false;
let redis: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;

function cleanUp(): void {
  if (pgStarted) pgCommand("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
  pgStarted = false;
  rmSync(work, { recursive: true, force: true });
}

let status = 1;
try {
  pgCommand("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  pgCommand(
    "pg_ctl",
    [
      "-D",
      data,
      "-l",
      join(work, "postgres.log"),
      "-w",
      "-o",
      `-p ${pgPort} -k ${work} -c listen_addresses=127.0.0.1 -c fsync=off -c timezone=${zone} -c max_connections=300`,
      "start",
    ],
    fakeClock,
  );
  pgStarted = true;
  // The private redis-server is spawned from here with the shifted clock too.
  Object.assign(process.env, fakeClock);
  redis = await startPrivateRedis();

  const now = new Date(Date.now() + offsetSeconds * 1000).toISOString();
  console.log(`test-at: the tests run at ${now} (offset ${offsetSeconds} s), TZ=${zone}`);
  status = await new Promise<number>((resolve) => {
    const child = spawn(join(ROOT, "node_modules", ".bin", "vitest"), ["run", ...args], {
      cwd: ROOT,
      stdio: "inherit",
      env: {
        ...process.env,
        ...fakeClock,
        DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
        REDIS_URL: redis?.url,
      },
    });
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
} finally {
  await redis?.stop();
  cleanUp();
}
process.exit(status);
