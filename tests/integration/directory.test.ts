import { establishments } from "@pris/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTerritory, createUser, login, startTestApp, type TestApp } from "../support/fixtures.ts";

let t: TestApp;
let admin: Record<string, string>;

beforeAll(async () => {
  t = await startTestApp();
  await createTerritory(t.db, "ouest", "Ouest");
  admin = (await login(t.app, (await createUser(t.db, { role: "admin" })).email)).bearer;
});
afterAll(() => t.close());

const call = (method: "GET" | "POST" | "PATCH" | "DELETE", url: string, payload?: object) =>
  t.app.inject({ method, url, headers: admin, ...(payload ? { payload } : {}) });

describe("the administrator's directory", () => {
  test("creates an establishment, a GHT-wide RSSI and an API key shown once", async () => {
    const ght = await call("POST", "/api/v1/ghts", { code: "GHT-974", name: "GHT de La Réunion" });
    expect(ght.statusCode).toBe(201);
    const est = await call("POST", "/api/v1/establishments", {
      finess: "970462107",
      name: "CH Gabriel Martin",
      category: "ch",
      territory: "ouest",
      ghtId: ght.json().id,
      nis2Status: "essential",
      contacts: {
        rssi: { name: "Jean Hoarau", email: "rssi@chgm.example.org", phone: "0262 45 30 30" },
        functionalMailbox: "ssi@chgm.example.org",
      },
      products: [{ kind: "dpi", vendor: "Éditeur DPI" }],
    });
    expect(est.statusCode).toBe(201);
    expect(est.json()).toMatchObject({
      sector: "es",
      nis2Status: "essential",
      smallStructure: false,
      active: true,
    });
    const id = est.json().id;

    const user = await call("POST", "/api/v1/users", {
      email: "Marie.Rssi@CHGM.example.org",
      displayName: "Marie Grondin",
      role: "rssi",
      ghtId: ght.json().id,
      password: "a long enough password",
    });
    expect(user.statusCode).toBe(201);
    expect(user.json()).toMatchObject({ email: "marie.rssi@chgm.example.org", role: "rssi" });
    expect(user.body).not.toContain("password");
    const session = await login(t.app, "marie.rssi@chgm.example.org", "a long enough password");
    expect(session.session).toMatchObject({ user: { establishments: [{ id }] } });

    const key = await call("POST", `/api/v1/establishments/${id}/api-keys`, { name: "SIEM du CH" });
    expect(key.statusCode).toBe(201);
    expect(key.json().key).toMatch(/^pris_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const keys = await call("GET", `/api/v1/establishments/${id}/api-keys`);
    expect(keys.json()).toEqual([
      expect.objectContaining({ id: key.json().id, name: "SIEM du CH", revokedAt: null }),
    ]);
    expect(keys.body).not.toContain(key.json().key);
    const viaKey = await t.app.inject({
      method: "GET",
      url: `/api/v1/establishments/${id}`,
      headers: { authorization: `ApiKey ${key.json().key}` },
    });
    expect(viaKey.statusCode).toBe(200);

    const patched = await call("PATCH", `/api/v1/establishments/${id}`, {
      smallStructure: true,
      category: "ehpad",
    });
    expect(patched.json()).toMatchObject({ smallStructure: true, category: "ehpad", sector: "esms" });
  });

  test("refuses duplicates and unknown references, naming the field", async () => {
    const dup = await call("POST", "/api/v1/establishments", {
      finess: "970462107",
      name: "Doublon",
      category: "ch",
      territory: "ouest",
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: "finess_taken", errors: [{ field: "/finess" }] });
    const unknownTerritory = await call("POST", "/api/v1/establishments", {
      finess: "970000019",
      name: "Ailleurs",
      category: "ch",
      territory: "mars",
    });
    expect(unknownTerritory.statusCode).toBe(400);
    expect(unknownTerritory.json().errors).toEqual([
      { field: "/territory", message: "is not a territory of the region" },
    ]);
    const badFiness = await call("POST", "/api/v1/establishments", {
      finess: "12345",
      name: "Court",
      category: "ch",
      territory: "ouest",
    });
    expect(badFiness.json().errors[0].field).toBe("/finess");
    const rssiWithout = await call("POST", "/api/v1/users", {
      email: "x@pris.test",
      displayName: "X",
      role: "rssi",
      password: "a long enough password",
    });
    expect(rssiWithout.json().errors[0].field).toBe("/establishmentId");
    const analystWith = await call("POST", "/api/v1/users", {
      email: "y@pris.test",
      displayName: "Y",
      role: "analyst",
      establishmentId: "01900000-0000-7000-8000-000000000000",
      password: "a long enough password",
    });
    expect(analystWith.statusCode).toBe(400);
    const shortPassword = await call("POST", "/api/v1/users", {
      email: "z@pris.test",
      displayName: "Z",
      role: "ars",
      password: "short",
    });
    expect(shortPassword.json().errors[0].field).toBe("/password");
    await call("POST", "/api/v1/users", {
      email: "dup@pris.test",
      displayName: "D",
      role: "ars",
      password: "a long enough password",
    });
    const dupUser = await call("POST", "/api/v1/users", {
      email: "DUP@pris.test",
      displayName: "D",
      role: "ars",
      password: "a long enough password",
    });
    expect(dupUser.json()).toMatchObject({ status: 409, code: "email_taken" });
    const emptyPatch = await call("PATCH", "/api/v1/establishments/01900000-0000-7000-8000-000000000000", {});
    expect(emptyPatch.statusCode).toBe(400);
  });

  test("lists are paginated with a cursor", async () => {
    for (let i = 0; i < 5; i++) {
      await call("POST", "/api/v1/establishments", {
        finess: `97000010${i}`,
        name: `EHPAD ${i}`,
        category: "ehpad",
        territory: "ouest",
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call("GET", `/api/v1/establishments?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      const page = res.json();
      seen.push(...page.items.map((e: { id: string }) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    const total = (await call("GET", "/api/v1/establishments?limit=100")).json();
    expect(seen).toEqual(total.items.map((e: { id: string }) => e.id));
    expect(new Set(seen).size).toBe(total.total);
  });

  test("filters by territory, category and whether still in the registry", async () => {
    const closed = (
      await call("POST", "/api/v1/establishments", {
        finess: "970000150",
        name: "EHPAD fermé",
        category: "ehpad",
        territory: "ouest",
      })
    ).json();
    await t.db.update(establishments).set({ active: false }).where(eq(establishments.id, closed.id));
    const names = async (query: string) =>
      (
        (await call("GET", `/api/v1/establishments?limit=100&${query}`)).json().items as { name: string }[]
      ).map((e) => e.name);
    const all = await names("territory=ouest&category=ehpad");
    expect(all).toContain("EHPAD fermé");
    expect(all).toContain("EHPAD 0");
    const open = await names("territory=ouest&category=ehpad&active=true");
    expect(open).not.toContain("EHPAD fermé");
    expect(open).toHaveLength(all.length - 1);
    expect(await names("territory=ouest&category=ehpad&active=false")).toEqual(["EHPAD fermé"]);
    expect((await call("GET", "/api/v1/establishments?active=maybe")).statusCode).toBe(400);
  });
});

describe("the pole's roster", () => {
  test("analysts and task-force members list the active pole members to assign to; others may not", async () => {
    const analyst = await createUser(t.db, { role: "analyst", name: "Analyste Roster" });
    const tf = await createUser(t.db, { role: "taskforce", name: "Task Force Roster" });
    const gone = await createUser(t.db, { role: "analyst", name: "Analyste Parti", active: false });
    const est = await call("POST", "/api/v1/establishments", {
      finess: "970000200",
      name: "EHPAD du roster",
      category: "ehpad",
      territory: "ouest",
    });
    const rssi = await createUser(t.db, { role: "rssi", establishmentId: est.json().id });
    for (const who of [analyst, tf]) {
      const res = await t.app.inject({
        method: "GET",
        url: "/api/v1/pole/members",
        headers: (await login(t.app, who.email)).bearer,
      });
      expect(res.statusCode).toBe(200);
      const ids = res.json().map((m: { id: string }) => m.id);
      expect(ids).toEqual(expect.arrayContaining([analyst.id, tf.id]));
      expect(ids).not.toContain(gone.id);
      expect(ids).not.toContain(rssi.id);
    }
    for (const who of [rssi]) {
      const res = await t.app.inject({
        method: "GET",
        url: "/api/v1/pole/members",
        headers: (await login(t.app, who.email)).bearer,
      });
      expect(res.statusCode).toBe(403);
    }
  });
});
