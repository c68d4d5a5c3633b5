import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * The EICAR anti-virus test file (68 bytes): harmless, and found by every scanner. Built from two halves
 * so that no scanner on the development machine quarantines this source file.
 */
export const EICAR = Buffer.from(
  `${"X5O!P%@AP[4\\PZX54(P^)7CC)7}$"}${"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"}`,
);

/** A custom signature of the tests' own: any file holding this marker is "infected" with Pris.Test.Marker. */
export const TEST_MARKER = "PRIS-TEST-MALWARE-MARKER-7f3a";

/** A private clamd (Debian's clamav-daemon binary) on a local socket, with a tiny signature database. */
export interface PrivateClamd {
  socket: string;
  stop(): Promise<void>;
}

function accepts(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: socketPath });
    socket.once("connect", () => {
      socket.end("zPING\0");
      socket.once("data", (d) => resolve(d.toString().startsWith("PONG")));
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * No signature download is possible on these machines, and clamd refuses to start without any: the
 * database is written here, an .ndb (hex body signatures) holding the EICAR string and the tests' marker.
 * Loading it takes well under a second, against a minute for the official databases.
 */
export async function startPrivateClamd(options: { maxThreads?: number } = {}): Promise<PrivateClamd> {
  const dir = mkdtempSync(path.join(tmpdir(), "pris-clamd-"));
  const db = path.join(dir, "db");
  const socket = path.join(dir, "clamd.sock");
  mkdirSync(db);
  writeFileSync(
    path.join(db, "pris-test.ndb"),
    `Eicar-Test-Signature:0:0:${EICAR.toString("hex")}\nPris.Test.Marker:0:*:${Buffer.from(TEST_MARKER).toString("hex")}\n`,
  );
  writeFileSync(
    path.join(dir, "clamd.conf"),
    [
      "Foreground yes",
      `LocalSocket ${socket}`,
      `DatabaseDirectory ${db}`,
      `TemporaryDirectory ${dir}`,
      `LogFile ${path.join(dir, "clamd.log")}`,
      "LogTime no",
      `PidFile ${path.join(dir, "clamd.pid")}`,
      "StreamMaxLength 200M",
      "MaxFileSize 200M",
      "MaxScanSize 400M",
      // Each INSTREAM holds a thread while the file arrives: fewer threads than uploads in flight stalls the rest.
      `MaxThreads ${options.maxThreads ?? 4}`,
      `MaxQueue ${Math.max(100, (options.maxThreads ?? 4) * 4)}`,
      "ReadTimeout 30",
      "SelfCheck 3600",
      "",
    ].join("\n"),
  );
  // Debian puts clamd in /usr/sbin, which a user's PATH may not hold.
  const binary = existsSync("/usr/sbin/clamd") ? "/usr/sbin/clamd" : "clamd";
  const child: ChildProcess = spawn(binary, ["--config-file", path.join(dir, "clamd.conf")], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, LD_PRELOAD: "" },
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const deadline = Date.now() + 30_000;
  try {
    while (!(existsSync(socket) && (await accepts(socket)))) {
      if (child.exitCode !== null) throw new Error(`clamd exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for clamd: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    socket,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
