/**
 * pnpm bench:replicas — declarations per second through one API process against two API processes on the
 * same database, in the same run: what a second replica buys on this machine. On two cores shared with
 * PostgreSQL and the load generator it buys little: PostgreSQL's commit of each declaration, not the API,
 * is the limit (see bench:intake); a second replica is there for availability.
 *
 * It creates a scratch database beside DATABASE_URL's, seeds one establishment with an API key
 * (tests/bench/intake-seed.ts), starts two APIs as child processes (NODE_ENV=production, the image's Node
 * options), warms both, then runs BENCH_ROUNDS rounds of: BENCH_CONNECTIONS connections at full speed
 * against one API for BENCH_SECONDS, and the same connections split between the two APIs (two autocannon
 * runs side by side, their rates summed), each side first every other round. It prints each run's req/s
 * and p50/p99 and the median ratio two / one,
 * then stops the APIs and drops the scratch database. No worker runs: the outbox rows wait, as in
 * bench:intake. Knobs: BENCH_SECONDS (10), BENCH_CONNECTIONS (50), BENCH_ROUNDS (3), BENCH_PORT (the first
 * API's port, the second's is the next; default two free ports), DATABASE_URL, REDIS_URL.
 */
import { randomUUID } from "node:crypto";
import { loadConfig } from "@pris/config";
import autocannon from "autocannon";
import { declarationBody, seedIntake } from "./intake-seed.ts";
import { API_NODE_OPTIONS, Children, freePort, scratchDatabase, waitFor } from "./support.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const base = loadConfig();
const scratch = scratchDatabase(base.DATABASE_URL, "pris_bench");
const children = new Children();

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
}

/** Full speed against each URL at once, the connections split between them; rates summed. */
async function drive(urls: string[], auth: Record<string, string>, seconds = SECONDS): Promise<Figures> {
  const payload = declarationBody();
  const results = await Promise.all(
    urls.map((url) =>
      autocannon({
        url,
        method: "POST",
        connections: Math.max(1, Math.round(CONNECTIONS / urls.length)),
        duration: seconds,
        headers: { "content-type": "application/json", ...auth },
        requests: [
          {
            setupRequest: (req) => ({
              ...req,
              body: payload,
              headers: { ...req.headers, "idempotency-key": randomUUID() },
            }),
          },
        ],
      }),
    ),
  );
  return {
    rps: results.reduce((sum, r) => sum + r.requests.average, 0),
    // The slower side's percentiles: a client of the pair waits for whichever it reached.
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    failed: results.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main() {
  await scratch.create();
  const seed = await seedIntake(scratch.url);
  const first = process.env.BENCH_PORT ? Number(process.env.BENCH_PORT) : undefined;
  const ports = first ? [first, first + 1] : [await freePort(), await freePort()];
  const common = {
    DATABASE_URL: scratch.url,
    REDIS_URL: base.REDIS_URL,
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    MAIL_FROM: "PRIS Cyber Santé <pris@pris.example>",
    // Both replicas share their secrets, as replicas of one deployment do.
    JWT_SECRET: randomUUID() + randomUUID(),
    LOG_CHAIN_KEY: randomUUID() + randomUUID(),
    MIGRATE_ON_START: "false",
    NODE_OPTIONS: API_NODE_OPTIONS,
  };
  for (const port of ports) {
    children.start("services/api/src/server.ts", { ...common, PORT: String(port), HOST: "127.0.0.1" });
  }
  for (const port of ports) await waitFor(`http://127.0.0.1:${port}/health/live`, 120_000);
  const urls = ports.map((p) => `http://127.0.0.1:${p}/api/v1/incidents`);
  const auth = { authorization: `ApiKey ${seed.key}` };
  console.log(
    `replicas benchmark: ${ROUNDS} rounds of ${SECONDS}s, ${CONNECTIONS} connections at full speed, one API then two`,
  );
  // Warm both (JIT, pools, caches) before measuring.
  await drive(urls, auth, 3);

  const settle = () => scratch.adminQuery("CHECKPOINT").then(() => new Promise((r) => setTimeout(r, 1000)));
  const row = (name: string, f: Figures) =>
    `${name.padEnd(22)} ${f.rps.toFixed(0).padStart(6)} req/s  p50 ${String(f.p50).padStart(4)} ms  p99 ${String(f.p99).padStart(4)} ms  failed ${f.failed}`;
  const ratios: number[] = [];
  let failed = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    // Each side goes first every other round: a drifting machine favours neither.
    const sides = [() => drive(urls.slice(0, 1), auth), () => drive(urls, auth)];
    const order = round % 2 === 1 ? [0, 1] : [1, 0];
    const figures: Figures[] = [];
    for (const k of order) {
      await settle();
      figures[k] = await sides[k]!();
    }
    const [one, two] = figures as [Figures, Figures];
    console.log(row(`round ${round}, one API`, one));
    console.log(row(`round ${round}, two APIs`, two));
    ratios.push(two.rps / one.rps);
    failed += one.failed + two.failed;
  }
  console.log(
    `throughput two APIs / one: median ${median(ratios).toFixed(2)} (rounds ${ratios.map((r) => r.toFixed(2)).join(", ")})`,
  );
  if (failed > 0) console.log(`✗ ${failed} requests failed: see above`);
}

try {
  await main();
} finally {
  await children.stopAll();
  await scratch.drop();
}
