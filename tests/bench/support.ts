/** What every benchmark script needs: a scratch database beside DATABASE_URL's, free ports, child servers. */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { migrateWithPasswordOnly } from "../support/migrate.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The API runs as the production image runs it (infra/Dockerfile's NODE_OPTIONS), unless told otherwise. */
export const API_NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ?? "--max-semi-space-size=16";

/**
 * The worker as docker-compose runs it: a bounded old space, so that V8 collects instead of growing the
 * heap through a fan-out (without it the worker's RSS passes 300 MB sending 10,000 e-mails; bench:fanout).
 */
export const WORKER_NODE_OPTIONS = process.env.BENCH_WORKER_NODE_OPTIONS ?? "--max-old-space-size=128";

export function scratchDatabase(databaseUrl: string, prefix: string) {
  const name = `${prefix}_${Date.now()}`;
  const admin = new URL(databaseUrl);
  admin.pathname = "/postgres";
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  async function adminQuery(sql: string) {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
  return {
    name,
    url: url.toString(),
    adminQuery,
    create: () => adminQuery(`CREATE DATABASE "${name}"`),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/**
 * The SMTP sink's port: BENCH_SMTP_PORT when set (a shared machine hands each run its own range),
 * otherwise any free one.
 */
export function sinkPort(): Promise<number> {
  return process.env.BENCH_SMTP_PORT ? Promise.resolve(Number(process.env.BENCH_SMTP_PORT)) : freePort();
}

/** The API's port: BENCH_API_PORT when set, otherwise any free one. */
export function apiPort(): Promise<number> {
  return process.env.BENCH_API_PORT ? Promise.resolve(Number(process.env.BENCH_API_PORT)) : freePort();
}

export type SinkReport = {
  /** When the last expected message was accepted. */
  done: number;
  count: number;
  distinct: number;
  duplicates: number;
  messageIds: number;
  /** Each counted message's Message-ID and acceptance time, when asked for. */
  times?: [string, number][];
};

/**
 * The SMTP sink (tests/bench/smtp-sink.ts) in its own process, so that it never shares a core with what
 * is measured. `expect` makes it count from zero: `done` resolves with the report when `count` messages
 * (whose Message-ID starts with `prefix`, when given) were accepted.
 */
export function startSink(port: number) {
  const child = spawn(process.execPath, ["--import", "tsx", "tests/bench/smtp-sink.ts"], {
    cwd: ROOT,
    env: { ...process.env, SINK_PORT: String(port) },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const next = <T>(key: string) =>
    new Promise<T>((resolve) => {
      const on = (msg: Record<string, unknown>) => {
        if (key in msg) {
          child.off("message", on);
          resolve(msg as T);
        }
      };
      child.on("message", on);
    });
  return {
    child,
    url: `smtp://127.0.0.1:${port}`,
    listening: next("listening"),
    async expect(
      count: number,
      options: { prefix?: string; times?: boolean } = {},
    ): Promise<{ done: Promise<SinkReport> }> {
      const ready = next("ready");
      child.send({ expect: count, ...options });
      await ready;
      return { done: next<SinkReport>("done") };
    },
  };
}

/**
 * The scratch database created and migrated, with the territory the benchmark's establishments are put
 * in ('sud'); resolves with a small pool on it for the script's own reads and writes.
 */
export async function createBenchDatabase(scratch: ReturnType<typeof scratchDatabase>): Promise<pg.Pool> {
  await scratch.create();
  await migrateWithPasswordOnly(scratch.url);
  const db = new pg.Pool({ connectionString: scratch.url, max: 2 });
  await db.query(`INSERT INTO territories (code, name) VALUES ('sud', 'Sud')`);
  return db;
}

/** The SMTP sink started (its process adopted by `children`, stopped with them) and listening. */
export async function listeningSink(children: Children) {
  const sink = startSink(await sinkPort());
  children.adopt(sink.child);
  await sink.listening;
  return sink;
}

/** What the API and the worker need in common as production runs them; `env` adds or overrides. */
export function servicesEnv(
  env: Record<string, string> & { DATABASE_URL: string; REDIS_URL: string; SMTP_URL: string },
): Record<string, string> {
  return {
    QUEUE_PREFIX: `pris-bench-${Date.now()}`,
    NODE_ENV: "production",
    MAIL_FROM: "PRIS Cyber Santé <pris@pris.example>",
    JWT_SECRET: randomUUID() + randomUUID(),
    LOG_CHAIN_KEY: randomUUID() + randomUUID(),
    PUBLIC_URL: "https://pris.bench.test",
    LOG_LEVEL: "warn",
    MIGRATE_ON_START: "false",
    ...env,
  };
}

/** The API as a child process (BENCH_API_PORT or a free port); its origin once started, not yet answering. */
async function launchApi(
  children: Children,
  env: Record<string, string>,
): Promise<{ origin: string; api: ChildProcess }> {
  const port = await apiPort();
  const api = children.start("services/api/src/server.ts", {
    ...env,
    NODE_OPTIONS: API_NODE_OPTIONS,
    PORT: String(port),
    HOST: "127.0.0.1",
  });
  return { origin: `http://127.0.0.1:${port}`, api };
}

/** The API alone, with `env` (servicesEnv's); resolves with its origin once it answers. */
export async function startApi(children: Children, env: Record<string, string>, waitMs = 120_000) {
  const { origin } = await launchApi(children, env);
  await waitFor(`${origin}/health/live`, waitMs);
  return origin;
}

/** The worker as a child process, with `env` (servicesEnv's). */
export function startWorkerProcess(children: Children, env: Record<string, string>): ChildProcess {
  return children.start("services/worker/src/worker.ts", { ...env, NODE_OPTIONS: WORKER_NODE_OPTIONS });
}

/**
 * The API and the worker as production runs them, as child processes on a scratch database, with what
 * both need in common; `env` adds or overrides. `workers` worker processes (the production overlay runs
 * two replicas). Resolves once the API answers.
 */
export async function startServices(
  children: Children,
  env: Record<string, string> & { DATABASE_URL: string; REDIS_URL: string; SMTP_URL: string },
  waitMs = 120_000,
  workers = 1,
): Promise<{ origin: string; api: ChildProcess; worker: ChildProcess; workers: ChildProcess[] }> {
  const common = servicesEnv(env);
  const { origin, api } = await launchApi(children, common);
  const started = Array.from({ length: workers }, () => startWorkerProcess(children, common));
  const worker = started[0]!;
  // A shared machine may take a while to start two TypeScript processes.
  await waitFor(`${origin}/health/live`, waitMs);
  return { origin, api, worker, workers: started };
}

/**
 * Runs a benchmark's main, then stops what it started (`stop` first, then the children), destroys the
 * keep-alive agent, drops the scratch database unless BENCH_KEEP, and exits; an error sets exit code 1.
 */
export function runBench(
  main: () => Promise<void>,
  cleanup: { children: Children; scratch: { drop(): Promise<unknown> }; stop?: () => Promise<unknown> },
): void {
  main()
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(async () => {
      httpAgent.destroy();
      await cleanup.children.stopAll();
      await cleanup.stop?.().catch(() => {});
      if (!process.env.BENCH_KEEP) await cleanup.scratch.drop().catch(() => {});
      process.exit();
    });
}

/**
 * CPU seconds (user and system) process `pid` has used so far, from /proc (Linux, 100 ticks a second):
 * what a phase cost a process whatever the machine's load, where its wall time depends on it.
 */
export function cpuSeconds(pid: number): number {
  // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15 (proc(5)).
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds every PostgreSQL process of the machine has used so far (the server is shared with nothing else during a benchmark). */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "postgres") total += cpuSeconds(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor(url: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** TypeScript servers started as child processes, all stopped together (SIGTERM, then SIGKILL). */
export class Children {
  private readonly started: ChildProcess[] = [];

  /** `stdout: "inherit"` shows the server's log (its level set by LOG_LEVEL) among the benchmark's output. */
  /** A process started elsewhere (the SMTP sink), stopped with the others. */
  adopt(child: ChildProcess): void {
    this.started.push(child);
  }

  start(script: string, env: Record<string, string>, stdout: "ignore" | "inherit" = "ignore"): ChildProcess {
    // BENCH_CPU_PROF=worker,api: a V8 CPU profile of those children, written when they stop
    // (--cpu-prof is refused in NODE_OPTIONS).
    const profiled = (process.env.BENCH_CPU_PROF ?? "")
      .split(",")
      .some((name) => name && script.includes(name));
    const profile = profiled ? ["--cpu-prof", `--cpu-prof-dir=${ROOT}/tests/.artifacts/profiles`] : [];
    const child = spawn(process.execPath, [...profile, "--import", "tsx", script], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", stdout, "inherit"],
    });
    this.started.push(child);
    return child;
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      this.started.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.once("exit", () => resolve());
            c.kill("SIGTERM");
            setTimeout(() => c.kill("SIGKILL"), 5000).unref();
          }),
      ),
    );
  }
}

/** Keep-alive HTTP for the "through the API" side; destroy it when the run ends. */
export const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** A GET read whole (the bare side parses nothing either, so neither does this). */
export function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: httpAgent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

/**
 * Runs each side `total` times over `concurrency` loops, each loop alternating the two, so that both
 * sides meet the same background load (a shared machine drifts); returns each call's duration in ms.
 */
export async function paired(
  total: number,
  concurrency: number,
  sides: [() => Promise<unknown>, () => Promise<unknown>],
): Promise<[number[], number[]]> {
  const durations: [number[], number[]] = [[], []];
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        const i = started++;
        // Each side goes first half of the time: neither always finds the other's pages warm.
        for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
          const t0 = performance.now();
          await sides[k as 0 | 1]();
          durations[k as 0 | 1].push(performance.now() - t0);
        }
      }
    }),
  );
  return durations;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
