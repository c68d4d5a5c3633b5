import { randomBytes } from "node:crypto";
import { buildApp } from "@pris/api";
import { loadConfig } from "@pris/config";
import pg from "pg";
import { migrateWithPasswordOnly } from "../support/migrate.ts";
import { buildWorld, fuzzOperation, operationsOf, percentile, type Tally } from "./fuzz-kit.ts";

/**
 * `pnpm fuzz`: the fuzz test's hostile requests, FUZZ_RUNS (10,000) per operation of the OpenAPI
 * document, against the API on a fresh database (created from DATABASE_URL's server, dropped after).
 * FUZZ_SEED replays a run; FUZZ_CONCURRENCY requests are in flight at once (the test sends one at a time).
 * FUZZ_ONLY (a regular expression) limits the run to the operations whose "METHOD /path" matches.
 * Prints one row per operation and the totals; exits 1 if any request failed a check. Ctrl-C stops
 * after the operation under way, prints the totals so far and drops the database.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 4);
const ONLY = process.env.FUZZ_ONLY ? new RegExp(process.env.FUZZ_ONLY) : undefined;
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    stopping = true;
  });
}
const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

const name = `pris_fuzz_${randomBytes(4).toString("hex")}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE "${name}"`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;
await migrateWithPasswordOnly(url.toString());

const config = loadConfig({
  ...process.env,
  NODE_ENV: "test",
  LOG_LEVEL: process.env.FUZZ_LOG_LEVEL ?? "silent",
  DATABASE_URL: url.toString(),
  QUEUE_PREFIX: name,
  MIGRATE_ON_START: "false",
  // Random sign-ins fail by the hundred from one address: past the throttle they would stop at its 429.
  LOGIN_RATE_LIMIT_ADDRESS_MAX: "1000000",
});
const app = await buildApp(config);
let failed = false;
try {
  await app.ready();
  const world = await buildWorld(app, app.database.db);
  // Seeds follow an operation's place in the whole document, so that FUZZ_ONLY replays the same requests.
  const operations = operationsOf(app.swagger())
    .map((op, index) => ({ op, index }))
    .filter(({ op }) => !ONLY || ONLY.test(`${op.method} ${op.path}`));
  const started = performance.now();
  const tallies: Tally[] = [];
  console.log(
    `${"operation".padEnd(64)} ${"requests".padStart(8)} ${"5xx".padStart(5)} ${"non-problem".padStart(11)} ${"echoes".padStart(6)} ${"access".padStart(6)} ${"hangs".padStart(5)} ${"4xx p99".padStart(8)} ${"slowest".padStart(8)}`,
  );
  for (const { op, index: i } of operations) {
    if (stopping) break;
    // Each slice keeps its own seed, so a row can be replayed alone with FUZZ_SEED.
    const slices = Array.from({ length: CONCURRENCY }, (_, k) =>
      fuzzOperation(app, op, world, {
        runs: Math.ceil(RUNS / CONCURRENCY),
        seed: SEED + i * 1000 + k,
      }),
    );
    const parts = await Promise.all(slices);
    const slowest = parts.reduce((a, b) => (b.slowest4xxMs > a.slowest4xxMs ? b : a));
    const add = (k: "requests" | "fiveXX" | "nonProblem" | "echoes" | "access" | "hangs") =>
      parts.reduce((n, p) => n + p[k], 0);
    const tally: Tally = {
      operation: slowest.operation,
      requests: add("requests"),
      fiveXX: add("fiveXX"),
      nonProblem: add("nonProblem"),
      echoes: add("echoes"),
      access: add("access"),
      hangs: add("hangs"),
      slowest4xxMs: slowest.slowest4xxMs,
      slowest4xx: slowest.slowest4xx,
      durations4xx: [],
      elapsedMs: Math.max(...parts.map((p) => p.elapsedMs)),
      failures: [],
    };
    tally.durations4xx = parts.flatMap((p) => p.durations4xx);
    tally.failures = parts.flatMap((p) => p.failures);
    tallies.push(tally);
    console.log(
      `${tally.operation.padEnd(64)} ${String(tally.requests).padStart(8)} ${String(tally.fiveXX).padStart(5)} ${String(tally.nonProblem).padStart(11)} ${String(tally.echoes).padStart(6)} ${String(tally.access).padStart(6)} ${String(tally.hangs).padStart(5)} ${`${percentile(tally.durations4xx, 99).toFixed(0)} ms`.padStart(8)} ${`${tally.slowest4xxMs.toFixed(0)} ms`.padStart(8)}`,
    );
    for (const f of tally.failures) console.log(`    ${f.kind}: ${f.detail}`);
  }
  const sum = (k: "requests" | "fiveXX" | "nonProblem" | "echoes" | "access" | "hangs") =>
    tallies.reduce((n, t) => n + t[k], 0);
  const slowestOf = (list: Tally[]) => list.reduce((a, b) => (b.slowest4xxMs > a.slowest4xxMs ? b : a));
  const slowest = slowestOf(tallies);
  const all4xx = tallies.flatMap((t) => t.durations4xx);
  const slowestNoPassword = slowestOf(tallies.filter((t) => t.operation !== "POST /api/v1/auth/login"));
  console.log(
    `\n${tallies.length} of ${operations.length} operations, ${sum("requests")} requests in ${((performance.now() - started) / 1000).toFixed(0)} s ` +
      `(seed ${SEED}, ${CONCURRENCY} in flight): 5xx ${sum("fiveXX")}, non-problem ${sum("nonProblem")}, ` +
      `echoes ${sum("echoes")}, access ${sum("access")}, hangs ${sum("hangs")}\n` +
      `4xx answers: p50 ${percentile(all4xx, 50).toFixed(0)} ms, p99 ${percentile(all4xx, 99).toFixed(0)} ms; ` +
      `slowest 4xx: ${slowest.slowest4xxMs.toFixed(0)} ms (${slowest.operation}: ${slowest.slowest4xx}); ` +
      `without the password check: ${slowestNoPassword.slowest4xxMs.toFixed(0)} ms (${slowestNoPassword.operation})`,
  );
  failed = sum("fiveXX") + sum("nonProblem") + sum("echoes") + sum("access") + sum("hangs") > 0;
  const live = await app.inject({ method: "GET", url: "/health/live" });
  console.log(`afterwards: GET /health/live → ${live.statusCode}`);
  if (live.statusCode !== 200) failed = true;
} finally {
  await app.close();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}
process.exit(failed ? 1 : 0);
