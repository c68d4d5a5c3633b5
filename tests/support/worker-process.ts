import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** The worker as operators run it: `node --import tsx services/worker/src/worker.ts`, a process of its own. */
export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** Its JSON log lines (stdout), parsed. */
  logs: LogLine[];
  /** Every exit of the process, whatever the cause: a resilient worker has none until stopped. */
  exits: { code: number | null; signal: NodeJS.Signals | null }[];
  /** Still the same process, and alive. */
  alive(): boolean;
  /** SIGTERM, then SIGKILL if it has not exited within the grace period. */
  stop(graceMs?: number): Promise<void>;
}

export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
  return startServiceProcess("services/worker/src/worker.ts", env);
}

/** Any of the services' entry points (services/api/src/server.ts too) as a process of its own. */
export function startServiceProcess(script: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: ROOT,
    env: { ...(process.env as Record<string, string>), NODE_ENV: "test", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const logs: LogLine[] = [];
  const exits: WorkerProcess["exits"] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      logs.push({ level: 30, msg: line });
    }
  });
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exits.push({ code, signal });
      resolve();
    }),
  );
  return {
    child,
    pid: child.pid!,
    logs,
    exits,
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
