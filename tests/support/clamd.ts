import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type ClamdTarget,
  type Db,
  type EvidenceStorage,
  evidenceFiles,
  scanPendingEvidence,
} from "@pris/db";
import { eq } from "drizzle-orm";

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

/**
 * clamd's limits (clamd.conf(5)), the production settings' names. Past any of them, with AlertExceedsMax,
 * clamd answers FOUND instead of OK: a zip bomb is quarantined, never served as clean.
 */
export interface ClamdLimits {
  /** Longest INSTREAM accepted; at least EVIDENCE_MAX_BYTES. */
  streamMaxLength: string;
  /** Largest file scanned, the upload itself or one inside an archive; at least EVIDENCE_MAX_BYTES. */
  maxFileSize: string;
  /** Most bytes scanned for one upload, archives' contents unpacked and counted. */
  maxScanSize: string;
  /** Deepest nesting of archives in archives. */
  maxRecursion: number;
  /** Most files scanned inside one upload. */
  maxFiles: number;
  maxScanTimeMs: number;
}

/**
 * The production limits (infra/k8s/base/clamd/clamd.conf), but for sizes twice EVIDENCE_MAX_BYTES' default: no
 * test upload reaches them. A test of the limits themselves passes smaller ones, to be quick.
 */
export const TEST_CLAMD_LIMITS: ClamdLimits = {
  streamMaxLength: "200M",
  maxFileSize: "200M",
  maxScanSize: "400M",
  maxRecursion: 17,
  maxFiles: 10000,
  maxScanTimeMs: 120000,
};

/**
 * Production's clamd settings (AlertExceedsMax, DisableCache, what a verdict says…): the tests' clamd
 * keeps every one it does not set itself (its socket, directories, sizes and threads).
 */
const PRODUCTION_CONF = path.resolve(import.meta.dirname, "../../infra/k8s/base/clamd/clamd.conf");

function productionSettings(except: Set<string>): string[] {
  return readFileSync(PRODUCTION_CONF, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#") && !except.has(line.split(/\s+/)[0]!));
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
export async function startPrivateClamd(
  options: { maxThreads?: number; limits?: Partial<ClamdLimits> } = {},
): Promise<PrivateClamd> {
  const limits = { ...TEST_CLAMD_LIMITS, ...options.limits };
  const dir = mkdtempSync(path.join(tmpdir(), "pris-clamd-"));
  const db = path.join(dir, "db");
  const socket = path.join(dir, "clamd.sock");
  mkdirSync(db);
  writeFileSync(
    path.join(db, "pris-test.ndb"),
    `Eicar-Test-Signature:0:0:${EICAR.toString("hex")}\nPris.Test.Marker:0:*:${Buffer.from(TEST_MARKER).toString("hex")}\n`,
  );
  const threads = options.maxThreads ?? 4;
  const own: Record<string, string | number> = {
    LocalSocket: socket,
    DatabaseDirectory: db,
    TemporaryDirectory: dir,
    LogFile: path.join(dir, "clamd.log"),
    LogTime: "no",
    PidFile: path.join(dir, "clamd.pid"),
    StreamMaxLength: limits.streamMaxLength,
    MaxFileSize: limits.maxFileSize,
    MaxScanSize: limits.maxScanSize,
    MaxRecursion: limits.maxRecursion,
    MaxFiles: limits.maxFiles,
    MaxScanTime: limits.maxScanTimeMs,
    // Each INSTREAM holds a thread while the file arrives: fewer threads than uploads in flight stalls the rest.
    MaxThreads: threads,
    MaxQueue: Math.max(100, threads * 4),
    ReadTimeout: 30,
    SelfCheck: 3600,
  };
  writeFileSync(
    path.join(dir, "clamd.conf"),
    [
      ...productionSettings(new Set([...Object.keys(own), "TCPSocket", "TCPAddr"])),
      ...Object.entries(own).map(([k, v]) => `${k} ${v}`),
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

/**
 * Scans every file still pending, as the worker's `evidence.received` handler does (the same
 * scanPendingEvidence, reading the store and a real clamd): for tests that run the API without a worker.
 */
export async function scanPendingFiles(
  db: Db,
  deps: { storage: EvidenceStorage; clamd: ClamdTarget; clamdTimeoutMs?: number },
): Promise<number> {
  const pending = await db
    .select({ id: evidenceFiles.id })
    .from(evidenceFiles)
    .where(eq(evidenceFiles.scanStatus, "pending"));
  for (const { id } of pending) {
    await scanPendingEvidence(db, { clamdTimeoutMs: 5000, ...deps }, id);
  }
  return pending.length;
}
