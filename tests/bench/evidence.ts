/**
 * pnpm bench:evidence — evidence uploads through the real API (API-key auth, multipart, SHA-256, type
 * detection, local store, a row, a main-courante entry and an outbox row in one transaction) against a
 * bare pipeline() of the same bytes to the same store, in the same run; and the worker's scans of those
 * files (clamd over the stored bytes), which run while the uploads go on, as in production.
 *
 * It creates a scratch database, starts a private clamd (tests/support/clamd.ts: a small signature
 * database, as no download is possible here), an SMTP sink, the API and the worker (startServices, as
 * production runs them) and the bare server as child processes, sends BENCH_UPLOADS files of BENCH_MB MB
 * with BENCH_PARALLEL uploads in flight to each, and prints MB/s for the bare pipe, for a bare multipart
 * upload hashed on the way (busboy and SHA-256 alone: the floor any upload that fingerprints its file
 * meets), for clamd alone over the same bytes, for the uploads, and for the uploads until every file has
 * its verdict; the API's CPU, the ratio and the API's peak RSS. Each phase starts with the page cache's
 * writes of the ones before flushed (`sync`), so that none pays for another's. Then it stops what it started and removes the scratch database and
 * files. Knobs: BENCH_UPLOADS (200), BENCH_MB (5), BENCH_PARALLEL (20), BENCH_INCIDENTS (1: the incidents
 * the uploads are spread over; each file's entry takes its incident's row lock), BENCH_WORKER (on; off:
 * nothing scans during the uploads), BENCH_API_PORT, BENCH_BASE_PORT and BENCH_SMTP_PORT (free ports by
 * default), BENCH_CPU_PROF=api,worker, DATABASE_URL, REDIS_URL.
 */
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "@pris/config";
import { ClamdSession } from "@pris/db";
import pg from "pg";
import { startPrivateClamd } from "../support/clamd.ts";
import { declarationBody, seedIntake } from "./intake-seed.ts";
import {
  Children,
  cpuSeconds,
  freePort,
  listeningSink,
  scratchDatabase,
  startServices,
  waitFor,
} from "./support.ts";

const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 200);
const MB = Number(process.env.BENCH_MB ?? 5);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 20);
const INCIDENTS = Number(process.env.BENCH_INCIDENTS ?? 1);

const base = loadConfig();
const scratch = scratchDatabase(base.DATABASE_URL, "pris_bench");
const children = new Children();
const evidenceDir = mkdtempSync(path.join(tmpdir(), "pris-bench-evidence-"));
const agent = new http.Agent({ keepAlive: true, maxSockets: PARALLEL });

/** One POST whose body is written from memory (the same buffer each time); resolves with the status. */
function post(url: string, headers: Record<string, string>, parts: Buffer[]): Promise<number> {
  const length = parts.reduce((n, p) => n + p.length, 0);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: "POST", agent, headers: { ...headers, "content-length": String(length) } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    for (const part of parts) req.write(part);
    req.end();
  });
}

/** BENCH_UPLOADS requests, BENCH_PARALLEL at a time; MB/s of file bytes and the failures. */
async function drive(send: () => Promise<number>) {
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < UPLOADS) {
        next++;
        const status = await send();
        if (status !== 201) failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { seconds, mbPerSecond: (UPLOADS * MB) / seconds, failed };
}

/** The API's resident memory, sampled while it works (Linux /proc). */
function sampleRss(pid: number) {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
      peak = Math.max(peak, kb * 1024);
    } catch {
      // gone
    }
  }, 50);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

async function main() {
  const clamd = await startPrivateClamd({ maxThreads: Math.max(PARALLEL, 10) });
  try {
    await scratch.create();
    const seed = await seedIntake(scratch.url);
    const sink = await listeningSink(children);
    const basePort = Number(process.env.BENCH_BASE_PORT ?? (await freePort()));
    const evidenceEnv = {
      EVIDENCE_DIR: evidenceDir,
      EVIDENCE_MAX_BYTES: String((MB + 1) * 1024 * 1024),
      CLAMD_SOCKET: clamd.socket,
    };
    const { origin, api, worker } = await startServices(children, {
      DATABASE_URL: scratch.url,
      REDIS_URL: base.REDIS_URL,
      SMTP_URL: sink.url,
      ...evidenceEnv,
    });
    // BENCH_WORKER=off: no worker, so nothing scans during the uploads (the files stay pending).
    if (process.env.BENCH_WORKER === "off") worker.kill("SIGTERM");
    children.start("tests/bench/evidence-baseline-server.ts", {
      PORT: String(basePort),
      BENCH_EVIDENCE_DIR: evidenceDir,
    });
    await waitFor(`http://127.0.0.1:${basePort}/ready`);

    const auth = { authorization: `ApiKey ${seed.key}` };
    const ids: string[] = [];
    for (let i = 0; i < INCIDENTS; i++) {
      const declared = await fetch(`${origin}/api/v1/incidents`, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth },
        body: declarationBody(),
      });
      if (declared.status !== 201)
        throw new Error(`declaration failed: ${declared.status} ${await declared.text()}`);
      ids.push(((await declared.json()) as { id: string }).id);
    }

    const file = randomBytes(MB * 1024 * 1024);
    const boundary = `----pris${randomUUID()}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="capture.bin"\r\n` +
        "Content-Type: application/octet-stream\r\n\r\n",
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    let sent = 0;
    const apiUrl = () => `${origin}/api/v1/incidents/${ids[sent++ % ids.length]}/evidence`;
    const baseUrl = `http://127.0.0.1:${basePort}/upload`;
    const toApi = () =>
      post(apiUrl(), { ...auth, "content-type": `multipart/form-data; boundary=${boundary}` }, [
        head,
        file,
        tail,
      ]);
    const toBase = () => post(baseUrl, { "content-type": "application/octet-stream" }, [file]);
    const toHashed = () =>
      post(`${baseUrl}-hashed`, { "content-type": `multipart/form-data; boundary=${boundary}` }, [
        head,
        file,
        tail,
      ]);

    const idle = sampleRss(api.pid!);
    await new Promise((r) => setTimeout(r, 200));
    const idleRss = idle() / 1024 / 1024;
    console.log(
      `evidence benchmark: ${UPLOADS} uploads of ${MB} MB, ${PARALLEL} in flight, over ${INCIDENTS} incident(s); API RSS at rest ${idleRss.toFixed(0)} MB`,
    );
    // Warm both (JIT, pool, clamd's threads) before measuring, and let the warm-up's scans end.
    for (let i = 0; i < 3; i++) await Promise.all([toApi(), toBase(), toHashed()]);
    const db = new pg.Client({ connectionString: scratch.url });
    await db.connect();
    const pending = async () =>
      Number(
        (await db.query("SELECT count(*) AS n FROM evidence_files WHERE scan_status = 'pending'")).rows[0].n,
      );
    if (process.env.BENCH_WORKER !== "off") {
      while ((await pending()) > 0) await new Promise((r) => setTimeout(r, 100));
    }

    // clamd alone, the same bytes over INSTREAM from this process: what the scan costs on this machine.
    const scanOnly = async () => {
      const session = new ClamdSession({ path: clamd.socket }, 60_000);
      for (let at = 0; at < file.length; at += 64 * 1024)
        await session.write(file.subarray(at, at + 64 * 1024));
      return (await session.finish()).status === "clean" ? 201 : 500;
    };
    // Each phase starts with no dirty pages of the ones before: the kernel writes a gigabyte out in the
    // background (this store is a disk), which would slow whichever phase comes after the first.
    const settle = () => {
      rmSync(path.join(evidenceDir, "baseline"), { recursive: true, force: true });
      mkdirSync(path.join(evidenceDir, "baseline"));
      execFileSync("sync");
    };
    settle();
    const bare = await drive(toBase);
    settle();
    const hashed = await drive(toHashed);
    settle();
    const scanned = await drive(scanOnly);
    const stopSampling = sampleRss(api.pid!);
    const cpuBefore = cpuSeconds(api.pid!);
    const started = performance.now();
    const through = await drive(toApi);
    const apiCpu = cpuSeconds(api.pid!) - cpuBefore;
    const peakRss = stopSampling();
    // Every file's verdict, from the worker: the time from the first upload to the last verdict.
    let verdicts: { seconds: number; mbPerSecond: number; failed: number } | null = null;
    if (process.env.BENCH_WORKER !== "off") {
      while ((await pending()) > 0) await new Promise((r) => setTimeout(r, 50));
      const seconds = (performance.now() - started) / 1000;
      const notClean = Number(
        (await db.query("SELECT count(*) AS n FROM evidence_files WHERE scan_status <> 'clean'")).rows[0].n,
      );
      verdicts = { seconds, mbPerSecond: (UPLOADS * MB) / seconds, failed: notClean };
    }
    await db.end();

    const row = (name: string, f: { seconds: number; mbPerSecond: number; failed: number }) =>
      `${name.padEnd(44)} ${f.mbPerSecond.toFixed(1).padStart(7)} MB/s  ${f.seconds.toFixed(1).padStart(6)} s  failed ${f.failed}`;
    console.log(row("bare pipeline() to the store", bare));
    console.log(row("bare multipart + SHA-256 to the store", hashed));
    console.log(row("clamd INSTREAM alone (same bytes)", scanned));
    console.log(row("POST …/evidence (multipart, hash, store, chain)", through));
    if (verdicts) console.log(row("  … and every file's verdict (worker, clamd)", verdicts));
    console.log(
      `API CPU during the uploads: ${apiCpu.toFixed(1)} s of ${through.seconds.toFixed(1)} s (${((apiCpu / through.seconds) * 100).toFixed(0)} % of one core)`,
    );
    const ratio = through.mbPerSecond / bare.mbPerSecond;
    console.log(
      `throughput ratio API / bare: ${ratio.toFixed(2)} (target ≥ 0.70) ${ratio >= 0.7 ? "✓" : "✗"}`,
    );
    console.log(
      `  (bare multipart + SHA-256 / bare: ${(hashed.mbPerSecond / bare.mbPerSecond).toFixed(2)}: the least an upload that keeps the file's fingerprint costs)`,
    );
    const rssMb = peakRss / 1024 / 1024;
    console.log(`API peak RSS: ${rssMb.toFixed(0)} MB (target < 300 MB) ${rssMb < 300 ? "✓" : "✗"}`);
    if (through.failed + bare.failed > 0) console.log("✗ some uploads failed: see above");
  } finally {
    await clamd.stop();
  }
}

try {
  await main();
} finally {
  agent.destroy();
  await children.stopAll();
  await scratch.drop();
  rmSync(evidenceDir, { recursive: true, force: true });
}
