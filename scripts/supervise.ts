/**
 * Runs a Node process and starts it again whenever it exits on its own, as a container's restart
 * policy would: `node --import tsx scripts/supervise.ts <node arguments…>`, e.g.
 * `node --import tsx scripts/supervise.ts --max-old-space-size=128 --import tsx services/worker/src/worker.ts`.
 *
 * - A restart waits 1 s, doubling after each quick exit up to 60 s; a child that ran a minute or more
 *   counts as healthy, so its next restart is quick again.
 * - Exit code 78 (EX_CONFIG: the configuration was refused) is not retried: it would be refused again.
 * - SIGINT and SIGTERM go to the child, and the supervisor ends with it instead of restarting it.
 *   A Ctrl-C also reaches the child straight from the terminal, and a parent such as the demo stack
 *   signals the whole tree: the child gets the same signal twice within milliseconds, which the worker
 *   and the API take as one. A signal repeated here within a second is not passed on again.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

const CONFIG_REFUSED = 78;
const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 60_000;
const HEALTHY_AFTER_MS = 60_000;

const args = process.argv.slice(2);
if (args.length === 0) {
  console.error("usage: supervise.ts <node arguments…>");
  process.exit(2);
}
const name = path.basename(args.at(-1)!, path.extname(args.at(-1)!));

let child: ChildProcess | undefined;
let stoppingAt: number | undefined;
let delayMs = FIRST_DELAY_MS;
let restartTimer: NodeJS.Timeout | undefined;

function log(message: string): void {
  console.error(`[supervise ${name}] ${message}`);
}

function start(): void {
  const startedAt = Date.now();
  const proc = spawn(process.execPath, args, { stdio: "inherit" });
  child = proc;
  proc.once("error", (err) => log(`could not start: ${err.message}`));
  proc.once("exit", (code, signal) => {
    child = undefined;
    if (stoppingAt !== undefined) process.exit(code ?? 0);
    if (code === CONFIG_REFUSED) {
      log("configuration refused (exit 78): not restarting");
      process.exit(CONFIG_REFUSED);
    }
    if (Date.now() - startedAt >= HEALTHY_AFTER_MS) delayMs = FIRST_DELAY_MS;
    log(`exited (${signal ?? `code ${code}`}); restarting in ${delayMs / 1000} s`);
    restartTimer = setTimeout(start, delayMs);
    delayMs = Math.min(delayMs * 2, MAX_DELAY_MS);
  });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (!child) {
      clearTimeout(restartTimer);
      process.exit(0);
    }
    if (stoppingAt !== undefined && Date.now() - stoppingAt < 1_000) return;
    stoppingAt = Date.now();
    child.kill(signal);
  });
}

start();
