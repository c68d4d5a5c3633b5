import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/** A private, throw-away redis-server that a test can stop and start again on the same port. */
export interface PrivateRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL: like a crash, nothing saved — it saves nothing anyway). */
  kill(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Extra arguments go after the defaults, so they win: e.g. ["--maxmemory-policy", "allkeys-lru"]. */
export async function startPrivateRedis(extraArgs: string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    const proc = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--maxmemory-policy",
        "noeviction",
        ...extraArgs,
      ],
      // Redis's jemalloc and libfaketime deadlock at start (`pnpm test:at`): Redis keeps the real clock,
      // which BullMQ never reads (its scripts get the time from the client).
      { stdio: "ignore", env: { ...process.env, LD_PRELOAD: "" } },
    );
    child = proc;
    await until(`redis-server on port ${port}`, () => accepts(port));
  }

  async function kill(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;
    await until(`port ${port} to close`, async () => !(await accepts(port)));
  }

  await start();
  return { url: `redis://127.0.0.1:${port}`, port, kill, start, stop: kill };
}

/**
 * A Sentinel watching `primary` under the master name `master` (quorum 1: it alone decides). It rewrites
 * its configuration file, so the file lives in a directory of its own.
 */
export async function startSentinel(
  master: string,
  primary: PrivateRedis,
): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "pris-sentinel-"));
  const file = path.join(dir, "sentinel.conf");
  writeFileSync(
    file,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `sentinel monitor ${master} 127.0.0.1 ${primary.port} 1`,
      `sentinel down-after-milliseconds ${master} 1000`,
      `sentinel failover-timeout ${master} 5000`,
      "",
    ].join("\n"),
  );
  const proc = spawn("redis-server", [file, "--sentinel"], {
    stdio: "ignore",
    env: { ...process.env, LD_PRELOAD: "" },
  });
  await until(`redis-sentinel on port ${port}`, () => accepts(port));
  return {
    port,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGKILL");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
