/**
 * pnpm bench:login — what signing in and the server-side session cost, against bare baselines in the same
 * run (interleaved, so that both sides meet the same background load):
 *
 * 1. Password sign-in: `POST /api/v1/auth/login` through HTTP (user lookup, Argon2id, the session's row,
 *    the tokens) against a bare Argon2id verification of the same hash in this process.
 * 2. The session check of an authenticated request, on the analysts' queue route (`GET /api/v1/queue`,
 *    bearer token): a request whose session this API process has just read (it believes a session alive
 *    for a second: no read) against one whose session it has never seen (a primary-key read of its row,
 *    and the token's signature checked, at every request — what every request pays on a replica that has
 *    not seen the session in the last second). The difference is what the session check adds; the target
 *    is under 0.5 ms at p50. A bare primary-key read of a `sessions` row through a pg pool is printed
 *    beside it.
 *
 * It creates a scratch database, migrates it, seeds a small queue (BENCH_INCIDENTS, 5000) and
 * BENCH_SESSIONS (4000) open sessions of one analyst with their access tokens, starts the API as a child
 * process (production mode), measures, and drops the database. Knobs: BENCH_REQUESTS (2000 per side),
 * BENCH_LOGINS (60 per side), BENCH_KEEP=1, DATABASE_URL (the server).
 */
import { randomUUID } from "node:crypto";
import { hashPassword } from "@pris/api";
import { loadConfig } from "@pris/config";
import pg from "pg";
import { verifyPassword } from "../../services/api/src/auth/passwords.ts";
import { createTokens } from "../../services/api/src/auth/tokens.ts";
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

const INCIDENTS = Number(process.env.BENCH_INCIDENTS ?? 5000);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 4000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const LOGINS = Number(process.env.BENCH_LOGINS ?? 60);
const PASSWORD = "bench-password-1234";

const base = loadConfig();
const scratch = scratchDatabase(base.DATABASE_URL, "pris_bench_login");
const children = new Children();

const ms = (v: number) => v.toFixed(2).padStart(6);
function line(name: string, a: number[], b: number[], bName: string) {
  const [a50, b50] = [percentile(a, 50), percentile(b, 50)];
  console.log(
    `${name.padEnd(44)} p50 ${ms(a50)} p95 ${ms(percentile(a, 95))} ms | ${bName.padEnd(30)} p50 ${ms(b50)} p95 ${ms(percentile(b, 95))} ms | Δp50 ${ms(a50 - b50)} ms`,
  );
  return a50 - b50;
}

async function main() {
  const t0 = performance.now();
  await scratch.create();
  await migrateWithPasswordOnly(scratch.url);
  const seeder = new pg.Client({ connectionString: scratch.url });
  seeder.on("error", () => {});
  await seeder.connect();
  for (const statement of QUEUE_SEED(INCIDENTS)) await seeder.query(statement);
  const hash = await hashPassword(PASSWORD);
  const analystId = (
    await seeder.query<{ id: string }>(
      `INSERT INTO users (id, email, display_name, role, password_hash)
       VALUES (gen_random_uuid(), 'analyst@bench.test', 'Banc (analyste)', 'analyst', $1) RETURNING id`,
      [hash],
    )
  ).rows[0]!.id;
  const sessionIds = (
    await seeder.query<{ id: string }>(
      `INSERT INTO sessions (id, user_id, expires_at, amr, ip, user_agent)
       SELECT gen_random_uuid(), $1, now() + interval '12 hours', '["pwd"]', '127.0.0.1', 'bench'
       FROM generate_series(1, $2::int) RETURNING id`,
      [analystId, SESSIONS],
    )
  ).rows.map((r) => r.id);
  await seeder.query("VACUUM ANALYZE sessions");
  await seeder.end();

  const secrets = {
    JWT_SECRET: randomUUID() + randomUUID(),
    JWT_PREVIOUS_SECRETS: "",
    JWT_ISSUER: base.JWT_ISSUER,
    JWT_AUDIENCE: base.JWT_AUDIENCE,
  };
  const tokens = createTokens(secrets);
  const bearers = sessionIds.map((sid) => ({
    authorization: `Bearer ${tokens.sign({ typ: "access", sub: analystId, sid }, 3600)}`,
  }));

  const port = await freePort();
  children.start("services/api/src/server.ts", {
    NODE_OPTIONS: API_NODE_OPTIONS,
    DATABASE_URL: scratch.url,
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    MAIL_FROM: "PRIS Cyber Santé <pris@pris.example>",
    JWT_SECRET: secrets.JWT_SECRET,
    LOG_CHAIN_KEY: randomUUID() + randomUUID(),
    MIGRATE_ON_START: "false",
    PORT: String(port),
    HOST: "127.0.0.1",
    // The bench signs in from one address many times: its successes must not be throttled.
    LOGIN_RATE_LIMIT_MAX: "100000",
    LOGIN_RATE_LIMIT_ADDRESS_MAX: "100000",
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(`${origin}/health/live`);

  // 1. Password sign-in against bare Argon2id.
  const login = async () => {
    const res = await fetch(`${origin}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "analyst@bench.test", password: PASSWORD }),
    });
    if (res.status !== 200) throw new Error(`login → ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  const argon = async () => {
    if (!(await verifyPassword(hash, PASSWORD))) throw new Error("the hash does not verify");
  };
  for (let i = 0; i < 5; i++) await Promise.all([login(), argon()]);
  console.log(`\n${LOGINS} sign-ins per side, interleaved, after 5 of warm-up`);
  const [logins, bareArgon] = await paired(LOGINS, 1, [login, argon]);
  line("POST /api/v1/auth/login (HTTP)", logins, bareArgon, "bare Argon2id verification");

  // 2. The session check, on the queue route.
  let next = 0;
  const unseen = () => bearers[next++ % bearers.length]!;
  const believed = bearers[0]!;
  const call = (path: string, headers: Record<string, string>, status: number) => async () => {
    const res = await get(`${origin}${path}`, headers);
    if (res.status !== status) throw new Error(`${path} → ${res.status} ${res.body}`);
  };
  const pool = new pg.Pool({ connectionString: scratch.url, max: base.DATABASE_POOL_MAX });
  pool.on("error", () => {});
  let k = 0;
  const bareRead = async () => {
    const sid = sessionIds[k++ % sessionIds.length]!;
    const { rows } = await pool.query({
      name: "bench_session_check",
      text: `SELECT id, user_id, created_at, last_seen_at, expires_at, ended_at, amr, second_factor_pending,
                    second_factor_at FROM sessions WHERE id = $1`,
      values: [sid],
    });
    if (rows.length !== 1) throw new Error("no session row");
  };
  for (let i = 0; i < 100; i++) {
    await call("/api/v1/queue", unseen(), 200)();
    await call("/api/v1/queue", believed, 200)();
    await bareRead();
  }
  console.log(
    `\n${REQUESTS} requests per side, interleaved, sequential, after 100 of warm-up; ${SESSIONS} sessions, ${INCIDENTS} incidents`,
  );
  const [bareReads] = await paired(REQUESTS, 1, [bareRead, async () => {}]);
  console.log(
    `${"bare primary-key read of a sessions row (pg)".padEnd(44)} p50 ${ms(percentile(bareReads, 50))} p95 ${ms(percentile(bareReads, 95))} ms`,
  );
  const [floorCold, floorWarm] = await paired(REQUESTS, 1, [
    () => call("/api/v1/queue?limit=0", unseen(), 400)(),
    () => call("/api/v1/queue?limit=0", believed, 400)(),
  ]);
  line("queue?limit=0 (400 after auth), session read", floorCold, floorWarm, "session believed (no read)");
  const [cold, warm] = await paired(REQUESTS, 1, [
    () => call("/api/v1/queue", unseen(), 200)(),
    () => call("/api/v1/queue", believed, 200)(),
  ]);
  const added = line("GET /api/v1/queue, session read", cold, warm, "session believed (no read)");
  await pool.end();
  console.log(
    `\nthe session check adds ${added.toFixed(2)} ms at p50 to an authenticated queue request (target < 0.5 ms) ${added < 0.5 ? "✓" : "✗"}`,
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
