/**
 * pnpm bench:import — the national registry's import: a synthetic national FINESS extract of 100,000
 * `structureet` records (and as many `geolocalisation` ones, as the real file has), of which La Réunion
 * keeps 1,500, previewed then applied; timed side by side, in the same run, with a bare COPY of the same
 * `structureet` rows into a scratch table (the floor of getting those bytes into PostgreSQL at all).
 *
 * Two measurements, each on its own scratch database (migrated, La Réunion's communes and the file's
 * categories mapped, one admin):
 *   in-process  previewImport() and applyImport() — what the route calls — fed the file as a stream, in
 *               this process, whose peak resident memory (process.resourceUsage().maxRSS) is the figure
 *               held against the target: the file is written by a child process and nothing else big
 *               runs here before;
 *   API         the same through HTTP: the API as a child process (production's NODE_OPTIONS), the file
 *               uploaded multipart and streamed; its resident memory sampled every 20 ms (VmRSS).
 * Then the same file is previewed again through the API: every establishment must be unchanged.
 * Needs a superuser and Linux. Knobs: BENCH_RECORDS (100000), BENCH_REGION (1500), BENCH_KEEP=1, DATABASE_URL.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createReadStream, openAsBlob, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { loadConfig } from "@pris/config";
import { createDatabase } from "@pris/db";
import { FINESS_STRUCTURE_FIELDS } from "@pris/domain";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { hashPassword } from "../../services/api/src/auth/passwords.ts";
import { applyImport, previewImport } from "../../services/api/src/modules/registry/import-service.ts";
import { REUNION_COMMUNES, SYNTHETIC_CATEGORIES } from "../fixtures/finess/generate.ts";
import { migrateWithPasswordOnly } from "../support/migrate.ts";
import { API_NODE_OPTIONS, Children, freePort, ROOT, scratchDatabase, waitFor } from "./support.ts";

const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const REGION = Number(process.env.BENCH_REGION ?? 1_500);
const PASSWORD = "bench-password-1234";
const TARGETS = { previewMs: 5_000, applyMs: 10_000, rssMb: 250 };

const base = loadConfig();
const inProcessDb = scratchDatabase(base.DATABASE_URL, "pris_bench_import_a");
const apiDb = scratchDatabase(base.DATABASE_URL, "pris_bench_import_b");
const children = new Children();
const file = join(tmpdir(), `pris-bench-finess-${process.pid}.csv`);
const structures = join(tmpdir(), `pris-bench-finess-structures-${process.pid}.csv`);

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

/** Resident memory of a process now, in MB (Linux). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

/** The highest resident memory of a process while `work` runs, sampled every 20 ms. */
async function sampled<T extends object>(
  pid: number,
  work: () => Promise<T>,
): Promise<T & { peakMb: number }> {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 20);
  try {
    const result = await work();
    return { ...result, peakMb: Math.max(peak, rssMb(pid)) };
  } finally {
    clearInterval(timer);
  }
}

/** A migrated scratch database with the region's mappings and one admin; returns the admin's id. */
async function prepare(scratch: ReturnType<typeof scratchDatabase>): Promise<string> {
  await scratch.create();
  await migrateWithPasswordOnly(scratch.url);
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  try {
    for (const [territory, communes] of Object.entries(REUNION_COMMUNES)) {
      await client.query("INSERT INTO territories (code, name) VALUES ($1, $2)", [territory, territory]);
      for (const commune of communes) {
        await client.query(
          "INSERT INTO registry_territory_mappings (kind, code, territory) VALUES ('commune', $1, $2)",
          [commune, territory],
        );
      }
    }
    for (const [code, label, category] of SYNTHETIC_CATEGORIES) {
      await client.query(
        "INSERT INTO registry_category_mappings (finess_category, label, category) VALUES ($1, $2, $3)",
        [code, label, category],
      );
    }
    const admin = await client.query<{ id: string }>(
      `INSERT INTO users (id, email, display_name, role, password_hash)
       VALUES (gen_random_uuid(), 'admin@bench.test', 'Admin du banc', 'admin', $1) RETURNING id`,
      [await hashPassword(PASSWORD)],
    );
    return admin.rows[0]!.id;
  } finally {
    await client.end();
  }
}

type Summary = Record<
  "records" | "new" | "outOfRegion" | "unchanged" | "changed" | "created" | "updated",
  number
>;

function check(summary: Summary, step: string, expected: Partial<Summary>) {
  for (const [key, value] of Object.entries(expected)) {
    if (summary[key as keyof Summary] !== value) throw new Error(`${step}: ${JSON.stringify(summary)}`);
  }
}

async function main() {
  const adminA = await prepare(inProcessDb);
  await prepare(apiDb);

  // Written by a child process: this process's peak memory is the import's alone.
  const g0 = performance.now();
  execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "tests/fixtures/finess/generate.ts",
      file,
      String(RECORDS),
      String(REGION),
      structures,
    ],
    { cwd: ROOT, stdio: "ignore" },
  );
  console.log(
    `extract: ${RECORDS.toLocaleString("en")} structureet + ${RECORDS.toLocaleString("en")} geolocalisation records, ` +
      `${(statSync(file).size / 1e6).toFixed(1)} MB Windows-1252, written in ${seconds(performance.now() - g0)}`,
  );

  // In-process: what the route calls, fed the file as a stream.
  const database = createDatabase({ url: inProcessDb.url, max: 4, timeZone: base.REGION_TIMEZONE });
  const actor = { userId: adminA, label: "Admin du banc" };
  await database.db.execute("SELECT 1");
  const rssBefore = maxRssMb();
  let t0 = performance.now();
  const staged = await previewImport(database.db, actor, {
    fileName: "etalab-cs1100507-stock.csv",
    stream: createReadStream(file),
  });
  const inPreviewMs = performance.now() - t0;
  const rssPreview = maxRssMb();
  check(staged.summary as Summary, "in-process preview", { new: REGION, outOfRegion: RECORDS - REGION });
  t0 = performance.now();
  const done = await applyImport(database.db, actor, staged.id, []);
  const inApplyMs = performance.now() - t0;
  const rssApply = maxRssMb();
  check(done.summary as Summary, "in-process apply", { created: REGION });
  await database.close();

  // Through the API.
  const port = await freePort();
  const api = children.start("services/api/src/server.ts", {
    NODE_OPTIONS: API_NODE_OPTIONS,
    DATABASE_URL: apiDb.url,
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    MAIL_FROM: "PRIS Cyber Santé <pris@pris.example>",
    JWT_SECRET: randomUUID() + randomUUID(),
    LOG_CHAIN_KEY: randomUUID() + randomUUID(),
    MIGRATE_ON_START: "false",
    REGISTRY_IMPORT_MAX_BYTES: String(200 * 1024 * 1024),
    PORT: String(port),
    HOST: "127.0.0.1",
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(`${origin}/health/live`);
  const login = await fetch(`${origin}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@bench.test", password: PASSWORD }),
  });
  if (!login.ok) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const auth = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
  const pid = api.pid!;
  const idleRss = rssMb(pid);

  async function preview() {
    const form = new FormData();
    // A Blob backed by the file: fetch streams it.
    form.append("file", await openAsBlob(file), "etalab-cs1100507-stock.csv");
    const start = performance.now();
    const res = await fetch(`${origin}/api/v1/registry/imports`, {
      method: "POST",
      headers: auth,
      body: form,
    });
    const ms = performance.now() - start;
    if (res.status !== 201) throw new Error(`preview → ${res.status} ${await res.text()}`);
    return { ...((await res.json()) as { id: string; summary: Summary }), ms };
  }
  async function apply(id: string) {
    const start = performance.now();
    const res = await fetch(`${origin}/api/v1/registry/imports/${id}/apply`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: "{}",
    });
    const ms = performance.now() - start;
    if (res.status !== 200) throw new Error(`apply → ${res.status} ${await res.text()}`);
    return { summary: ((await res.json()) as { summary: Summary }).summary, ms };
  }
  const first = await sampled(pid, preview);
  check(first.summary, "API preview", { new: REGION, outOfRegion: RECORDS - REGION });
  const applied = await sampled(pid, () => apply(first.id));
  check(applied.summary, "API apply", { created: REGION });
  const second = await sampled(pid, preview);
  check(second.summary, "second preview (idempotence)", { unchanged: REGION, new: 0, changed: 0 });
  const noop = await sampled(pid, () => apply(second.id));
  check(noop.summary, "second apply", { created: 0, updated: 0 });

  // The floor: the same structureet rows, COPYed bare into a scratch table of 32 text columns.
  const client = new pg.Client({ connectionString: apiDb.url });
  await client.connect();
  await client.query(
    `CREATE UNLOGGED TABLE finess_copy (${FINESS_STRUCTURE_FIELDS.map((f) => `"${f}" text`).join(", ")})`,
  );
  const c0 = performance.now();
  await pipeline(
    createReadStream(structures),
    client.query(
      copyFrom("COPY finess_copy FROM STDIN WITH (FORMAT csv, DELIMITER ';', ENCODING 'WIN1252')"),
    ),
  );
  const copyMs = performance.now() - c0;
  const copied = (await client.query<{ n: number }>("SELECT count(*)::int AS n FROM finess_copy")).rows[0]!.n;
  await client.end();
  if (copied !== RECORDS) throw new Error(`COPY loaded ${copied} rows`);

  const ratio = (ms: number) => `×${(ms / copyMs).toFixed(1)} of the COPY`;
  console.log(
    `\nbare COPY           ${seconds(copyMs)}  (${copied.toLocaleString("en")} structureet rows, unlogged table)`,
  );
  console.log(
    `in-process preview  ${seconds(inPreviewMs)}  ${ratio(inPreviewMs)}; apply ${seconds(inApplyMs)} ` +
      `(${REGION} created and audited) ${ratio(inApplyMs)}`,
  );
  console.log(
    `            max RSS ${rssBefore.toFixed(0)} MB loaded and connected, ${rssPreview.toFixed(0)} MB after the preview, ` +
      `${rssApply.toFixed(0)} MB after the apply`,
  );
  console.log(
    `API preview         ${seconds(first.ms)}  ${ratio(first.ms)}; apply ${seconds(applied.ms)} ${ratio(applied.ms)}`,
  );
  console.log(
    `    again           preview ${seconds(second.ms)} (${second.summary.unchanged} unchanged), apply ${seconds(noop.ms)}`,
  );
  console.log(
    `            VmRSS   idle ${idleRss.toFixed(0)} MB; peak ${first.peakMb.toFixed(0)} MB in the preview, ` +
      `${applied.peakMb.toFixed(0)} MB in the apply, ${second.peakMb.toFixed(0)} / ${noop.peakMb.toFixed(0)} MB again ` +
      `(${API_NODE_OPTIONS})`,
  );
  const ok = (cond: boolean) => (cond ? "✓" : "✗");
  const previewMs = Math.max(inPreviewMs, first.ms);
  const applyMs = Math.max(inApplyMs, applied.ms);
  console.log(
    `\npreview ${seconds(previewMs)} (target < 5 s) ${ok(previewMs < TARGETS.previewMs)}; ` +
      `apply ${seconds(applyMs)} (target < 10 s) ${ok(applyMs < TARGETS.applyMs)}; ` +
      `peak RSS ${rssApply.toFixed(0)} MB in-process (target < 250 MB) ${ok(rssApply < TARGETS.rssMb)}`,
  );
}

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await children.stopAll();
  rmSync(file, { force: true });
  rmSync(structures, { force: true });
  if (process.env.BENCH_KEEP !== "1") {
    await inProcessDb.drop().catch(() => {});
    await apiDb.drop().catch(() => {});
  }
}
