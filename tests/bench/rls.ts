/**
 * pnpm bench:rls — what PostgreSQL row-level security would cost the queue and the completion dashboard
 * (issue 10, point 9: build it only if both stay within 10 % of today's ratios).
 *
 * It seeds the queue's data (QUEUE_SEED) and the completion's (COMPLETION_SEED) in two scratch databases,
 * adds the policies below, and times the very statements the API runs — queueStatements() and
 * completionStatement() — four ways, interleaved request by request (each request's order rotating, so
 * that a loaded machine's noise hits all four alike), after checking that all four give the same answer:
 *
 *   bare      the statements as the API runs them today (items and counts in parallel, two connections);
 *   tx        the same, each inside BEGIN … COMMIT as the superuser: the round trips a per-transaction
 *             principal costs, without any policy;
 *   roles     design A: BEGIN; SET LOCAL ROLE <one role per visibility>; set_config('pris.establishments',
 *             …, true) — the analyst's role has a USING (true) policy, which the planner drops, an RSSI's
 *             role `establishment_id = ANY (setting)`, the task force's `severity = 'P1' OR crisis_cell`;
 *   settings  design B: one application role, whose single policy per table reads the visibility from a
 *             setting (CASE current_setting('pris.incidents') …), evaluated on every row;
 *   pinned    design A with a pool per visibility whose connections start in their role (the startup
 *             option `-c role=…`): the analyst's, the task force's and the ARS's statements run as they
 *             are, with no transaction; only an RSSI's still set their establishments per transaction.
 *
 * Principals: an analyst (whole region), the task force, the RSSI of the establishment with the most
 * open incidents, a GHT's RSSI (the next eight), and the ARS for the completion dashboard. It also checks
 * the point of the wall: the analyst's unscoped statements, run under an RSSI's principal, return only
 * that RSSI's incidents, and nothing at all when no principal is set.
 *
 * Needs a superuser (roles are created, prefixed by the scratch database's name, and dropped at the end).
 * Knobs: BENCH_INCIDENTS (1000000), BENCH_ESTABLISHMENTS (50000), BENCH_REQUESTS (300 per query and side),
 * BENCH_ONLY=queue|completion, BENCH_EXPLAIN=1, BENCH_KEEP=1, DATABASE_URL.
 */
import { loadConfig } from "@pris/config";
import { parseObligationRule, type QueueQuery, type Role } from "@pris/domain";
import { PgDialect } from "drizzle-orm/pg-core";
import pg from "pg";
import type { Principal } from "../../services/api/src/auth/principal.ts";
import { completionStatement } from "../../services/api/src/modules/exercises/completion-service.ts";
import { queueStatements, type Statement } from "../../services/api/src/modules/queue/queue-sql.ts";
import { migrateWithPasswordOnly } from "../support/migrate.ts";
import { COMPLETION_SEED } from "./completion-seed.ts";
import { QUEUE_SEED } from "./queue-seed.ts";
import { percentile, scratchDatabase } from "./support.ts";

const INCIDENTS = Number(process.env.BENCH_INCIDENTS ?? 1_000_000);
const ESTABLISHMENTS = Number(process.env.BENCH_ESTABLISHMENTS ?? 50_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const ONLY = process.env.BENCH_ONLY;
const EXPLAIN = process.env.BENCH_EXPLAIN === "1";
const YEAR = 2025;

const base = loadConfig();
const POOL_MAX = base.DATABASE_POOL_MAX;
const SIDES = ["bare", "tx", "roles", "settings", "pinned"] as const;
type Side = (typeof SIDES)[number];

/** The incident tables a policy guards in this benchmark: incidents, and a child table the queue joins. */
function policies(p: string): string[] {
  // The settings are read in a scalar subquery: PostgreSQL runs it once per statement (an InitPlan)
  // rather than parsing the array again on every row (a GHT's RSSI's queue: ×3.3 of bare per row, ×2.5–2.7 once).
  const byEstablishment = `establishment_id = ANY ((SELECT current_setting('pris.establishments', true))::uuid[])`;
  // Design B: one role, the visibility in a setting; an unset setting matches no CASE branch: nothing.
  const incidentsB = `CASE (SELECT current_setting('pris.incidents', true))
      WHEN 'all' THEN true
      WHEN 'establishments' THEN ${byEstablishment}
      WHEN 'major' THEN severity = 'P1' OR crisis_cell
      ELSE false END`;
  const exercisesB = `CASE (SELECT current_setting('pris.exercises', true))
      WHEN 'all' THEN true
      WHEN 'establishments' THEN ${byEstablishment}
      ELSE false END`;
  return [
    // Design A: one role per visibility. The API's login role may become each of them but inherits
    // none (policies apply to a role's members too): with no role set, no policy applies to it and
    // row-level security answers nothing.
    `CREATE ROLE ${p}_login NOLOGIN NOINHERIT`,
    `CREATE ROLE ${p}_all NOLOGIN`,
    `CREATE ROLE ${p}_establishments NOLOGIN`,
    `CREATE ROLE ${p}_major NOLOGIN`,
    `CREATE ROLE ${p}_app NOLOGIN`,
    `GRANT ${p}_all, ${p}_establishments, ${p}_major, ${p}_app TO ${p}_login`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${p}_login, ${p}_all, ${p}_establishments, ${p}_major, ${p}_app`,
    ...["incidents", "incident_clocks", "exercise_participations"].flatMap((t) => [
      `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`,
      `ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`,
    ]),
    `CREATE POLICY scope_all ON incidents FOR SELECT TO ${p}_all USING (true)`,
    `CREATE POLICY scope_establishments ON incidents FOR SELECT TO ${p}_establishments USING (${byEstablishment})`,
    `CREATE POLICY scope_major ON incidents FOR SELECT TO ${p}_major USING (severity = 'P1' OR crisis_cell)`,
    `CREATE POLICY scope_settings ON incidents FOR SELECT TO ${p}_app USING (${incidentsB})`,
    // A child row is visible with its incident: the subquery is itself under the incidents' policy.
    `CREATE POLICY scope_all ON incident_clocks FOR SELECT TO ${p}_all USING (true)`,
    `CREATE POLICY scope_incident ON incident_clocks FOR SELECT TO ${p}_establishments, ${p}_major, ${p}_app
       USING (EXISTS (SELECT 1 FROM incidents i WHERE i.id = incident_id))`,
    `CREATE POLICY scope_all ON exercise_participations FOR SELECT TO ${p}_all, ${p}_major USING (true)`,
    `CREATE POLICY scope_establishments ON exercise_participations FOR SELECT TO ${p}_establishments
       USING (${byEstablishment})`,
    `CREATE POLICY scope_settings ON exercise_participations FOR SELECT TO ${p}_app USING (${exercisesB})`,
  ];
}

const VISIBILITY: Record<Role, "all" | "establishments" | "major" | "none"> = {
  analyst: "all",
  rssi: "establishments",
  taskforce: "major",
  ars: "major",
  admin: "none",
};

interface Who {
  name: string;
  role: Role;
  establishmentIds: string[];
}

function principal(who: Who): Principal {
  return {
    kind: "user",
    id: "00000000-0000-7000-8000-000000000000",
    role: who.role,
    displayName: who.name,
    ghtId: null,
    establishmentIds: who.establishmentIds,
    via: "bearer",
  };
}

/** What each side sends before the statement, in one message (simple protocol, several statements). */
function prelude(side: Side, who: Who, p: string, client: pg.PoolClient): string | undefined {
  const ids = client.escapeLiteral(`{${who.establishmentIds.join(",")}}`);
  const incidents = VISIBILITY[who.role];
  const exercises = who.role === "rssi" ? "establishments" : "all";
  switch (side) {
    case "bare":
      return undefined;
    case "tx":
      return "BEGIN";
    case "pinned":
      return incidents === "establishments"
        ? `BEGIN; SELECT set_config('pris.establishments', ${ids}, true)`
        : undefined;
    case "roles":
      return `BEGIN; SET LOCAL ROLE ${p}_${incidents}; SELECT set_config('pris.establishments', ${ids}, true)`;
    case "settings":
      return `BEGIN; SET LOCAL ROLE ${p}_app; SELECT set_config('pris.incidents', '${incidents}', true),
        set_config('pris.exercises', '${exercises}', true), set_config('pris.establishments', ${ids}, true)`;
  }
}

function runner(url: string, p: string) {
  const pools = new Map<string, pg.Pool>();
  const poolAs = (role: string | undefined) => {
    const key = role ?? "";
    if (!pools.has(key)) {
      const options = role ? `-c role=${role}` : undefined;
      const pool = new pg.Pool({ connectionString: url, max: POOL_MAX, options });
      pool.on("error", () => {});
      pools.set(key, pool);
    }
    return pools.get(key)!;
  };
  const run = async <R extends pg.QueryResultRow>(side: Side, who: Who, st: Statement) => {
    const pool = poolAs(side === "pinned" ? `${p}_${VISIBILITY[who.role]}` : undefined);
    const client = await pool.connect();
    try {
      const before = prelude(side, who, p, client);
      if (!before) return (await client.query<R>(st.text, st.values)).rows;
      await client.query(before);
      const { rows } = await client.query<R>(st.text, st.values);
      await client.query("COMMIT");
      return rows;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  };
  return Object.assign(run, {
    pool: poolAs(undefined),
    end: () => Promise.all([...pools.values()].map((pool) => pool.end())),
  });
}

/** Each request runs every side once, in an order rotating with the request: noise hits them alike. */
async function interleaved(total: number, fns: Record<Side, () => Promise<unknown>>) {
  const durations = Object.fromEntries(SIDES.map((s) => [s, [] as number[]])) as Record<Side, number[]>;
  for (let i = 0; i < total; i++) {
    for (let k = 0; k < SIDES.length; k++) {
      const side = SIDES[(i + k) % SIDES.length]!;
      const t0 = performance.now();
      await fns[side]();
      durations[side].push(performance.now() - t0);
    }
  }
  return durations;
}

function report(name: string, d: Record<Side, number[]>, extra = "") {
  const b95 = percentile(d.bare, 95);
  const b50 = percentile(d.bare, 50);
  const cells = SIDES.map((s) => {
    const p50 = percentile(d[s], 50);
    const p95 = percentile(d[s], 95);
    const ratio = s === "bare" ? "" : ` (×${(p50 / b50).toFixed(2)} / ×${(p95 / b95).toFixed(2)})`;
    return `${s} ${p50.toFixed(1)}/${p95.toFixed(1)}${ratio}`;
  });
  console.log(`${name.padEnd(40)} ${extra}${cells.join("  ")}`);
  return Object.fromEntries(SIDES.map((s) => [s, percentile(d[s], 95) / b95])) as Record<Side, number>;
}

async function loadAverage() {
  const { readFile } = await import("node:fs/promises");
  return (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ");
}

async function withScratch(prefix: string, seed: string[], body: (url: string, p: string) => Promise<void>) {
  const scratch = scratchDatabase(base.DATABASE_URL, prefix);
  const p = scratch.name;
  await scratch.create();
  try {
    await migrateWithPasswordOnly(scratch.url);
    const seeder = new pg.Client({ connectionString: scratch.url });
    seeder.on("error", () => {});
    await seeder.connect();
    const t0 = performance.now();
    try {
      for (const statement of seed) await seeder.query(statement);
      for (const statement of policies(p)) await seeder.query(statement);
    } finally {
      await seeder.end();
    }
    console.log(`seeded ${scratch.name} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await body(scratch.url, p);
  } finally {
    if (process.env.BENCH_KEEP === "1") console.log(`kept database ${scratch.name}`);
    else {
      await scratch.drop();
      for (const r of ["login", "all", "establishments", "major", "app"]) {
        await scratch.adminQuery(`DROP ROLE IF EXISTS ${p}_${r}`);
      }
    }
  }
}

async function queue(url: string, p: string) {
  const run = runner(url, p);
  const pool = run.pool;
  // The RSSI of the establishment with the most open incidents; a GHT of the next eight.
  const ranked = (
    await pool.query<{ id: string }>(
      `SELECT establishment_id AS id FROM incidents WHERE status NOT IN ('closed', 'rejected', 'merged')
       GROUP BY establishment_id ORDER BY count(*) DESC, establishment_id LIMIT 9`,
    )
  ).rows.map((r) => r.id);
  const analyst: Who = { name: "analyst", role: "analyst", establishmentIds: [] };
  const taskforce: Who = { name: "task force", role: "taskforce", establishmentIds: [] };
  const rssi: Who = { name: "RSSI", role: "rssi", establishmentIds: ranked.slice(0, 1) };
  const ght: Who = { name: "GHT RSSI (8)", role: "rssi", establishmentIds: ranked.slice(1, 9) };

  const both = async (side: Side, who: Who, s: { items: Statement; counts: Statement }) => {
    const [items, counts] = await Promise.all([
      run<{ id: string }>(side, who, s.items),
      run<{ status: string; n: number }>(side, who, s.counts),
    ]);
    return {
      ids: items.map((r) => r.id),
      counts: counts
        .filter((r) => r.n > 0)
        .map((r) => `${r.status}:${r.n}`)
        .sort(),
    };
  };

  // The wall itself: the analyst's statements (no scope in them) under another principal.
  const unscoped = queueStatements(principal(analyst), {}, new Date());
  const own = await both("bare", rssi, queueStatements(principal(rssi), {}, new Date()));
  for (const side of ["roles", "settings"] as const) {
    const forgot = await both(side, rssi, unscoped);
    if (JSON.stringify(forgot) !== JSON.stringify(own)) {
      throw new Error(`${side}: an unscoped query under an RSSI's principal saw more than their incidents`);
    }
  }
  const nobody = await pool.connect();
  try {
    await nobody.query(`BEGIN; SET LOCAL ROLE ${p}_login`);
    const seen = await nobody.query(unscoped.counts.text, unscoped.counts.values);
    await nobody.query(`SET LOCAL ROLE ${p}_app`);
    const seenB = await nobody.query(unscoped.counts.text, unscoped.counts.values);
    await nobody.query("COMMIT");
    const total = [...seen.rows, ...seenB.rows].reduce((s, r) => s + Number(r.n), 0);
    if (total !== 0) throw new Error(`with no principal set, ${total} incidents were counted`);
  } finally {
    nobody.release();
  }
  console.log(
    "checked: an unscoped query under an RSSI's principal sees only theirs; with no principal, nothing",
  );

  const scenarios: { name: string; who: Who; query: QueueQuery }[] = [
    { name: "default (page 1, counts)", who: analyst, query: {} },
    { name: "severity=P1", who: analyst, query: { severity: "P1" } },
    { name: "territory=13 & category=ch", who: analyst, query: { territory: "13", category: "ch" } },
    { name: "overdue=true", who: analyst, query: { overdue: true } },
    { name: "q=VPN", who: analyst, query: { q: "VPN" } },
    { name: "unassigned=true & status=new", who: analyst, query: { unassigned: true, status: "new" } },
    { name: "rsitClass=fraud", who: analyst, query: { rsitClass: "fraud" } },
    { name: "task force (P1 or crisis cell)", who: taskforce, query: {} },
    { name: "RSSI, default", who: rssi, query: {} },
    { name: "RSSI, q=VPN", who: rssi, query: { q: "VPN" } },
    { name: "GHT RSSI, default", who: ght, query: {} },
    { name: "GHT RSSI, severity=P1", who: ght, query: { severity: "P1" } },
    { name: "GHT RSSI, q=VPN", who: ght, query: { q: "VPN" } },
  ];
  console.log(
    `\nqueue: ${REQUESTS} requests per query and side, interleaved, after 20 of warm-up; pool of ${POOL_MAX};` +
      ` p50/p95 ms (ratio to bare p50 / p95)`,
  );
  const ratios: Record<string, Record<Side, number>> = {};
  for (const { name, who, query } of scenarios) {
    const s = queueStatements(principal(who), query, new Date());
    const answers = await Promise.all(SIDES.map((side) => both(side, who, s)));
    if (answers.some((a) => JSON.stringify(a) !== JSON.stringify(answers[0]))) {
      throw new Error(`${name}: the four sides disagree`);
    }
    if (EXPLAIN) {
      for (const side of ["roles", "settings"] as const) {
        const plan = await run<{ "QUERY PLAN": string }>(side, who, {
          text: `EXPLAIN (ANALYZE, BUFFERS) ${s.counts.text}`,
          values: s.counts.values,
        });
        console.log(`-- ${name}, ${side}: counts\n${plan.map((r) => r["QUERY PLAN"]).join("\n")}`);
      }
    }
    const fns = Object.fromEntries(SIDES.map((side) => [side, () => both(side, who, s)])) as Record<
      Side,
      () => Promise<unknown>
    >;
    await interleaved(20, fns);
    const total = answers[0]!.counts.reduce((sum, c) => sum + Number(c.split(":")[1]), 0);
    ratios[name] = report(name, await interleaved(REQUESTS, fns), `${String(total).padStart(7)}  `);
  }
  await run.end();
  summarise(ratios);
}

async function completion(url: string, p: string) {
  const run = runner(url, p);
  const rule = parseObligationRule(base.EXERCISE_SUBJECT_CATEGORIES, base.EXERCISE_SMALL_STRUCTURES);
  const { sql: text, params: values } = new PgDialect().sqlToQuery(completionStatement(rule, YEAR));
  const ars: Who = { name: "ARS", role: "ars", establishmentIds: [] };
  console.log(
    `\ncompletion ${YEAR}: ${REQUESTS} requests per side, interleaved, after 20 of warm-up; p50/p95 ms (ratio)`,
  );
  const ratios: Record<string, Record<Side, number>> = {};
  // The analysts read it under the same policy as the ARS (the whole region's participations).
  for (const who of [ars]) {
    const once = (side: Side) => run(side, who, { text, values });
    const answers = await Promise.all(SIDES.map(once));
    if (answers.some((a) => JSON.stringify(a) !== JSON.stringify(answers[0]))) {
      throw new Error("completion: the four sides disagree");
    }
    if (EXPLAIN) {
      const plan = await run<{ "QUERY PLAN": string }>("settings", who, {
        text: `EXPLAIN (ANALYZE, BUFFERS) ${text}`,
        values,
      });
      console.log(plan.map((r) => r["QUERY PLAN"]).join("\n"));
    }
    const fns = Object.fromEntries(SIDES.map((side) => [side, () => once(side)])) as Record<
      Side,
      () => Promise<unknown>
    >;
    await interleaved(20, fns);
    ratios[`completion (${who.name})`] = report(`completion (${who.name})`, await interleaved(REQUESTS, fns));
  }
  await run.end();
  summarise(ratios);
}

function summarise(ratios: Record<string, Record<Side, number>>) {
  for (const side of ["tx", "roles", "settings", "pinned"] as const) {
    const worst = Object.entries(ratios).sort((a, b) => b[1][side] - a[1][side])[0]!;
    console.log(`worst p95 ratio ${side} / bare: ${worst[1][side].toFixed(2)} (${worst[0]})`);
  }
}

const t0 = performance.now();
try {
  console.log(`load average at start: ${await loadAverage()}`);
  if (ONLY !== "completion") {
    await withScratch("pris_bench_rls_q", QUEUE_SEED(INCIDENTS), queue);
    console.log(`load average: ${await loadAverage()}`);
  }
  if (ONLY !== "queue") {
    await withScratch("pris_bench_rls_c", COMPLETION_SEED(ESTABLISHMENTS), completion);
    console.log(`load average: ${await loadAverage()}`);
  }
  console.log(`whole run ${((performance.now() - t0) / 1000).toFixed(0)} s`);
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}
