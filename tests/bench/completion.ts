/**
 * pnpm bench:completion — the ARS's completion dashboard over 50,000 establishments and five years of
 * exercises: GET /api/v1/exercises/completion (an ARS's bearer token: authentication, validation, the
 * statement, mapping, serialisation, HTTP) timed side by side with the very same statement — built by
 * completionStatement(), as the API builds it — run bare through a pg pool of the same size. It also
 * times the late list's first page.
 *
 * It creates a scratch database, migrates it, seeds it in SQL (see COMPLETION_SEED), VACUUM ANALYZEs it, starts the
 * API as a child process, checks both sides give the same figures, measures, prints p50/p95 and the
 * ratio, then stops the API and drops the database. Needs a superuser. Knobs: BENCH_ESTABLISHMENTS
 * (50000), BENCH_REQUESTS (200 per query and side), BENCH_EXPLAIN=1, BENCH_KEEP=1, DATABASE_URL.
 */
import { randomUUID } from "node:crypto";
import { hashPassword } from "@pris/api";
import { loadConfig } from "@pris/config";
import { parseObligationRule } from "@pris/domain";
import pg from "pg";
import { completionStatement } from "../../services/api/src/modules/exercises/completion-service.ts";
import { migrateWithPasswordOnly } from "../support/migrate.ts";
import { COMPLETION_SEED, YEARS } from "./completion-seed.ts";
import {
  API_NODE_OPTIONS,
  Children,
  freePort,
  get,
  httpAgent,
  paired,
  percentile,
  scratchDatabase,
  waitFor,
} from "./support.ts";

const ESTABLISHMENTS = Number(process.env.BENCH_ESTABLISHMENTS ?? 50_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const EXPLAIN = process.env.BENCH_EXPLAIN === "1";
const PASSWORD = "bench-password-1234";
const YEAR = 2025;

const base = loadConfig();
const scratch = scratchDatabase(base.DATABASE_URL, "pris_bench_completion");
const children = new Children();

async function main() {
  const t0 = performance.now();
  await scratch.create();
  await migrateWithPasswordOnly(scratch.url);
  const seeder = new pg.Client({ connectionString: scratch.url });
  seeder.on("error", () => {});
  await seeder.connect();
  const seedStart = performance.now();
  for (const statement of COMPLETION_SEED(ESTABLISHMENTS)) await seeder.query(statement);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  await seeder.query(
    `INSERT INTO users (id, email, display_name, role, password_hash)
     VALUES (gen_random_uuid(), 'ars@bench.test', 'ARS du banc', 'ars', $1)`,
    [await hashPassword(PASSWORD)],
  );
  const facts = (
    await seeder.query<{ exercises: number; participations: number }>(
      `SELECT (SELECT count(*) FROM exercises)::int AS exercises,
              (SELECT count(*) FROM exercise_participations)::int AS participations`,
    )
  ).rows[0]!;
  await seeder.end();
  console.log(
    `seeded ${ESTABLISHMENTS.toLocaleString("en")} establishments, ${facts.exercises.toLocaleString("en")} exercises, ` +
      `${facts.participations.toLocaleString("en")} participations over ${YEARS[0]}–${YEARS.at(-1)} ` +
      `in ${seedSeconds.toFixed(1)} s including VACUUM ANALYZE`,
  );

  const port = await freePort();
  const poolMax = base.DATABASE_POOL_MAX;
  children.start("services/api/src/server.ts", {
    NODE_OPTIONS: API_NODE_OPTIONS,
    DATABASE_URL: scratch.url,
    DATABASE_POOL_MAX: String(poolMax),
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    MAIL_FROM: "PRIS Cyber Santé <pris@pris.example>",
    JWT_SECRET: randomUUID() + randomUUID(),
    LOG_CHAIN_KEY: randomUUID() + randomUUID(),
    MIGRATE_ON_START: "false",
    PORT: String(port),
    HOST: "127.0.0.1",
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(`${origin}/health/live`);
  const login = await fetch(`${origin}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "ars@bench.test", password: PASSWORD }),
  });
  if (!login.ok) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const auth = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };

  const pool = new pg.Pool({ connectionString: scratch.url, max: poolMax });
  pool.on("error", () => {});
  const rule = parseObligationRule(base.EXERCISE_SUBJECT_CATEGORIES, base.EXERCISE_SMALL_STRUCTURES);
  // drizzle's SQL objects, rendered to text and parameters as the API's driver sends them.
  const { PgDialect } = await import("drizzle-orm/pg-core");
  const dialect = new PgDialect();
  const statement = dialect.sqlToQuery(completionStatement(rule, YEAR));
  const bare = async () =>
    (await pool.query(statement.sql, statement.params)).rows as { subject: number; held: number }[];
  const api = async () => {
    const res = await get(`${origin}/api/v1/exercises/completion?year=${YEAR}`, auth);
    if (res.status !== 200) throw new Error(`completion → ${res.status} ${res.body}`);
    return res.body;
  };

  const fromApi = JSON.parse(await api()) as { total: { subject: number; held: number; rate: number } };
  const fromPool = await bare();
  const sum = (k: "subject" | "held") => fromPool.reduce((s, r) => s + r[k], 0);
  if (fromApi.total.subject !== sum("subject") || fromApi.total.held !== sum("held")) {
    throw new Error("the API and the bare statements disagree");
  }
  console.log(
    `${YEAR}: ${fromApi.total.subject.toLocaleString("en")} subject, ${fromApi.total.held.toLocaleString("en")} held ` +
      `(${(fromApi.total.rate * 100).toFixed(1)} %), ${fromPool.length} territory × category rows`,
  );
  if (EXPLAIN) {
    const plan = await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${statement.sql}`, statement.params);
    console.log(plan.rows.map((r) => r["QUERY PLAN"]).join("\n"));
  }

  const lateApi = async () => {
    const res = await get(`${origin}/api/v1/exercises/completion/late?year=${YEAR}&limit=50`, auth);
    if (res.status !== 200) throw new Error(`late → ${res.status} ${res.body}`);
  };
  const floor = async () => {
    const res = await get(`${origin}/health/live`, {});
    if (res.status !== 200) throw new Error(`health → ${res.status}`);
  };
  for (let i = 0; i < 20; i++) {
    await api();
    await bare();
    await lateApi();
  }
  console.log(
    `\n${REQUESTS} requests per side, sequential, interleaved, after 20 of warm-up; pool of ${poolMax}`,
  );
  const [h] = await paired(REQUESTS, 1, [floor, async () => {}]);
  console.log(
    `GET /health/live (HTTP alone)                 p50 ${percentile(h, 50).toFixed(1)} p95 ${percentile(h, 95).toFixed(1)} ms`,
  );
  const [late] = await paired(REQUESTS, 1, [lateApi, async () => {}]);
  console.log(
    `GET …/completion/late (first 50 + total)       p50 ${percentile(late, 50).toFixed(1)} p95 ${percentile(late, 95).toFixed(1)} ms`,
  );
  const [a, b] = await paired(REQUESTS, 1, [api, bare]);
  const row = {
    api50: percentile(a, 50),
    api95: percentile(a, 95),
    bare50: percentile(b, 50),
    bare95: percentile(b, 95),
  };
  console.log(
    `GET /api/v1/exercises/completion?year=${YEAR}  API p50 ${row.api50.toFixed(1)} p95 ${row.api95.toFixed(1)} ms  ` +
      `bare p50 ${row.bare50.toFixed(1)} p95 ${row.bare95.toFixed(1)} ms  p95 ratio ${(row.api95 / row.bare95).toFixed(2)}`,
  );
  await pool.end();
  const ratio = row.api95 / row.bare95;
  console.log(
    `\nAPI p95 ${row.api95.toFixed(1)} ms (target < 200 ms) ${row.api95 < 200 ? "✓" : "✗"}; ` +
      `p95 ratio API / bare ${ratio.toFixed(2)} (target ≤ 1.50) ${ratio <= 1.5 ? "✓" : "✗"}`,
  );
  console.log(`whole run ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await children.stopAll();
  if (process.env.BENCH_KEEP !== "1") await scratch.drop().catch(() => {});
  httpAgent.destroy();
}
