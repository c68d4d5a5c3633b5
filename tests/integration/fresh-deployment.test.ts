import { ensureFirstAdmin } from "@pris/api";
import { establishments, territories, users } from "@pris/db";
import { count } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectTrailInFrench } from "../support/audit-fixtures.ts";
import { declaration } from "../support/fixtures.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import { finessFixture, uploadRegistryFile } from "../support/registry-fixtures.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

/**
 * A region's first day, with nothing of the seed: an empty migrated database and the administrator that
 * ADMIN_EMAIL / ADMIN_PASSWORD create at start. Through the API alone, the administrator creates the
 * region's territory, maps its département and the registry's categories, imports a FINESS extract,
 * invites an establishment's RSSI, who chooses a password from the e-mailed link and declares an incident.
 */
let stack: FullStack;
const ADMIN = { email: "admin@ars-reunion.test", password: "premier jour de la région" };
let admin: Record<string, string>;

const api = (
  method: "GET" | "POST" | "PUT",
  url: string,
  headers: Record<string, string>,
  payload?: object,
) => stack.t.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  stack = await startFullStack(
    { sweepEveryMs: 500 },
    { LOGIN_RATE_LIMIT_MAX: "1000", LOGIN_RATE_LIMIT_ADDRESS_MAX: "100000" },
  );
});

afterAll(async () => {
  await stack?.close();
});

describe("a fresh deployment set up from the web API alone", () => {
  it("starts empty but for the bootstrap administrator, who signs in", async () => {
    const { db } = stack.t;
    for (const table of [users, territories, establishments]) {
      const [row] = await db.select({ n: count() }).from(table);
      expect(row!.n).toBe(0);
    }
    expect(await ensureFirstAdmin(db, ADMIN.email, ADMIN.password)).toBe(true);
    expect(await ensureFirstAdmin(db, ADMIN.email, ADMIN.password)).toBe(false);
    const res = await api("POST", "/auth/login", {}, ADMIN);
    expect(res.statusCode, res.body).toBe(200);
    admin = { authorization: `Bearer ${res.json().accessToken}` };
    expect((await api("GET", "/territories", admin)).json()).toEqual([]);
  });

  it("creates a territory and maps the département and the registry's categories to it", async () => {
    const created = await api("POST", "/territories", admin, { code: "reunion", name: "La Réunion" });
    expect(created.statusCode, created.body).toBe(201);
    const place = await api("PUT", "/registry/mappings/places/departement/974", admin, {
      territory: "reunion",
    });
    expect(place.statusCode, place.body).toBe(200);
    for (const [code, label, category] of [
      ["355", "Centre Hospitalier (C.H.)", "ch"],
      ["101", "Centre Hospitalier Régional (C.H.R.)", "chu"],
      ["500", "Etablissement d'hébergement pour personnes âgées dépendantes", "ehpad"],
      ["365", "Etablissement de Soins Pluridisciplinaire", "private_clinic"],
      ["292", "Centre Hospitalier Spécialisé lutte Maladies Mentales", "psychiatric"],
      ["183", "Institut Médico-Educatif (I.M.E.)", "disability_children"],
      ["124", "Centre de Santé", "other"],
      ["620", "Pharmacie d'Officine", null],
    ] as const) {
      const res = await api("PUT", `/registry/mappings/categories/${code}`, admin, { label, category });
      expect(res.statusCode, res.body).toBe(200);
    }
  });

  let establishmentId: string;

  it("imports the FINESS extract: previewed, then applied, with the faulty lines refused", async () => {
    const upload = await uploadRegistryFile(
      stack.t.app,
      admin,
      finessFixture("reunion-2026-11.csv"),
      "finess-2026-11.csv",
    );
    expect(upload.statusCode, upload.body).toBe(201);
    const preview = upload.json();
    expect(preview.format).toBe("finess");
    expect(preview.summary.new).toBeGreaterThanOrEqual(6);
    expect(preview.summary.refused).toBeGreaterThan(0);
    expect(preview.summary.outOfRegion).toBeGreaterThan(0);
    const [before] = await stack.t.db.select({ n: count() }).from(establishments);
    expect(before!.n).toBe(0);

    const applied = await api("POST", `/registry/imports/${preview.id}/apply`, admin, {});
    expect(applied.statusCode, applied.body).toBe(200);
    expect(applied.json().summary.created).toBe(preview.summary.new);

    const list = await api("GET", "/establishments?q=GABRIEL", admin);
    expect(list.statusCode, list.body).toBe(200);
    const [ch] = list.json().items;
    expect(ch).toMatchObject({ finess: "970462107", category: "ch", territory: "reunion", active: true });
    establishmentId = ch.id;
  });

  it("invites the hospital's RSSI, who chooses a password from the e-mail and declares an incident", async () => {
    const email = "rssi@ch-gabriel-martin.test";
    const invited = await api("POST", "/invitations", admin, {
      email,
      displayName: "Rita Payet",
      role: "rssi",
      establishmentId,
    });
    expect(invited.statusCode, invited.body).toBe(201);
    const mail = await waitUntil("the invitation e-mail", () =>
      stack.smtp.messages.find((m) => m.envelopeTo.includes(email)),
    );
    const token = /\/invitation\/([A-Za-z0-9._-]+)/.exec(mail.parsed.text ?? "")?.[1];
    expect(token, mail.parsed.text).toBeDefined();
    const accepted = await api(
      "POST",
      `/invitation-links/${token}/accept`,
      {},
      {
        password: "les goyaviers fleurissent en mai",
      },
    );
    expect(accepted.statusCode, accepted.body).toBe(200);
    const rssi = { authorization: `Bearer ${accepted.json().accessToken}` };

    const declared = await api("POST", "/incidents", rssi, declaration());
    expect(declared.statusCode, declared.body).toBe(201);
    expect(declared.json()).toMatchObject({ establishment: { id: establishmentId }, status: "new" });

    // Scope from the first minute: the RSSI sees their establishment and no other.
    const theirs = await api("GET", "/establishments", rssi);
    expect(theirs.json().items.map((e: { id: string }) => e.id)).toEqual([establishmentId]);
    expect((await api("GET", "/administration/overview", rssi)).statusCode).toBe(403);
  });

  it("shows the administrator how far the region's first steps are", async () => {
    const res = await api("GET", "/administration/overview", admin);
    expect(res.statusCode, res.body).toBe(200);
    const [active] = await stack.t.db.select({ n: count() }).from(establishments);
    expect(res.json()).toMatchObject({
      territories: 1,
      placeMappings: 1,
      categoryMappings: 8,
      establishments: active!.n,
      analysts: 0,
      arsAgents: 0,
      establishmentsWithRssi: 1,
      pendingInvitations: 0,
      onCallSlots: 0,
      onCallMinutes: 0,
    });
    expect(Date.parse(res.json().lastImportAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("leaves the whole first day in the administration trail", async () => {
    const res = await api("GET", "/audit?limit=100", admin);
    expect(res.statusCode, res.body).toBe(200);
    const actions = new Set(res.json().items.map((e: { action: string }) => e.action));
    for (const action of [
      "user.create",
      "territory.create",
      "establishment.create",
      "import.apply",
      "invitation.create",
      "invitation.accept",
    ]) {
      expect(actions, action).toContain(action);
    }
    expectTrailInFrench(res.json().items);
  });
});
