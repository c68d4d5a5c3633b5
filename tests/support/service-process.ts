import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Config } from "@pris/config";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A service as operators run it: `node --import tsx <script>`, a process of its own. */
export interface ServiceProcess {
  child: ChildProcess;
  pid: number;
  /** Its JSON log lines (stdout), parsed. */
  logs: LogLine[];
  /** Every exit of the process, whatever the cause: a resilient service has none until stopped. */
  exits: ProcessExit[];
  /** Resolves when the process has exited, with how. */
  exited: Promise<ProcessExit>;
  /** Still the same process, and alive. */
  alive(): boolean;
  /** SIGTERM, then SIGKILL if it has not exited within the grace period. */
  stop(graceMs?: number): Promise<void>;
}

/** The worker: services/worker/src/worker.ts. */
export type WorkerProcess = ServiceProcess;

/** The API, listening on `url` (http://127.0.0.1:PORT). */
export interface ApiProcess extends ServiceProcess {
  url: string;
}

export function startServiceProcess(script: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: ROOT,
    env: { ...(process.env as Record<string, string>), NODE_ENV: "test", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const logs: LogLine[] = [];
  const exits: ProcessExit[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      logs.push({ level: 30, msg: line });
    }
  });
  const exited = new Promise<ProcessExit>((resolve) =>
    child.once("exit", (code, signal) => {
      const exit = { code, signal };
      exits.push(exit);
      resolve(exit);
    }),
  );
  return {
    child,
    pid: child.pid!,
    logs,
    exits,
    exited,
    alive() {
      if (child.exitCode !== null || child.signalCode !== null) return false;
      try {
        process.kill(child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    },
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
  return startServiceProcess("services/worker/src/worker.ts", env);
}

/** Starts services/api/src/server.ts on env.PORT and resolves once /health/ready answers 200. */
export async function startApiProcess(
  env: Record<string, string> & { PORT: string },
  timeoutMs = 120_000,
): Promise<ApiProcess> {
  const url = `http://127.0.0.1:${env.PORT}`;
  const api = startServiceProcess("services/api/src/server.ts", { ...env, HOST: "127.0.0.1" });
  const deadline = Date.now() + timeoutMs;
  let last = "not listening";
  for (;;) {
    if (!api.alive())
      throw new Error(`the API on ${url} exited while starting: ${JSON.stringify(api.exits)}`);
    try {
      const res = await fetch(`${url}/health/ready`);
      if (res.status === 200) break;
      last = `${res.status} ${await res.text()}`;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await api.stop(1_000);
      const logged = api.logs.slice(-5).map((l) => l.msg);
      throw new Error(
        `the API on ${url} was not ready within ${timeoutMs} ms (${last}; ${logged.join(" / ")})`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { ...api, url };
}

/**
 * A test's configuration as the environment of a child process: the child reads the same settings
 * (database, Redis and its queue prefix, SMTP, secrets) as the test's own API or worker would.
 */
export function configEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value !== undefined && value !== null) env[key] = String(value);
  }
  return env;
}
