/**
 * pnpm bench:evidence — evidence uploads through the real API (API-key auth, multipart, SHA-256, type
 * detection, ClamAV scan over INSTREAM, local store, a row and a main-courante entry in one transaction)
 * against a bare pipeline() of the same bytes to the same store, in the same run.
 *
 * It creates a scratch database, starts a private clamd (tests/support/clamd.ts: a small signature
 * database, as no download is possible here), the API and the bare server as child processes, sends
 * BENCH_UPLOADS files of BENCH_MB MB with BENCH_PARALLEL uploads in flight to each, prints MB/s for both,
 * their ratio and the API's peak RSS, then stops what it started and removes the scratch database and
 * files. Knobs: BENCH_UPLOADS (200), BENCH_MB (5), BENCH_PARALLEL (20), BENCH_SCAN (on; off: no clamd,
 * to see the scan's share), BENCH_API_PORT and
 * BENCH_BASE_PORT (free ports by default), DATABASE_URL (the server to use).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "@pris/config";
import { ClamdSession } from "@pris/db";
import { startPrivateClamd } from "../support/clamd.ts";
import { declarationBody, seedIntake } from "./intake-seed.ts";
import { API_NODE_OPTIONS, Children, freePort, scratchDatabase, waitFor } from "./support.ts";

const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 200);
const MB = Number(process.env.BENCH_MB ?? 5);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 20);

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
    const apiPort = Number(process.env.BENCH_API_PORT ?? (await freePort()));
    const basePort = Number(process.env.BENCH_BASE_PORT ?? (await freePort()));
    const api = children.start("services/api/src/server.ts", {
      DATABASE_URL: scratch.url,
      LOG_LEVEL: "warn",
      NODE_ENV: "production",
      MAIL_FROM: "PRIS Cyber Santé <pris@pris.example>",
      JWT_SECRET: randomUUID() + randomUUID(),
      LOG_CHAIN_KEY: randomUUID() + randomUUID(),
      MIGRATE_ON_START: "false",
      NODE_OPTIONS: API_NODE_OPTIONS,
      PORT: String(apiPort),
      HOST: "127.0.0.1",
      EVIDENCE_DIR: evidenceDir,
      EVIDENCE_MAX_BYTES: String((MB + 1) * 1024 * 1024),
      // BENCH_SCAN=off points the API at no clamd (files end unscannable at once): the scan's share.
      CLAMD_SOCKET: process.env.BENCH_SCAN === "off" ? path.join(evidenceDir, "no-clamd") : clamd.socket,
    });
    children.start("tests/bench/evidence-baseline-server.ts", {
      PORT: String(basePort),
      BENCH_EVIDENCE_DIR: evidenceDir,
    });
    await waitFor(`http://127.0.0.1:${apiPort}/health/live`);
    await waitFor(`http://127.0.0.1:${basePort}/ready`);

    const auth = { authorization: `ApiKey ${seed.key}` };
    const declared = await fetch(`http://127.0.0.1:${apiPort}/api/v1/incidents`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: declarationBody(),
    });
    if (declared.status !== 201)
      throw new Error(`declaration failed: ${declared.status} ${await declared.text()}`);
    const { id } = (await declared.json()) as { id: string };

    const file = randomBytes(MB * 1024 * 1024);
    const boundary = `----pris${randomUUID()}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="capture.bin"\r\n` +
        "Content-Type: application/octet-stream\r\n\r\n",
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const apiUrl = `http://127.0.0.1:${apiPort}/api/v1/incidents/${id}/evidence`;
    const baseUrl = `http://127.0.0.1:${basePort}/upload`;
    const toApi = () =>
      post(apiUrl, { ...auth, "content-type": `multipart/form-data; boundary=${boundary}` }, [
        head,
        file,
        tail,
      ]);
    const toBase = () => post(baseUrl, { "content-type": "application/octet-stream" }, [file]);

    const idle = sampleRss(api.pid!);
    await new Promise((r) => setTimeout(r, 200));
    const idleRss = idle() / 1024 / 1024;
    console.log(
      `evidence benchmark: ${UPLOADS} uploads of ${MB} MB, ${PARALLEL} in flight; API RSS at rest ${idleRss.toFixed(0)} MB`,
    );
    // Warm both (JIT, pool, clamd's threads) before measuring.
    for (let i = 0; i < 3; i++) await Promise.all([toApi(), toBase()]);

    // clamd alone, the same bytes over INSTREAM from this process: the ceiling the scan sets on this machine.
    const scanOnly = async () => {
      const session = new ClamdSession({ path: clamd.socket }, 60_000);
      for (let at = 0; at < file.length; at += 64 * 1024)
        await session.write(file.subarray(at, at + 64 * 1024));
      return (await session.finish()).status === "clean" ? 201 : 500;
    };
    const bare = await drive(toBase);
    const scanned = await drive(scanOnly);
    const stopSampling = sampleRss(api.pid!);
    const through = await drive(toApi);
    const peakRss = stopSampling();

    const row = (name: string, f: Awaited<ReturnType<typeof drive>>) =>
      `${name.padEnd(40)} ${f.mbPerSecond.toFixed(1).padStart(7)} MB/s  ${f.seconds.toFixed(1).padStart(6)} s  failed ${f.failed}`;
    console.log(row("bare pipeline() to the store", bare));
    console.log(row("clamd INSTREAM alone (same bytes)", scanned));
    console.log(row("POST …/evidence (scan, hash, chain)", through));
    const ratio = through.mbPerSecond / bare.mbPerSecond;
    console.log(
      `throughput ratio API / bare: ${ratio.toFixed(2)} (target ≥ 0.70) ${ratio >= 0.7 ? "✓" : "✗"}`,
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
