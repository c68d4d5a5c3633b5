/**
 * pnpm bench:queue — the analysts' queue over 1,000,000 incidents of 2,000 establishments: the default
 * queue and filtered ones timed through the real API (bearer token of an analyst: authentication,
 * validation, both statements, mapping, serialisation, HTTP) and side by side with the very same two
 * statements — the text and parameters queueStatements() builds for the API — run bare through a pg
 * pool of the same size, in parallel as the API runs them.
 *
 * It creates a scratch database, migrates it, seeds it in SQL (generate_series; see SEED for the
 * distributions), VACUUM ANALYZEs it (autovacuum's job in production: index-only counts need the
 * visibility map), starts the API as a child process, measures, prints p50/p95 and the ratio, then
 * stops the API and drops the database. Needs a superuser (the seed skips triggers with
 * session_replication_role). Knobs: BENCH_INCIDENTS (1000000), BENCH_REQUESTS (300 per query and
 * side), BENCH_CONCURRENCY (4, for the second pass), BENCH_EXPLAIN=1 to print each plan, BENCH_KEEP=1 to keep the database,
 * DATABASE_URL (the server; the scratch database is created beside the one it names).
 */
import { randomUUID } from "node:crypto";
import { hashPassword } from "@pris/api";
import { loadConfig } from "@pris/config";
import type { QueueQuery } from "@pris/domain";
import pg from "pg";
import type { Principal } from "../../services/api/src/auth/principal.ts";
import { queueStatements } from "../../services/api/src/modules/queue/queue-sql.ts";
import { migrateWithPasswordOnly } from "../support/migrate.ts";
import { QUEUE_SEED } from "./queue-seed.ts";
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

const INCIDENTS = Number(process.env.BENCH_INCIDENTS ?? 1_000_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const EXPLAIN = process.env.BENCH_EXPLAIN === "1";
const PASSWORD = "bench-password-1234";

const base = loadConfig();
const scratch = scratchDatabase(base.DATABASE_URL, "pris_bench_queue");
const children = new Children();

async function main() {
  const t0 = performance.now();
  await scratch.create();
  await migrateWithPasswordOnly(scratch.url);
  const seeder = new pg.Client({ connectionString: scratch.url });
  seeder.on("error", () => {});
  await seeder.connect();
  const seedStart = performance.now();
  for (const statement of QUEUE_SEED(INCIDENTS)) await seeder.query(statement);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  const hash = await hashPassword(PASSWORD);
  const benchUser = async (role: "analyst" | "taskforce") =>
    (
      await seeder.query<{ id: string }>(
        `INSERT INTO users (id, email, display_name, role, password_hash)
         VALUES (gen_random_uuid(), $1, $2, $3, $4) RETURNING id`,
        [`${role}@bench.test`, `Banc (${role})`, role, hash],
      )
    ).rows[0]!.id;
  const people = { analyst: await benchUser("analyst"), taskforce: await benchUser("taskforce") };
  const facts = (
    await seeder.query<{ open: number; clocks: number; overdue: number; size: string }>(
      `SELECT (SELECT count(*) FROM incidents WHERE status NOT IN ('closed', 'rejected', 'merged'))::int AS open,
         (SELECT count(*) FROM incident_clocks)::int AS clocks,
         (SELECT count(*) FROM incidents i WHERE status NOT IN ('closed', 'rejected', 'merged') AND (
            EXISTS (SELECT 1 FROM incident_clocks c WHERE c.incident_id = i.id AND c.done_at IS NULL AND c.due_at < now())
            OR (i.acknowledged_at IS NULL AND i.ack_due_at < now())))::int AS overdue,
         pg_size_pretty(pg_total_relation_size('incidents')) AS size`,
    )
  ).rows[0]!;
  await seeder.end();
  console.log(
    `seeded ${INCIDENTS.toLocaleString("en")} incidents (${facts.open.toLocaleString("en")} open, ` +
      `${facts.overdue.toLocaleString("en")} of them overdue), ${facts.clocks.toLocaleString("en")} clocks, ` +
      `2,000 establishments in ${seedSeconds.toFixed(1)} s including VACUUM ANALYZE; incidents with indexes: ${facts.size}`,
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
  const signIn = async (role: keyof typeof people) => {
    const res = await fetch(`${origin}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: `${role}@bench.test`, password: PASSWORD }),
    });
    if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
    const { accessToken } = (await res.json()) as { accessToken: string };
    return { authorization: `Bearer ${accessToken}` };
  };
  const auth = { analyst: await signIn("analyst"), taskforce: await signIn("taskforce") };

  // The bare side: the same statements through a pool of the same size, both at once as the API does.
  const pool = new pg.Pool({ connectionString: scratch.url, max: poolMax });
  pool.on("error", () => {});
  const principal = (role: keyof typeof people): Principal => ({
    kind: "user",
    id: people[role],
    role,
    displayName: `Banc (${role})`,
    ghtId: null,
    establishmentIds: [],
    via: "bearer",
  });
  type Role = keyof typeof people;
  const scenarios: { name: string; query: QueueQuery; as?: Role }[] = [
    { name: "default (page 1, counts)", query: {} },
    { name: "severity=P1", query: { severity: "P1" } },
    { name: "territory=13 & category=ch", query: { territory: "13", category: "ch" } },
    { name: "overdue=true", query: { overdue: true } },
    { name: "q=VPN", query: { q: "VPN" } },
    { name: "unassigned=true & status=new", query: { unassigned: true, status: "new" } },
    { name: "rsitClass=fraud", query: { rsitClass: "fraud" } },
    { name: "task force (P1 or crisis cell)", query: {}, as: "taskforce" },
  ];

  const bare = async (query: QueueQuery, as: Role = "analyst") => {
    const s = queueStatements(principal(as), query, new Date());
    const [items] = await Promise.all([pool.query(s.items), pool.query(s.counts)]);
    return items.rows as { id: string }[];
  };
  // The body is read whole, but parsed only when checked: the bare side parses nothing either.
  const api = async (query: QueueQuery, as: Role = "analyst") => {
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
    const res = await get(`${origin}/api/v1/queue?${qs}`, auth[as]);
    if (res.status !== 200) throw new Error(`GET /api/v1/queue?${qs} → ${res.status} ${res.body}`);
    return res.body;
  };

  // What any request costs before the queue's SQL: HTTP alone, then HTTP with the bearer token's
  // check (a request refused by validation after authentication).
  const floors: [string, string, Record<string, string>, number][] = [
    ["GET /health/live (HTTP alone)", "/health/live", {}, 200],
    ["GET /api/v1/queue?limit=0 (authenticated, 400)", "/api/v1/queue?limit=0", auth.analyst, 400],
  ];
  console.log("");
  for (const [name, path, headers, status] of floors) {
    const once = async () => {
      const res = await get(`${origin}${path}`, headers);
      if (res.status !== status) throw new Error(`${path} → ${res.status} ${res.body}`);
    };
    for (let i = 0; i < 30; i++) await once();
    const [d] = await paired(REQUESTS, 1, [once, async () => {}]);
    console.log(
      `${name.padEnd(50)} p50 ${percentile(d, 50).toFixed(1).padStart(5)} p95 ${percentile(d, 95).toFixed(1).padStart(5)} ms`,
    );
  }

  console.log(
    `\n${REQUESTS} requests per query and side, interleaved, after 30 of warm-up; pool of ${poolMax} on both sides`,
  );
  const results: { name: string; c: number; api95: number; bare95: number }[] = [];
  for (const { name, query, as = "analyst" } of scenarios) {
    // Same answer both ways, or the comparison means nothing.
    const fromApi = JSON.parse(await api(query, as)) as { items: { id: string }[]; total: number };
    const fromPool = await bare(query, as);
    const same =
      JSON.stringify(fromApi.items.map((i) => i.id)) ===
      JSON.stringify(fromPool.slice(0, 20).map((r) => r.id));
    if (!same) throw new Error(`${name}: the API and the bare statements disagree`);
    if (EXPLAIN) {
      const s = queueStatements(principal(as), query, new Date());
      for (const [label, st] of [
        ["items", s.items],
        ["counts", s.counts],
      ] as const) {
        const plan = await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${st.text}`, st.values);
        console.log(`-- ${name}: ${label}\n${plan.rows.map((r) => r["QUERY PLAN"]).join("\n")}`);
      }
    }
    for (let i = 0; i < 30; i++) {
      await api(query, as);
      await bare(query, as);
    }
    for (const c of [1, CONCURRENCY]) {
      const [a, b] = await paired(REQUESTS, c, [() => api(query, as), () => bare(query, as)]);
      const row = {
        name,
        c,
        api50: percentile(a, 50),
        api95: percentile(a, 95),
        bare50: percentile(b, 50),
        bare95: percentile(b, 95),
      };
      results.push(row);
      console.log(
        `${`${name}, ${c === 1 ? "sequential" : `${c} at a time`}`.padEnd(50)} total ${String(fromApi.total).padStart(7)}  ` +
          `API p50 ${row.api50.toFixed(1).padStart(5)} p95 ${row.api95.toFixed(1).padStart(5)} ms  ` +
          `bare p50 ${row.bare50.toFixed(1).padStart(5)} p95 ${row.bare95.toFixed(1).padStart(5)} ms  ` +
          `p95 ratio ${(row.api95 / row.bare95).toFixed(2)}`,
      );
    }
  }
  await pool.end();
  const sequential = results.filter((r) => r.c === 1);
  const worst = Math.max(...sequential.map((r) => r.api95));
  const worstRatio = Math.max(...sequential.map((r) => r.api95 / r.bare95));
  console.log(
    `\nsequential: worst API p95 ${worst.toFixed(1)} ms (target < 50 ms) ${worst < 50 ? "✓" : "✗"}; ` +
      `worst p95 ratio API / bare ${worstRatio.toFixed(2)} (target ≤ 1.50) ${worstRatio <= 1.5 ? "✓" : "✗"}`,
  );
  console.log(`whole run ${((performance.now() - t0) / 1000).toFixed(0)} s`);
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
