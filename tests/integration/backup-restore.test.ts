import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkIncidentLog, createDatabase, currentLogChain, issueLogCheckpoint } from "@pris/db";
import { type BackupManifest, EXIT, tableCounts } from "@pris/db/backup";
import { yearInZone } from "@pris/domain";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import {
  createEstablishment,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * `pnpm ops:backup` and `pnpm ops:restore` as operators run them, as processes of their own: a database
 * with incidents (their main courante, a signed checkpoint and entries after it), an exercise and a
 * bulletin is dumped, restored into a new database, and the restore is held to the manifest's row counts
 * and to every main courante's chain. A damaged file and a database that is not empty are refused before
 * anything is written; the chain check is shown to bite by restoring under another key.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const STEP_TIMEOUT = 120_000;

type Headers = Record<string, string>;
let t: TestApp;
let dir: string;
let dump: string;
const created: string[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ops(cli: "backup" | "restore", args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", `packages/db/src/cli/${cli}.ts`, ...args], {
      cwd: ROOT,
      env: {
        ...(process.env as Record<string, string>),
        LOG_CHAIN_KEY: t.config.LOG_CHAIN_KEY,
        LOG_CHAIN_PREVIOUS_KEYS: t.config.LOG_CHAIN_PREVIOUS_KEYS,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A database name of this run (so that an interrupted run's leftovers are cleared), not created yet. */
function newDatabase(suffix: string): { name: string; url: string } {
  const name = `${t.database.name}_${suffix}`;
  created.push(name);
  const url = new URL(inject("adminDatabaseUrl"));
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

const databaseExists = (name: string) =>
  withClient(
    inject("adminDatabaseUrl"),
    async (c) => (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1,
  );

async function call(method: "POST", url: string, headers: Headers, payload?: object) {
  const res = await t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  expect(res.statusCode, `${url}: ${res.body}`).toBeLessThan(300);
  return res.json() as { id: string };
}

beforeAll(async () => {
  t = await startTestApp();
  dir = mkdtempSync(join(tmpdir(), "pris-backup-"));
  dump = join(dir, "pris.dump");
  const establishment = await createEstablishment(t.db, { territory: "nord", category: "ch" });
  const rssi = (
    await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: establishment.id })).email)
  ).bearer;
  const analyst = (await login(t.app, (await createUser(t.db, { role: "analyst" })).email)).bearer;

  const incidents: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { id } = await call("POST", "/api/v1/incidents", rssi, declaration());
    await call("POST", `/api/v1/incidents/${id}/claim`, analyst);
    await call("POST", `/api/v1/incidents/${id}/log`, analyst, {
      kind: "comment",
      text: `Premier échange ${i}`,
      visibility: "shared",
    });
    incidents.push(id);
  }
  // Checkpointed heads, then entries past them: the restore checks both against the signed document.
  await issueLogCheckpoint(t.db, currentLogChain(), { region: t.config.REGION_CODE });
  await call("POST", `/api/v1/incidents/${incidents[0]}/log`, analyst, {
    kind: "comment",
    text: "Après le point de contrôle",
    visibility: "internal",
  });

  const year = yearInZone(new Date(), "Indian/Reunion");
  await call("POST", "/api/v1/exercises", rssi, {
    kind: "degraded_mode",
    level: "beginner",
    title: "Panne du DPI un lundi matin",
    scenario: "Le dossier patient est indisponible pendant 6 h à la suite d'un rançongiciel.",
    objectives: ["Basculer en procédures dégradées"],
    plannedOn: `${year}-03-10`,
    participants: "Direction, DSI, urgences",
    organiser: "Direction des soins",
    establishmentIds: [establishment.id],
  });
  const bulletin = await call("POST", "/api/v1/bulletins", analyst, {
    kind: "alerte",
    tlp: "GREEN",
    audience: { territories: ["nord"] },
    title: "Campagne d'hameçonnage visant les établissements",
    summary: "Des courriels imitant l'ARS invitent à saisir ses identifiants sur un faux portail.",
    risks: ["Vol d'identifiants"],
    affectedSystems: "Messageries des établissements",
    products: [],
    recommendations: "Bloquer le domaine et sensibiliser les agents.",
    cves: [],
    links: [],
    observables: [{ type: "domain", value: "ars-reunion-portail.example" }],
    severity: "high",
  });
  await call("POST", `/api/v1/bulletins/${bulletin.id}/publish`, analyst);

  const backup = await ops("backup", ["--database-url", t.database.url, "--output", dump]);
  expect(backup.code, backup.stderr).toBe(EXIT.ok);
}, STEP_TIMEOUT);

afterAll(async () => {
  await withClient(inject("adminDatabaseUrl"), async (c) => {
    for (const name of created) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
  rmSync(dir, { recursive: true, force: true });
  await t?.close();
});

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const manifest = () => JSON.parse(readFileSync(`${dump}.manifest.json`, "utf8")) as BackupManifest;

describe("pnpm ops:backup", () => {
  test("writes a custom-format dump, a manifest counted in the dump's snapshot and sha256sum checksums", async () => {
    expect(readFileSync(dump).subarray(0, 5).toString()).toBe("PGDMP");
    const m = manifest();
    expect(m.tables["public.incidents"]).toBe(3);
    expect(m.tables["public.incident_log"]).toBeGreaterThanOrEqual(3 * 3 + 1);
    expect(m.tables["public.exercises"]).toBe(1);
    expect(m.tables["public.bulletins"]).toBe(1);
    expect(m.tables["public.log_checkpoints"]).toBe(1);
    expect(m.migrations?.applied).toBeGreaterThan(0);
    expect(m.migrations?.latest).toMatch(/^\d{4}_/);
    expect(m.tables).toEqual(await withClient(t.database.url, tableCounts));
    expect(readFileSync(`${dump}.sha256`, "utf8")).toBe(
      `${sha256(dump)}  pris.dump\n${sha256(`${dump}.manifest.json`)}  pris.dump.manifest.json\n`,
    );
  });
});

describe("pnpm ops:restore", () => {
  test(
    "restores into a new database, with every row count and main courante verified",
    async () => {
      const target = newDatabase("restored");
      const run = await ops("restore", [dump, "--database-url", target.url]);
      expect(run.code, run.stderr).toBe(EXIT.ok);
      expect(run.stdout).toContain("checksums verified");
      expect(run.stdout).toContain(`created database ${target.name}`);
      expect(run.stdout).toMatch(/restore verified: .* 3 main courantes \(\d+ entries\) verify/);

      // Checked again here, independently of the script's own report.
      expect(await withClient(target.url, tableCounts)).toEqual(manifest().tables);
      const restored = createDatabase({ url: target.url, max: 2 });
      try {
        const ids = await withClient(
          target.url,
          async (c) => (await c.query("SELECT id FROM incidents")).rows,
        );
        expect(ids).toHaveLength(3);
        for (const { id } of ids) {
          const check = await checkIncidentLog(restored.db, currentLogChain(), id);
          expect(check, id).toMatchObject({ valid: true, firstBroken: null, missing: null });
          expect(check.anchor?.seq).toBe(check.entries);
        }
      } finally {
        await restored.close();
      }
    },
    STEP_TIMEOUT,
  );

  test(
    "fails verification when the main courante does not hold under the keys given",
    async () => {
      const target = newDatabase("otherkey");
      const run = await ops("restore", [dump, "--database-url", target.url], {
        LOG_CHAIN_KEY: "another-deployment-log-chain-key-0123456789",
      });
      expect(run.code, run.stdout).toBe(EXIT.verificationFailed);
      expect(run.stderr).toContain("FAILED verification; do not put this database into service");
      expect(run.stderr).toContain("unknown_key");
      expect(run.stderr).toContain("LOG_CHAIN_KEY");
    },
    STEP_TIMEOUT,
  );

  test(
    "refuses a backup whose bytes changed, before creating or touching any database",
    async () => {
      const tampered = mkdtempSync(join(dir, "tampered-"));
      for (const f of ["pris.dump", "pris.dump.manifest.json", "pris.dump.sha256"]) {
        copyFileSync(join(dir, f), join(tampered, f));
      }
      const bytes = readFileSync(join(tampered, "pris.dump"));
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0x01;
      writeFileSync(join(tampered, "pris.dump"), bytes);

      const target = newDatabase("tampered");
      const run = await ops("restore", [join(tampered, "pris.dump"), "--database-url", target.url]);
      expect(run.code, run.stdout).toBe(EXIT.damaged);
      expect(run.stderr).toMatch(/restore refused: checksum mismatch for .*pris\.dump .*refusing to restore/);
      expect(await databaseExists(target.name)).toBe(false);
    },
    STEP_TIMEOUT,
  );

  test(
    "refuses to restore into a database that is not empty, and changes nothing there",
    async () => {
      const before = await withClient(t.database.url, tableCounts);
      const run = await ops("restore", [dump, "--database-url", t.database.url]);
      expect(run.code, run.stdout).toBe(EXIT.notEmpty);
      expect(run.stderr).toContain(`restore refused: database ${t.database.name} is not empty`);
      expect(run.stderr).toContain("Nothing was changed.");
      expect(await withClient(t.database.url, tableCounts)).toEqual(before);
    },
    STEP_TIMEOUT,
  );
});
