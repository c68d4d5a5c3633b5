import { auditLog, canonicalProducts, catalogProducts, establishments } from "@pris/db";
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectTrailInFrench } from "../support/audit-fixtures.ts";
import {
  createEstablishment,
  createGht,
  createUser,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

let t: TestApp;
let a: Awaited<ReturnType<typeof createEstablishment>>;
let b: Awaited<ReturnType<typeof createEstablishment>>;
let rssiA: Awaited<ReturnType<typeof createUser>>;
let asA: Record<string, string>;
let admin: Record<string, string>;

type Method = "GET" | "POST" | "PUT" | "DELETE";
const call = (headers: Record<string, string>, method: Method, url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

const CONTACTS = {
  rssi: { name: "Rose Payet", email: "rose.payet@ch-a.example.org", phone: "0262 45 30 30" },
  deputy: { name: "Paul Hoarau", email: "paul.hoarau@ch-a.example.org" },
  director: { name: "Dr Anne Técher" },
  dpo: { name: "Line Grondin", email: "dpo@ch-a.example.org" },
  functionalMailbox: "ssi@ch-a.example.org",
};

beforeAll(async () => {
  t = await startTestApp();
  a = await createEstablishment(t.db, { name: "CH A" });
  b = await createEstablishment(t.db, { name: "CH B" });
  rssiA = await createUser(t.db, { role: "rssi", establishmentId: a.id, name: "Rose Payet" });
  asA = (await login(t.app, rssiA.email)).bearer;
  admin = (await login(t.app, (await createUser(t.db, { role: "admin" })).email)).bearer;
  // Someone in the network already declared Softway's DPI, in the vendor's own spelling.
  await canonicalProducts(
    t.db,
    [{ kind: "dpi", vendor: "Softway Medical", product: "Hopital Manager" }],
    null,
  );
});
afterAll(() => t.close());

async function trail(objectId: string) {
  return t.db.select().from(auditLog).where(eq(auditLog.objectId, objectId)).orderBy(auditLog.at);
}

describe("an RSSI keeps their establishment's record true", () => {
  test("replaces the contacts by role, audited before → after", async () => {
    const res = await call(asA, "PUT", `/establishments/${a.id}/contacts`, CONTACTS);
    expect(res.statusCode).toBe(200);
    expect(res.json().contacts).toEqual(CONTACTS);
    const [row] = await t.db.select().from(establishments).where(eq(establishments.id, a.id));
    expect(row!.contacts).toEqual(CONTACTS);
    const entries = (await trail(a.id)).filter((e) => e.action === "establishment.contacts");
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actorUserId: rssiA.id,
      objectKind: "establishment",
      objectLabel: "CH A",
      before: { contacts: { rssi: { name: "RSSI" } } },
      after: { contacts: CONTACTS },
    });
    // The same contacts again change nothing, and write nothing.
    expect((await call(asA, "PUT", `/establishments/${a.id}/contacts`, CONTACTS)).statusCode).toBe(200);
    expect((await trail(a.id)).filter((e) => e.action === "establishment.contacts")).toHaveLength(1);
  });

  test("declares products in the catalog's one spelling: 'SOFTWAY  médical' is the existing 'Softway Medical'", async () => {
    const res = await call(asA, "PUT", `/establishments/${a.id}/products`, {
      products: [
        { kind: "dpi", vendor: "SOFTWAY  médical", product: "hopital-manager" },
        { kind: "vpn", vendor: "Fortinet", product: "FortiGate SSL-VPN" },
        { kind: "dpi", vendor: "Softway Medical", product: "Hôpital Manager" },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().products).toEqual([
      { kind: "dpi", vendor: "Softway Medical", product: "Hopital Manager" },
      { kind: "vpn", vendor: "Fortinet", product: "FortiGate SSL-VPN" },
    ]);
    const softway = await t.db
      .select()
      .from(catalogProducts)
      .where(eq(catalogProducts.vendor, "Softway Medical"));
    expect(softway).toHaveLength(1);
    const spelled = await t.db
      .select()
      .from(catalogProducts)
      .where(inArray(catalogProducts.vendor, ["SOFTWAY  médical", "SOFTWAY médical"]));
    expect(spelled).toEqual([]);
    // Fortinet's VPN entered the catalog, for the next one to pick.
    const picked = await call(asA, "GET", "/catalog/products?q=forti%20VPN");
    expect(picked.json()).toEqual([
      expect.objectContaining({ kind: "vpn", vendor: "Fortinet", product: "FortiGate SSL-VPN" }),
    ]);
    const [entry] = (await trail(a.id)).filter((e) => e.action === "establishment.products");
    expect(entry).toMatchObject({ before: { products: [] }, after: { products: res.json().products } });
  });

  test("declares suppliers by service, refuses an unknown service naming the field", async () => {
    const suppliers = [
      { service: "msp", name: "Mascarin Infogérance" },
      { service: "hosting", name: "GCS TESIS" },
      { service: "msp", name: " Mascarin infogérance " },
    ];
    const res = await call(asA, "PUT", `/establishments/${a.id}/suppliers`, { suppliers });
    expect(res.statusCode).toBe(200);
    expect(res.json().suppliers).toEqual([
      { service: "msp", name: "Mascarin Infogérance" },
      { service: "hosting", name: "GCS TESIS" },
    ]);
    const bad = await call(asA, "PUT", `/establishments/${a.id}/suppliers`, {
      suppliers: [{ service: "plumber", name: "X" }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe("/suppliers/0/service");
    const badMail = await call(asA, "PUT", `/establishments/${a.id}/contacts`, {
      functionalMailbox: "pas une adresse",
    });
    expect(badMail.statusCode).toBe(400);
    expect(badMail.json().errors[0].field).toBe("/functionalMailbox");
    expect((await trail(a.id)).filter((e) => e.action === "establishment.suppliers")).toHaveLength(1);
  });

  test("creates an API key shown once and revokes it, both audited", async () => {
    const created = await call(asA, "POST", `/establishments/${a.id}/api-keys`, { name: "SIEM du CH A" });
    expect(created.statusCode).toBe(201);
    const { id, key, prefix } = created.json();
    expect(key).toMatch(/^pris_/);
    const revoked = await call(asA, "DELETE", `/establishments/${a.id}/api-keys/${id}`);
    expect(revoked.statusCode).toBe(204);
    const entries = await trail(id);
    expect(entries.map((e) => e.action)).toEqual(["apikey.create", "apikey.revoke"]);
    expect(entries[0]).toMatchObject({
      actorUserId: rssiA.id,
      objectLabel: `SIEM du CH A (${prefix})`,
      after: { establishmentId: a.id, name: "SIEM du CH A", prefix },
    });
    expect(JSON.stringify(entries)).not.toContain(key);
    expect(entries[1]!.after).toMatchObject({ revokedAt: expect.any(String) });
  });
});

describe("scope", () => {
  test("the RSSI of A gets 404 on B for every route, and B is untouched", async () => {
    const key = (await call(admin, "POST", `/establishments/${b.id}/api-keys`, { name: "SIEM B" })).json();
    const routes: [Method, string, object?][] = [
      ["PUT", `/establishments/${b.id}/contacts`, CONTACTS],
      ["PUT", `/establishments/${b.id}/products`, { products: [{ kind: "dpi", vendor: "X" }] }],
      ["PUT", `/establishments/${b.id}/suppliers`, { suppliers: [] }],
      ["GET", `/establishments/${b.id}/api-keys`],
      ["POST", `/establishments/${b.id}/api-keys`, { name: "intrus" }],
      ["DELETE", `/establishments/${b.id}/api-keys/${key.id}`],
      ["PUT", "/establishments/0190a0b0-0000-7000-8000-000000000000/contacts", CONTACTS],
    ];
    for (const [method, url, payload] of routes) {
      const res = await call(asA, method, url, payload);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().code).toBe("not_found");
    }
    const [row] = await t.db.select().from(establishments).where(eq(establishments.id, b.id));
    expect(row!.products).toEqual([]);
    expect(row!.contacts).toEqual(b.contacts);
    expect(await trail(b.id)).toEqual([]);
  });

  test("a GHT's RSSI edits each member; an administrator edits any; other roles may not", async () => {
    const ght = await createGht(t.db);
    const member = await createEstablishment(t.db, { ghtId: ght.id, name: "EHPAD membre" });
    const ghtRssi = (await login(t.app, (await createUser(t.db, { role: "rssi", ghtId: ght.id })).email))
      .bearer;
    expect(
      (await call(ghtRssi, "PUT", `/establishments/${member.id}/suppliers`, { suppliers: [] })).statusCode,
    ).toBe(200);
    expect(
      (await call(ghtRssi, "PUT", `/establishments/${a.id}/suppliers`, { suppliers: [] })).statusCode,
    ).toBe(404);
    expect((await call(admin, "PUT", `/establishments/${b.id}/contacts`, CONTACTS)).statusCode).toBe(200);
    for (const role of ["analyst", "taskforce", "ars"] as const) {
      const headers = (await login(t.app, (await createUser(t.db, { role })).email)).bearer;
      expect((await call(headers, "PUT", `/establishments/${a.id}/contacts`, CONTACTS)).statusCode).toBe(403);
      expect((await call(headers, "GET", "/catalog/products?q=softway")).statusCode).toBe(200);
    }
    const [entry] = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.objectId, b.id), eq(auditLog.action, "establishment.contacts")));
    expect(entry).toBeDefined();
  });
});

describe("the catalog picker", () => {
  test("finds entries by words of vendor or product, whatever their accents and case, by kind", async () => {
    const found = await call(asA, "GET", "/catalog/products?q=M%C3%89DICAL%20h%C3%B4pital");
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual([
      expect.objectContaining({ kind: "dpi", vendor: "Softway Medical", product: "Hopital Manager" }),
    ]);
    expect((await call(asA, "GET", "/catalog/products?q=softway&kind=vpn")).json()).toEqual([]);
    expect((await call(asA, "GET", "/catalog/products?kind=dpi")).json().length).toBeGreaterThanOrEqual(1);
    expect((await call(asA, "GET", "/catalog/products?q=%25_")).statusCode).toBe(200);
    expect((await call(asA, "GET", "/catalog/products?kind=toaster")).statusCode).toBe(400);
    expect((await t.app.inject({ method: "GET", url: "/api/v1/catalog/products" })).statusCode).toBe(401);
  });
});

describe("the administration trail", () => {
  test("every entry these flows wrote is one the audit page reads in French", async () => {
    expectTrailInFrench(await t.db.select().from(auditLog));
  });
});
