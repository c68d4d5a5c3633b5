/**
 * pnpm bench:national — does one deployment hold eighteen regions? (issue 14, point 8; docs/national.md)
 *
 * It creates a scratch database, migrates it, adds what the chosen design adds (a `regions` table, a
 * `region_id` column on establishments, incidents and participations, region-leading indexes: see
 * national-seed.ts) and seeds it in SQL with 45,000 establishments over the 18 regions and their 101
 * départements (weighted by population), 3,000,000 incidents (bench:queue's distributions, numbered per
 * region) and five years of exercises (bench:completion's), with the app's indexes dropped during the load
 * and rebuilt after it. Then, in the same run:
 *
 *   national  the queue and the completion dashboard over the whole country, through the real API (a
 *             bearer token: an analyst, an ARS — today's principals see everything, which is what the
 *             national CERT Santé would see) against the very statements the API runs, run bare through a
 *             pool of the same size, alternating request by request, as bench:queue and bench:completion;
 *   region    one region's analysts and ARS under the chosen design — the same statements with the
 *             region's predicate added (`region_id = …` beside the open-incident predicate, on the
 *             participations and on the establishments), read through the region-leading indexes — against
 *             the same statements, unchanged, on that region's rows alone in a schema of their own with the
 *             app's indexes (what one database per region would hold), alternating request by request.
 *             The API's own cost does not depend on the data (the national part measures it); the region's
 *             predicate is built here because the API does not have regions yet.
 *
 * Each pair is first checked to give the same answer. Then it stops the API and drops the database.
 * Needs a superuser. Knobs: BENCH_ESTABLISHMENTS (45000), BENCH_INCIDENTS (3000000), BENCH_REQUESTS (200 per
 * query and side), BENCH_REGIONS (IDF,REU: the largest and a small one), BENCH_PARTS (queue,completion,regions:
 * what to measure once seeded), BENCH_EXPLAIN=1, BENCH_KEEP=1,
 * DATABASE_URL (the server; the scratch database is created beside the one it names).
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { hashPassword } from "@pris/api";
import { loadConfig } from "@pris/config";
import { incidentIsOpen, incidents } from "@pris/db";
import { parseObligationRule, type QueueQuery, type Role } from "@pris/domain";
import { PgDialect } from "drizzle-orm/pg-core";
import pg from "pg";
import type { Principal } from "../../services/api/src/auth/principal.ts";
import { completionStatement } from "../../services/api/src/modules/exercises/completion-service.ts";
import { queueStatements, type Statement } from "../../services/api/src/modules/queue/queue-sql.ts";
import { migrateWithPasswordOnly } from "../support/migrate.ts";
import { NATIONAL_INDEXES, NATIONAL_SEED, REGIONS, soloRegion } from "./national-seed.ts";
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

const ESTABLISHMENTS = Number(process.env.BENCH_ESTABLISHMENTS ?? 45_000);
const INCIDENTS = Number(process.env.BENCH_INCIDENTS ?? 3_000_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const REGION_CODES = (process.env.BENCH_REGIONS ?? "IDF,REU").split(",");
const EXPLAIN = process.env.BENCH_EXPLAIN === "1";
const PARTS = (process.env.BENCH_PARTS ?? "queue,completion,regions").split(",");
const PASSWORD = "bench-password-1234";
const YEAR = 2025;

const base = loadConfig();
const scratch = scratchDatabase(base.DATABASE_URL, "pris_bench_national");
const children = new Children();
const dialect = new PgDialect();
const OPEN_TEXT = dialect.sqlToQuery(incidentIsOpen(incidents.status)).sql;

const ms = (v: number) => `${v.toFixed(1)} ms`;
const loadAverage = async () => (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ");
const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** The chosen design's queue statements: today's, with the region's predicate beside every open one. */
function inRegion(st: Statement, regionId: number): Statement {
  const parts = st.text.split(OPEN_TEXT);
  if (parts.length < 2) throw new Error(`no open-incident predicate in: ${st.text}`);
  return { text: parts.join(`(${OPEN_TEXT} AND "incidents"."region_id" = ${regionId})`), values: st.values };
}

/** The chosen design's completion statement: the region's participations and establishments only. */
function completionInRegion(text: string, regionId: number): string {
  const steps: [RegExp, string][] = [
    [
      /FROM exercise_participations\s+WHERE /,
      `FROM exercise_participations WHERE region_id = ${regionId} AND `,
    ],
    [
      /LEFT JOIN p ON p\.establishment_id = e\.id\s+WHERE /,
      `LEFT JOIN p ON p.establishment_id = e.id WHERE e.region_id = ${regionId} AND (`,
    ],
    [/\s+GROUP BY e\.territory, t\.name, e\.category/, ") GROUP BY e.territory, t.name, e.category"],
  ];
  return steps.reduce((t, [re, by]) => {
    if (!re.test(t)) throw new Error(`completion statement: ${re} not found`);
    return t.replace(re, by);
  }, text);
}

function principal(role: Role, id: string): Principal {
  return {
    kind: "user",
    id,
    role,
    displayName: `Banc (${role})`,
    ghtId: null,
    establishmentIds: [],
    via: "bearer",
  };
}

async function explain(pool: pg.Pool, label: string, st: Statement) {
  if (!EXPLAIN) return;
  const plan = await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${st.text}`, st.values);
  console.log(`-- ${label}\n${plan.rows.map((r) => r["QUERY PLAN"]).join("\n")}`);
}

function row(name: string, total: number | string, a: number[], b: number[]) {
  const [a50, a95, b50, b95] = [percentile(a, 50), percentile(a, 95), percentile(b, 50), percentile(b, 95)];
  console.log(
    `| ${name.padEnd(34)} | ${String(total).padStart(9)} | ${ms(a50).padStart(10)} | ${ms(a95).padStart(10)} | ` +
      `${ms(b50).padStart(10)} | ${ms(b95).padStart(10)} | ${(a95 / b95).toFixed(2).padStart(5)} |`,
  );
  return { name, a95, b95 };
}

async function main() {
  const t0 = performance.now();
  console.log(`load average at start: ${await loadAverage()}`);
  await scratch.create();
  await migrateWithPasswordOnly(scratch.url);
  const seeder = new pg.Client({ connectionString: scratch.url });
  seeder.on("error", () => {});
  await seeder.connect();
  let t = performance.now();
  for (const statement of NATIONAL_SEED(ESTABLISHMENTS, INCIDENTS)) await seeder.query(statement);
  const loadTime = seconds(t);
  t = performance.now();
  for (const statement of NATIONAL_INDEXES) await seeder.query(statement);
  const indexTime = seconds(t);
  const regions = REGION_CODES.map((code) => {
    const r = REGIONS.find((x) => x[1] === code);
    if (!r) throw new Error(`BENCH_REGIONS: unknown region ${code}`);
    return { id: r[0], code, name: r[2], territory: r[5][0]!, schema: `solo_${code.toLowerCase()}` };
  });
  t = performance.now();
  for (const r of regions) for (const statement of soloRegion(r.schema, r.id)) await seeder.query(statement);
  const soloTime = seconds(t);
  const hash = await hashPassword(PASSWORD);
  const people: Record<"analyst" | "ars" | "taskforce", string> = { analyst: "", ars: "", taskforce: "" };
  for (const role of ["analyst", "ars", "taskforce"] as const) {
    const { rows } = await seeder.query<{ id: string }>(
      `INSERT INTO users (id, email, display_name, role, password_hash)
       VALUES (gen_random_uuid(), $1, $2, $3, $4) RETURNING id`,
      [`${role}@bench.test`, `Banc (${role})`, role, hash],
    );
    people[role] = rows[0]!.id;
  }
  const facts = (
    await seeder.query<{
      est: number;
      inc: number;
      open: number;
      clocks: number;
      parts: number;
      size: string;
    }>(
      `SELECT (SELECT count(*) FROM establishments)::int AS est, (SELECT count(*) FROM incidents)::int AS inc,
         (SELECT count(*) FROM incidents WHERE ${OPEN_TEXT})::int AS open,
         (SELECT count(*) FROM incident_clocks)::int AS clocks,
         (SELECT count(*) FROM exercise_participations)::int AS parts,
         pg_size_pretty(pg_total_relation_size('incidents')) AS size`,
    )
  ).rows[0]!;
  const perRegion = (
    await seeder.query<{ code: string; est: number; inc: number; open: number }>(
      `SELECT r.code, (SELECT count(*) FROM establishments e WHERE e.region_id = r.id)::int AS est,
         (SELECT count(*) FROM incidents WHERE incidents.region_id = r.id)::int AS inc,
         (SELECT count(*) FROM incidents WHERE incidents.region_id = r.id AND ${OPEN_TEXT})::int AS open
       FROM regions r ORDER BY inc DESC`,
    )
  ).rows;
  await seeder.end();
  console.log(
    `seeded ${facts.est.toLocaleString("en")} establishments, ${facts.inc.toLocaleString("en")} incidents ` +
      `(${facts.open.toLocaleString("en")} open), ${facts.clocks.toLocaleString("en")} clocks, ` +
      `${facts.parts.toLocaleString("en")} participations: load ${loadTime}, indexes and VACUUM ANALYZE ${indexTime}, ` +
      `the regions alone (${REGION_CODES.join(", ")}) ${soloTime}; incidents with indexes: ${facts.size}`,
  );
  console.log(
    `per region (establishments / incidents / open): ${perRegion.map((r) => `${r.code} ${r.est}/${r.inc}/${r.open}`).join(", ")}`,
  );

  const port = await freePort();
  const poolMax = base.DATABASE_POOL_MAX;
  children.start(
    "services/api/src/server.ts",
    {
      NODE_OPTIONS: API_NODE_OPTIONS,
      DATABASE_URL: scratch.url,
      DATABASE_POOL_MAX: String(poolMax),
      // Errors only, shown: an answer other than 200 is counted and the run goes on, its cause in the log.
      LOG_LEVEL: "error",
      NODE_ENV: "production",
      MAIL_FROM: "PRIS Cyber Santé <pris@pris.example>",
      JWT_SECRET: randomUUID() + randomUUID(),
      LOG_CHAIN_KEY: randomUUID() + randomUUID(),
      MIGRATE_ON_START: "false",
      PORT: String(port),
      HOST: "127.0.0.1",
    },
    "inherit",
  );
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(`${origin}/health/live`);
  const signIn = async (role: keyof typeof people) => {
    const res = await fetch(`${origin}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: `${role}@bench.test`, password: PASSWORD }),
    });
    if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
    return { authorization: `Bearer ${((await res.json()) as { accessToken: string }).accessToken}` };
  };
  const auth = {
    analyst: await signIn("analyst"),
    ars: await signIn("ars"),
    taskforce: await signIn("taskforce"),
  };
  const pool = new pg.Pool({ connectionString: scratch.url, max: poolMax });
  pool.on("error", () => {});

  // ---- National: the API against the bare statements, over the whole country.
  const failures: Record<string, number> = {};
  const tolerant = async (name: string, url: string, headers: Record<string, string>) => {
    const res = await get(url, headers);
    if (res.status !== 200) {
      failures[name] = (failures[name] ?? 0) + 1;
      console.error(`${name} → ${res.status} ${res.body}`);
    }
    return res.body;
  };
  const floor = async () => {
    const res = await get(`${origin}/health/live`, {});
    if (res.status !== 200) throw new Error(`health → ${res.status}`);
  };
  for (let i = 0; i < 30; i++) await floor();
  const [h] = await paired(REQUESTS, 1, [floor, async () => {}]);
  console.log(
    `\nload average: ${await loadAverage()}; GET /health/live (HTTP alone) p50 ${ms(percentile(h, 50))} p95 ${ms(percentile(h, 95))}`,
  );
  type QueueRole = "analyst" | "taskforce";
  const queueScenarios = (territory: string): { name: string; query: QueueQuery; as?: QueueRole }[] => [
    { name: "default (page 1, counts)", query: {} },
    { name: "severity=P1", query: { severity: "P1" } },
    { name: `territory=${territory} & category=ch`, query: { territory, category: "ch" } },
    { name: "overdue=true", query: { overdue: true } },
    { name: "q=VPN", query: { q: "VPN" } },
    { name: "unassigned=true & status=new", query: { unassigned: true, status: "new" } },
    { name: "rsitClass=fraud", query: { rsitClass: "fraud" } },
    { name: "task force (P1 or crisis cell)", query: {}, as: "taskforce" },
  ];
  const run2 = async (p: pg.Pool, s: { items: Statement; counts: Statement }) => {
    const [items, counts] = await Promise.all([p.query(s.items), p.query(s.counts)]);
    return {
      ids: (items.rows as { id: string }[]).map((r) => r.id),
      total: (counts.rows as { n: number }[]).reduce((sum, r) => sum + Number(r.n), 0),
    };
  };
  const header = (a: string, b: string) => {
    const cells = [`${a} p50`, `${a} p95`, `${b} p50`, `${b} p95`].map((c) => c.padStart(10));
    console.log(`| ${"query".padEnd(34)} | ${"total".padStart(9)} | ${cells.join(" | ")} | ratio |`);
    console.log(
      `| ${"-".repeat(34)} | --------: | ${cells.map((c) => `${"-".repeat(c.length - 1)}:`).join(" | ")} | ----: |`,
    );
  };

  const results: { part: string; name: string; a95: number; b95: number }[] = [];

  console.log(
    `\nnational queue: ${REQUESTS} requests per query and side, sequential, interleaved, after 30 of warm-up`,
  );
  header("API", "bare");
  for (const { name, query, as = "analyst" } of PARTS.includes("queue") ? queueScenarios("13") : []) {
    const who = principal(as, people[as]);
    const bare = () => run2(pool, queueStatements(who, query, new Date()));
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
    const headers = auth[as];
    const api = () => tolerant(`queue ${name}`, `${origin}/api/v1/queue?${qs}`, headers);
    const fromApi = JSON.parse(await api()) as { items: { id: string }[]; total: number };
    const fromPool = await bare();
    if (JSON.stringify(fromApi.items.map((i) => i.id)) !== JSON.stringify(fromPool.ids.slice(0, 20))) {
      throw new Error(`national ${name}: the API and the bare statements disagree`);
    }
    const s = queueStatements(who, query, new Date());
    await explain(pool, `national ${name}: items`, s.items);
    await explain(pool, `national ${name}: counts`, s.counts);
    for (let i = 0; i < 30; i++) {
      await api();
      await bare();
    }
    const [a, b] = await paired(REQUESTS, 1, [api, bare]);
    results.push({ part: "national queue", ...row(name, fromApi.total, a, b) });
  }

  const rule = parseObligationRule(base.EXERCISE_SUBJECT_CATEGORIES, base.EXERCISE_SMALL_STRUCTURES);
  const completion = dialect.sqlToQuery(completionStatement(rule, YEAR));
  const completionBare = async (p: pg.Pool, text: string) =>
    (await p.query(text, completion.params)).rows as { subject: number; held: number }[];
  const completionApi = () =>
    tolerant("completion", `${origin}/api/v1/exercises/completion?year=${YEAR}`, auth.ars);
  const lateApi = () =>
    tolerant("completion/late", `${origin}/api/v1/exercises/completion/late?year=${YEAR}&limit=50`, auth.ars);
  if (PARTS.includes("completion")) {
    const fromApi = JSON.parse(await completionApi()) as { total: { subject: number; held: number } };
    const fromPool = await completionBare(pool, completion.sql);
    const held = fromPool.reduce((s, r) => s + r.held, 0);
    if (fromApi.total.held !== held)
      throw new Error("national completion: the API and the bare statement disagree");
    await explain(pool, "national completion", { text: completion.sql, values: completion.params });
    for (let i = 0; i < 20; i++) {
      await completionApi();
      await completionBare(pool, completion.sql);
      await lateApi();
    }
    console.log(`\nnational completion ${YEAR}: ${REQUESTS} requests per side, sequential, interleaved`);
    header("API", "bare");
    const [a, b] = await paired(REQUESTS, 1, [completionApi, () => completionBare(pool, completion.sql)]);
    results.push({
      part: "national completion",
      ...row(`completion ${YEAR}`, `${fromApi.total.held}/${fromApi.total.subject}`, a, b),
    });
    const [late] = await paired(REQUESTS, 1, [lateApi, async () => {}]);
    console.log(
      `GET …/completion/late (first 50 + total), API: p50 ${ms(percentile(late, 50))} p95 ${ms(percentile(late, 95))}`,
    );
  }

  // ---- One region: the chosen design (region column, region-leading indexes) against its rows alone.
  for (const r of PARTS.includes("regions") ? regions : []) {
    const solo = new pg.Pool({
      connectionString: scratch.url,
      max: poolMax,
      options: `-c search_path=${r.schema},public`,
    });
    solo.on("error", () => {});
    console.log(
      `\n${r.name} (${r.code}): load average ${await loadAverage()}; ${REQUESTS} requests per query and side, ` +
        "sequential, interleaved; tenant = the national database with the region's predicate, alone = its rows alone",
    );
    header("tenant", "alone");
    for (const { name, query, as = "analyst" } of queueScenarios(r.territory)) {
      const who = principal(as, people[as]);
      const build = () => queueStatements(who, query, new Date());
      const tenant = () => {
        const s = build();
        return run2(pool, { items: inRegion(s.items, r.id), counts: inRegion(s.counts, r.id) });
      };
      const alone = () => run2(solo, build());
      const [x, y] = [await tenant(), await alone()];
      if (JSON.stringify(x) !== JSON.stringify(y))
        throw new Error(`${r.code} ${name}: tenant and alone disagree`);
      const s = build();
      await explain(pool, `${r.code} ${name}: tenant items`, inRegion(s.items, r.id));
      await explain(pool, `${r.code} ${name}: tenant counts`, inRegion(s.counts, r.id));
      for (let i = 0; i < 30; i++) {
        await tenant();
        await alone();
      }
      const [a, b] = await paired(REQUESTS, 1, [tenant, alone]);
      results.push({ part: `${r.code} queue`, ...row(name, x.total, a, b) });
    }
    const text = completionInRegion(completion.sql, r.id);
    const [x, y] = [await completionBare(pool, text), await completionBare(solo, completion.sql)];
    if (JSON.stringify(x) !== JSON.stringify(y))
      throw new Error(`${r.code} completion: tenant and alone disagree`);
    await explain(pool, `${r.code} completion: tenant`, { text, values: completion.params });
    for (let i = 0; i < 20; i++) {
      await completionBare(pool, text);
      await completionBare(solo, completion.sql);
    }
    const [a, b] = await paired(REQUESTS, 1, [
      () => completionBare(pool, text),
      () => completionBare(solo, completion.sql),
    ]);
    const subject = x.reduce((s, v) => s + v.subject, 0);
    const held = x.reduce((s, v) => s + v.held, 0);
    results.push({
      part: `${r.code} completion`,
      ...row(`completion ${YEAR} (ARS)`, `${held}/${subject}`, a, b),
    });
    await solo.end();
  }
  await pool.end();

  const worst = (part: string) => results.filter((r) => r.part.endsWith(part));
  const queueApi = worst("national queue");
  if (queueApi.length > 0)
    console.log(
      `\nnational queue: worst API p95 ${ms(Math.max(...queueApi.map((r) => r.a95)))} (target < 50 ms); ` +
        `worst p95 ratio API / bare ${Math.max(...queueApi.map((r) => r.a95 / r.b95)).toFixed(2)} (target ≤ 1.50)`,
    );
  const nc = worst("national completion")[0];
  if (nc)
    console.log(
      `national completion: API p95 ${ms(nc.a95)} (target < 200 ms); ratio ${(nc.a95 / nc.b95).toFixed(2)} (target ≤ 1.50)`,
    );
  for (const r of PARTS.includes("regions") ? regions : []) {
    const q = results.filter((x) => x.part === `${r.code} queue`);
    console.log(
      `${r.code}: worst tenant p95 ${ms(Math.max(...q.map((x) => x.a95)))}, worst p95 ratio tenant / alone ` +
        `${Math.max(...q.map((x) => x.a95 / x.b95)).toFixed(2)}`,
    );
  }
  console.log(`answers other than 200 (counted, timed): ${JSON.stringify(failures)}`);
  console.log(`load average at the end: ${await loadAverage()}; whole run ${seconds(t0)}`);
}

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  httpAgent.destroy();
  await children.stopAll();
  if (process.env.BENCH_KEEP === "1") console.log(`kept database ${scratch.name}`);
  else await scratch.drop();
}
