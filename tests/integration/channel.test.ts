import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { incidents, MIGRATIONS_DIR, migrate } from "@pris/db";
import { inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate as drizzleMigrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import {
  createApiKey,
  createEstablishment,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * The channel of every declaration: decided by who declares (an API key, an RSSI's form, an analyst on
 * behalf of an establishment, by phone or e-mail), shown in every view, filtered in the queue and counted
 * in the statistics.
 */
let t: TestApp;
let analyst: Record<string, string>;
let ars: Record<string, string>;
let rssiA: Record<string, string>;
let keyA: Record<string, string>;
let A: { id: string };
let B: { id: string };
const declared: Record<"form" | "api" | "phone" | "email", string> = {} as never;

const declare = (headers: Record<string, string>, overrides: Parameters<typeof declaration>[0] = {}) =>
  t.app.inject({ method: "POST", url: "/api/v1/incidents", headers, payload: declaration(overrides) });

beforeAll(async () => {
  t = await startTestApp();
  A = await createEstablishment(t.db, { name: "CH Canal A" });
  B = await createEstablishment(t.db, { name: "Clinique Canal B" });
  const as = async (role: Parameters<typeof createUser>[1]["role"], establishmentId?: string) =>
    (await login(t.app, (await createUser(t.db, { role, establishmentId })).email)).bearer;
  analyst = await as("analyst");
  ars = await as("ars");
  rssiA = await as("rssi", A.id);
  keyA = { authorization: `ApiKey ${(await createApiKey(t.db, A.id)).key}` };
});
afterAll(() => t.close());

describe("the channel recorded per way of declaring", () => {
  test("an RSSI's declaration is 'form', an API key's 'api'; sending that same value is accepted", async () => {
    const form = await declare(rssiA);
    expect(form.statusCode, form.body).toBe(201);
    expect(form.json().channel).toBe("form");
    declared.form = form.json().id;
    const api = await declare(keyA, { channel: "api" });
    expect(api.statusCode, api.body).toBe(201);
    expect(api.json().channel).toBe("api");
    declared.api = api.json().id;
    expect((await declare(rssiA, { channel: "form" })).json().channel).toBe("form");
  });

  test("an analyst declaring on behalf of an establishment: 'phone' by default, or 'email' as said", async () => {
    const phone = await declare(analyst, { establishmentId: B.id });
    expect(phone.statusCode, phone.body).toBe(201);
    expect(phone.json().channel).toBe("phone");
    declared.phone = phone.json().id;
    const email = await declare(analyst, { establishmentId: B.id, channel: "email" });
    expect(email.statusCode, email.body).toBe(201);
    expect(email.json().channel).toBe("email");
    declared.email = email.json().id;

    const stored = await t.db
      .select({ id: incidents.id, channel: incidents.channel })
      .from(incidents)
      .where(inArray(incidents.id, Object.values(declared)));
    expect(Object.fromEntries(stored.map((r) => [r.id, r.channel]))).toEqual({
      [declared.form]: "form",
      [declared.api]: "api",
      [declared.phone]: "phone",
      [declared.email]: "email",
    });
  });

  test("an RSSI or an API key claiming phone or e-mail, an analyst claiming the form: 400 naming the field", async () => {
    for (const [headers, channel] of [
      [rssiA, "phone"],
      [rssiA, "email"],
      [rssiA, "api"],
      [keyA, "phone"],
      [analyst, "form"],
    ] as const) {
      const res = await declare(headers, {
        channel,
        ...(headers === analyst ? { establishmentId: A.id } : {}),
      });
      expect(res.statusCode, `${channel}: ${res.body}`).toBe(400);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.json().errors).toEqual([expect.objectContaining({ field: "/channel" })]);
    }
    const unknown = await declare(analyst, { establishmentId: A.id, channel: "fax" as never });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain("channel");
  });

  test("the list and the detail show it; an RSSI sees only its establishment's", async () => {
    const detail = await t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${declared.phone}`,
      headers: analyst,
    });
    expect(detail.json().channel).toBe("phone");
    const list = await t.app.inject({ method: "GET", url: "/api/v1/incidents?limit=100", headers: rssiA });
    const items = list.json().items as { id: string; channel: string }[];
    expect(items.find((i) => i.id === declared.api)?.channel).toBe("api");
    expect(items.some((i) => i.id === declared.phone)).toBe(false);
  });
});

describe("the queue filtered by channel", () => {
  const queue = (query: string) =>
    t.app.inject({ method: "GET", url: `/api/v1/queue?limit=100${query}`, headers: analyst });
  const ids = (res: Awaited<ReturnType<typeof queue>>) =>
    (res.json().items as { id: string; channel: string }[]).map((i) => i.id).sort();

  test("one channel, a repeated parameter or a comma list", async () => {
    const phone = await queue("&channel=phone");
    expect(phone.statusCode, phone.body).toBe(200);
    expect(ids(phone)).toEqual([declared.phone]);
    expect(phone.json().total).toBe(1);
    expect(phone.json().items[0].channel).toBe("phone");
    const both = [declared.phone, declared.email].sort();
    expect(ids(await queue("&channel=phone&channel=email"))).toEqual(both);
    expect(ids(await queue("&channel=phone,email"))).toEqual(both);
    const all = await queue("");
    expect(all.json().items.every((i: { channel?: string }) => typeof i.channel === "string")).toBe(true);
  });

  test("an unknown channel: 400 naming the parameter", async () => {
    for (const bad of ["fax", "phone,fax", "phone,", ""]) {
      const res = await queue(`&channel=${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.body).toContain("channel");
    }
  });
});

describe("declarations per channel in the statistics", () => {
  // The default period: the last twelve months to today, in the region's days.
  const stats = (headers: Record<string, string>, path = "/api/v1/stats/incidents") =>
    t.app.inject({ method: "GET", url: path, headers });

  test("every channel counted over the period, in order", async () => {
    const res = await stats(analyst);
    expect(res.statusCode, res.body).toBe(200);
    // Two by the form (one sent 'form' explicitly), one by the API, one by phone, one by e-mail.
    expect(res.json().byChannel).toEqual([
      { channel: "form", count: 2 },
      { channel: "api", count: 1 },
      { channel: "email", count: 1 },
      { channel: "phone", count: 1 },
    ]);
    expect(res.json().total).toBe(5);
    expect((await stats(ars)).json().byChannel).toEqual(res.json().byChannel);
    const csv = await stats(analyst, "/api/v1/stats/incidents.csv");
    expect(csv.body).toContain("Incidents déclarés par canal : Téléphone;;;;;;1");
  });

  test("an RSSI or an API key gets none of the region's counts, its own establishment's included", async () => {
    for (const headers of [rssiA, keyA]) {
      const res = await stats(headers);
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toContain("byChannel");
    }
  });
});

describe("the declarations made before the channel was recorded", () => {
  /** The migrations up to 0024, as a deployment had them before this one. */
  function migrationsBefore(tag: string): string {
    const dir = mkdtempSync(join(tmpdir(), "pris-migrations-"));
    mkdirSync(join(dir, "meta"));
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as {
      entries: { tag: string }[];
    };
    journal.entries = journal.entries.slice(
      0,
      journal.entries.findIndex((e) => e.tag === tag),
    );
    writeFileSync(join(dir, "meta", "_journal.json"), JSON.stringify(journal));
    for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql"))) {
      copyFileSync(join(MIGRATIONS_DIR, f), join(dir, f));
    }
    return dir;
  }

  test("are backfilled: an API key's as 'api', an analyst's as 'phone', the rest as 'form'", async () => {
    const name = `pris_test_${inject("runId")}_channel_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: inject("adminDatabaseUrl") });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(inject("adminDatabaseUrl"));
    url.pathname = `/${name}`;
    const folder = migrationsBefore("0025_incident_channel");
    const client = new pg.Client({ connectionString: url.toString() });
    try {
      await client.connect();
      await drizzleMigrate(drizzle(client), { migrationsFolder: folder });
      await client.query(`
        INSERT INTO territories (code, name) VALUES ('sud', 'Sud');
        INSERT INTO establishments (id, finess, name, category, sector, territory)
          VALUES ('0190a000-0000-7000-8000-000000000001', '974000001', 'CH', 'ch', 'public', 'sud');
        INSERT INTO users (id, email, display_name, role, password_hash, establishment_id) VALUES
          ('0190a000-0000-7000-8000-000000000011', 'r@pris.test', 'R', 'rssi', 'x', '0190a000-0000-7000-8000-000000000001'),
          ('0190a000-0000-7000-8000-000000000012', 'a@pris.test', 'A', 'analyst', 'x', NULL);
        INSERT INTO api_keys (id, establishment_id, name, prefix, secret_hash)
          VALUES ('0190a000-0000-7000-8000-000000000021', '0190a000-0000-7000-8000-000000000001', 'SIEM', 'p', 'h');
        INSERT INTO incidents (id, reference, establishment_id, severity, severity_suggested, severity_reasons, tlp,
          title, description, declarant, detected_at, ongoing, rsit_class, rsit_type, suspected_malicious,
          affected_services, impact_grade, spread, personal_data_breach, support_requested, national_portal_declared,
          complaint_filed, declared_by_user_id, declared_by_api_key_id)
        SELECT ('0190a000-0000-7000-8000-00000000010' || n)::uuid, 'REU-2026-000' || n,
          '0190a000-0000-7000-8000-000000000001', 'P3', 'P3', '[]', 'AMBER', 't', 'd', '{}', now(), true, 'other',
          'undetermined', 'unknown', '{}', 1, 'single_site', 'unknown', false, false, false,
          CASE n WHEN 1 THEN '0190a000-0000-7000-8000-000000000011'::uuid
                 WHEN 2 THEN '0190a000-0000-7000-8000-000000000012'::uuid END,
          CASE n WHEN 3 THEN '0190a000-0000-7000-8000-000000000021'::uuid END
        FROM generate_series(1, 3) AS n;
        INSERT INTO idempotency_keys (principal, key, request_hash, response_status, response_body)
          VALUES ('api_key:x', 'k', 'h', 201, '{"id": "0190a000-0000-7000-8000-000000000103", "reference": "REU-2026-0003"}');`);
      await client.end();

      await migrate(url.toString());
      const after = new pg.Client({ connectionString: url.toString() });
      await after.connect();
      try {
        const rows = await after.query("SELECT reference, channel FROM incidents ORDER BY reference");
        expect(rows.rows).toEqual([
          { reference: "REU-2026-0001", channel: "form" },
          { reference: "REU-2026-0002", channel: "phone" },
          { reference: "REU-2026-0003", channel: "api" },
        ]);
        // A replayed answer says its channel, as a new one would.
        const stored = await after.query("SELECT response_body FROM idempotency_keys");
        expect(stored.rows[0].response_body.channel).toBe("api");
        // The live queue's trigger is on again.
        const trigger = await after.query(
          "SELECT tgenabled FROM pg_trigger WHERE tgname = 'incidents_changed_notify'",
        );
        expect(trigger.rows[0].tgenabled).toBe("O");
        await expect(after.query("UPDATE incidents SET channel = 'fax'")).rejects.toThrow(
          /incidents_channel/,
        );
      } finally {
        await after.end();
      }
    } finally {
      await client.end().catch(() => {});
      rmSync(folder, { recursive: true, force: true });
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
