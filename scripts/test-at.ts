/**
 * Runs the test suite as if the machine's clock said another instant, in another zone:
 *
 *   pnpm test:at 2028-02-29T19:55:00Z [--tz America/Los_Angeles] [vitest arguments…]
 *
 * Every process of the run sees the same shifted clock — the tests, the API and worker they start, and a
 * private PostgreSQL cluster started for the run — through libfaketime (Debian's `faketime` package)
 * with one fixed offset, so `now()` in SQL and `Date.now()` in JavaScript agree, and time still flows.
 * Chromium and Redis hang under libfaketime: they keep the real clock (see tests/support/browser.ts and
 * redis-server.ts). The machine's zone (TZ, and the cluster's `timezone`) is set to something other than
 * the region's, so nothing may lean on it either. The web app is expected to be built (`npm test` does).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type PrivatePostgres, startPrivatePostgres } from "../tests/support/private-postgres.ts";
import { type PrivateRedis, startPrivateRedis } from "../tests/support/redis-server.ts";

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

/** One offset for every process of the run, fixed now: their clocks agree and keep running. */
const offsetSeconds = Math.round((target - Date.now()) / 1000);
Object.assign(process.env, {
  LD_PRELOAD: LIBFAKETIME,
  FAKETIME: `${offsetSeconds >= 0 ? "+" : ""}${offsetSeconds}`,
  // Timers and timeouts keep the real monotonic clock: only the calendar moves.
  FAKETIME_DONT_FAKE_MONOTONIC: "1",
  TZ: zone,
});

let postgres: PrivatePostgres | undefined;
let redis: PrivateRedis | undefined;
let status = 1;
try {
  postgres = await startPrivatePostgres({ timezone: zone, max_connections: "300" });
  redis = await startPrivateRedis();
  const now = new Date(Date.now() + offsetSeconds * 1000).toISOString();
  console.log(`test-at: the tests run at ${now} (offset ${offsetSeconds} s), TZ=${zone}`);
  const env = { ...process.env, DATABASE_URL: postgres.url(), REDIS_URL: redis.url };
  status = await new Promise<number>((resolve) => {
    const child = spawn(join(ROOT, "node_modules", ".bin", "vitest"), ["run", ...args], {
      cwd: ROOT,
      stdio: "inherit",
      env,
    });
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
} finally {
  await redis?.stop();
  await postgres?.stop();
}
process.exit(status);
