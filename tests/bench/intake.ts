/**
 * pnpm bench:intake — declarations per second through the real API (API-key auth, validation,
 * Idempotency-Key, one transaction with log, clocks and outbox) against a bare Fastify route doing one
 * INSERT of the same row through a pool of the same size, in the same run, on the same database server.
 *
 * It creates a scratch database, starts both servers as child processes, drives them with autocannon
 * from this process, prints req/s and p50/p99 for both and their ratio, then stops what it started and
 * drops the scratch database. Knobs: BENCH_SECONDS (10), BENCH_CONNECTIONS (50), BENCH_RATE (200),
 * DATABASE_URL (the server to use; the scratch database is created beside the one it names).
 */
import { randomUUID } from "node:crypto";
import { loadConfig } from "@pris/config";
import autocannon from "autocannon";
import { declarationBody as body, seedIntake } from "./intake-seed.ts";
import { API_NODE_OPTIONS, Children, freePort, scratchDatabase, waitFor } from "./support.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const RATE = Number(process.env.BENCH_RATE ?? 200);

const base = loadConfig();
const scratch = scratchDatabase(base.DATABASE_URL, "pris_bench");
const children = new Children();

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function drive(
  url: string,
  headers: Record<string, string>,
  options: { rate?: number },
): Promise<Figures> {
  const payload = body();
  // At a fixed rate, each of 10 connections paces itself (one request every 50 ms at 200 req/s):
  // autocannon's overallRate would instead fire each second's requests in one burst.
  const paced = options.rate ? 10 : CONNECTIONS;
  const result = await autocannon({
    url,
    method: "POST",
    connections: paced,
    duration: SECONDS,
    ...(options.rate ? { connectionRate: options.rate / paced } : {}),
    headers: { "content-type": "application/json", ...headers },
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          body: payload,
          headers: { ...req.headers, "idempotency-key": randomUUID() },
        }),
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function main() {
  await scratch.create();
  const seed = await seedIntake(scratch.url);

  const [apiPort, basePort] = [await freePort(), await freePort()];
  const common = {
    DATABASE_URL: scratch.url,
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    MAIL_FROM: "PRIS Cyber Santé <pris@pris.example>",
    JWT_SECRET: randomUUID() + randomUUID(),
    LOG_CHAIN_KEY: randomUUID() + randomUUID(),
    MIGRATE_ON_START: "false",
    // Both servers run with the production image's Node options.
    NODE_OPTIONS: API_NODE_OPTIONS,
  };
  children.start("services/api/src/server.ts", { ...common, PORT: String(apiPort), HOST: "127.0.0.1" });
  children.start("tests/bench/baseline-server.ts", {
    ...common,
    PORT: String(basePort),
    BENCH_ESTABLISHMENT_ID: seed.establishmentId,
    BENCH_USER_ID: seed.userId,
  });
  await waitFor(`http://127.0.0.1:${apiPort}/health/live`);
  await waitFor(`http://127.0.0.1:${basePort}/nothing`);

  const apiUrl = `http://127.0.0.1:${apiPort}/api/v1/incidents`;
  const baseUrl = `http://127.0.0.1:${basePort}/baseline/incidents`;
  const auth = { authorization: `ApiKey ${seed.key}` };
  console.log(
    `intake benchmark: ${SECONDS}s per run, ${CONNECTIONS} connections at full speed, then ${RATE} req/s`,
  );
  // Warm both (JIT, pool, caches) before measuring.
  await autocannon({
    url: apiUrl,
    method: "POST",
    duration: 2,
    connections: 10,
    headers: { "content-type": "application/json", ...auth },
    body: body(),
  });
  await autocannon({
    url: baseUrl,
    method: "POST",
    duration: 2,
    connections: 10,
    headers: { "content-type": "application/json" },
    body: body(),
  });

  // The steady rate first: the full-speed runs leave checkpoints and autovacuum behind them.
  const settle = () => scratch.adminQuery("CHECKPOINT").then(() => new Promise((r) => setTimeout(r, 1000)));
  await settle();
  const baseRate = await drive(baseUrl, {}, { rate: RATE });
  await settle();
  const apiRate = await drive(apiUrl, auth, { rate: RATE });
  await settle();
  const baseMax = await drive(baseUrl, {}, {});
  await settle();
  const apiMax = await drive(apiUrl, auth, {});

  const row = (name: string, f: Figures) =>
    `${name.padEnd(34)} ${f.rps.toFixed(0).padStart(8)} req/s  p50 ${String(f.p50).padStart(4)} ms  p99 ${String(f.p99).padStart(4)} ms  non-2xx ${f.non2xx}  errors ${f.errors}`;
  console.log(row("bare INSERT, full speed", baseMax));
  console.log(row("POST /api/v1/incidents, full speed", apiMax));
  console.log(row(`bare INSERT, ${RATE} req/s`, baseRate));
  console.log(row(`POST /api/v1/incidents, ${RATE} req/s`, apiRate));
  const ratio = apiMax.rps / baseMax.rps;
  console.log(`throughput ratio API / bare: ${ratio.toFixed(2)} (target ≥ 0.50) ${ratio >= 0.5 ? "✓" : "✗"}`);
  console.log(`p99 at ${RATE} req/s: ${apiRate.p99} ms (target < 50 ms) ${apiRate.p99 < 50 ? "✓" : "✗"}`);
  if (apiMax.non2xx + apiRate.non2xx + apiMax.errors + apiRate.errors > 0)
    console.log("✗ the API answered errors: see above");
}

try {
  await main();
} finally {
  await children.stopAll();
  await scratch.drop();
}
