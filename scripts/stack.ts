/**
 * Local stack for the demo: the API (which also serves the built web app) and the worker as child
 * processes with prefixed output, each under scripts/supervise.ts (restarted with backoff if it exits),
 * plus a development mail catcher when nothing answers on SMTP_URL, and a demo clamd when none answers.
 * `pnpm stack` builds the web app, migrates and seeds before running this. Ctrl-C stops everything.
 */
import { existsSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { ConfigError, loadConfig } from "@pris/config";
import { type ConcurrentlyCommandInput, concurrently } from "concurrently";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "0.0.0.0"]);

function reachable(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

function hostAndPort(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(parsed.port || defaultPort) };
}

/** Runs a TypeScript entry point with this same Node binary and tsx as its loader. */
function tsCommand(entry: string, nodeFlags = ""): string {
  return `'${process.execPath.replace(/'/g, "'\\''")}' ${nodeFlags} --import tsx ${entry}`;
}

/** The same, under the supervisor: started again, with backoff, whenever it exits on its own. */
function supervised(entry: string, nodeFlags = ""): string {
  return tsCommand(`scripts/supervise.ts ${nodeFlags} --import tsx ${entry}`);
}

async function waitForApi(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}

const commands: Exclude<ConcurrentlyCommandInput, string>[] = [
  { name: "api", command: supervised("services/api/src/server.ts"), prefixColor: "cyan", cwd: ROOT },
  {
    name: "worker",
    // As in docker-compose: a bounded old space keeps a bulletin fan-out under 250 MB (bench:fanout).
    command: supervised("services/worker/src/worker.ts", "--max-old-space-size=128"),
    prefixColor: "magenta",
    cwd: ROOT,
  },
];

const smtp = hostAndPort(config.SMTP_URL, config.SMTP_URL.startsWith("smtps:") ? 465 : 25);
let mailHint: string;
if (await reachable(smtp.host, smtp.port)) {
  mailHint =
    smtp.port === 1025 && LOCAL_HOSTS.has(smtp.host)
      ? `an SMTP server already answers on ${smtp.host}:${smtp.port} (mailpit? its UI is usually http://localhost:8025)`
      : `e-mails go to ${smtp.host}:${smtp.port}`;
} else if (LOCAL_HOSTS.has(smtp.host) && config.SMTP_URL.startsWith("smtp:")) {
  commands.push({
    name: "mail",
    command: tsCommand("scripts/dev-mail.ts"),
    prefixColor: "yellow",
    cwd: ROOT,
  });
  mailHint = "no SMTP server was running: the dev mail catcher keeps every e-mail in .data/mail/*.eml";
} else {
  mailHint = `WARNING: nothing answers on ${smtp.host}:${smtp.port} (SMTP_URL); e-mails will be retried`;
}

// The evidence files' scanner: the configured clamd if it answers; otherwise, where Debian's clamav-daemon is
// installed, a private one on a socket of its own with the tests' small signature database (the EICAR test
// file and nothing else: no signature download here); otherwise none, and every file stays unscannable.
let scanHint: string;
let stopClamd: (() => Promise<void>) | undefined;
const clamdAnswers = config.CLAMD_SOCKET
  ? await new Promise<boolean>((resolve) => {
      const socket = net.connect({ path: config.CLAMD_SOCKET }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    })
  : await reachable(config.CLAMD_HOST, config.CLAMD_PORT);
if (clamdAnswers) {
  scanHint = "clamd answers where CLAMD_SOCKET / CLAMD_HOST say";
} else if (existsSync("/usr/sbin/clamd")) {
  const { startPrivateClamd } = await import("../tests/support/clamd.ts");
  const clamd = await startPrivateClamd();
  stopClamd = clamd.stop;
  for (const c of commands) c.env = { ...c.env, CLAMD_SOCKET: clamd.socket };
  scanHint = `a demo clamd on ${clamd.socket}, which knows only the EICAR test file (no signature download here)`;
} else {
  scanHint =
    "WARNING: no clamd (install Debian's clamav-daemon, or set CLAMD_SOCKET): evidence files end unscannable";
}

const redis = hostAndPort(config.REDIS_URL, 6379);
if (!(await reachable(redis.host, redis.port))) {
  console.warn(
    `\n⚠️  Redis does not answer on ${redis.host}:${redis.port} (REDIS_URL). Declarations are still stored, ` +
      "but no e-mail leaves until Redis is up: start it (redis-server, or docker compose up -d redis).\n",
  );
}

const { result } = concurrently(commands, {
  prefix: "name",
  padPrefix: true,
  // The supervisors restart what crashes; one that gives up (a refused configuration) makes the demo
  // misleading: stop the others too, and say which one failed.
  killOthersOn: ["failure"],
  killTimeout: 10_000,
  cwd: ROOT,
});

const liveUrl = `http://127.0.0.1:${config.PORT}/health/live`;
void waitForApi(liveUrl, 120_000).then((up) => {
  if (!up) return;
  console.log(
    [
      "",
      `  PRIS is running: ${config.PUBLIC_URL}  (API docs: ${config.PUBLIC_URL}/docs)`,
      `  Mail: ${mailHint}`,
      `  Antivirus: ${scanHint}`,
      "  Demo logins: see README.md (or the seed's output above). Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
});

result.then(
  async () => {
    await stopClamd?.();
    process.exit(0);
  },
  async (events: { command: { name: string }; exitCode: number | string }[]) => {
    const failed = events.filter((e) => e.exitCode !== 0).map((e) => `${e.command.name} (${e.exitCode})`);
    if (failed.length > 0) console.error(`stopped: ${failed.join(", ")} exited with an error`);
    await stopClamd?.();
    process.exit(1);
  },
);
