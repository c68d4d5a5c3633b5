import { auditLog, establishments, territories } from "@pris/db";
import { and, asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectTrailInFrench } from "../support/audit-fixtures.ts";
import {
  createEstablishment,
  createGht,
  createTerritory,
  createUser,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

let t: TestApp;
let admin: Record<string, string>;
let analyst: Record<string, string>;
let rssi: Record<string, string>;
let own: { id: string };
let other: { id: string };

beforeAll(async () => {
  t = await startTestApp();
  await createTerritory(t.db, "nord", "Nord");
  own = await createEstablishment(t.db, { territory: "nord", name: "CH du Nord" });
  other = await createEstablishment(t.db, { territory: "nord", name: "Clinique voisine" });
  admin = (await login(t.app, (await createUser(t.db, { role: "admin", name: "Ada Admin" })).email)).bearer;
  analyst = (await login(t.app, (await createUser(t.db, { role: "analyst" })).email)).bearer;
  rssi = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: own.id })).email))
    .bearer;
});
afterAll(() => t.close());

type Method = "GET" | "POST" | "PATCH" | "DELETE";
const as = (headers: Record<string, string>) => (method: Method, url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
const call = (method: Method, url: string, payload?: object) => as(admin)(method, url, payload);

const trail = (objectKind: string, objectId: string) =>
  t.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.objectKind, objectKind), eq(auditLog.objectId, objectId)))
    .orderBy(asc(auditLog.at), asc(auditLog.id));

const validEstablishment = (overrides: object = {}) => ({
  finess: "970400011",
  legalEntityFiness: "970400003",
  siret: "12345678901234",
  name: "Centre de dialyse de l'Est",
  category: "dialysis",
  territory: "est",
  smallStructure: true,
  nis2Status: "important",
  contacts: {
    rssi: { name: "Rita Payet", email: "rssi@dialyse-est.test", phone: "0262 11 22 33" },
    dpo: { name: "Denis Po", email: "dpo@dialyse-est.test" },
    functionalMailbox: "ssi@dialyse-est.test",
  },
  products: [{ kind: "dpi", vendor: "Softway Médical", product: "Hopital Manager" }],
  suppliers: [{ service: "msp", name: "Infogérance Océan Indien" }],
  address: { lines: ["12 rue des Flamboyants"], commune: "97410", postalLine: "97410 SAINT-PIERRE" },
  phone: "0262 99 88 77",
  activeFrom: "2020-01-01",
  ...overrides,
});

describe("territories", () => {
  test("created, renamed, listed; retired and restored when unused, each with its trail entry", async () => {
    const created = await call("POST", "/territories", { code: "est", name: "Est" });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ code: "est", name: "Est", retiredAt: null, activeEstablishments: 0 });
    const renamed = await call("PATCH", "/territories/est", { name: "Est de l'île" });
    expect(renamed.json()).toMatchObject({ name: "Est de l'île" });

    const retired = await call("POST", "/territories/est/retire");
    expect(retired.statusCode).toBe(200);
    expect(retired.json().retiredAt).toEqual(expect.any(String));
    const current = (await call("GET", "/territories")).json().map((x: { code: string }) => x.code);
    expect(current).toContain("nord");
    expect(current).not.toContain("est");
    const all = await call("GET", "/territories?includeRetired=true");
    expect(all.json()).toContainEqual(
      expect.objectContaining({ code: "est", retiredAt: expect.any(String) }),
    );

    // A retired territory takes no new establishment.
    const refused = await call("POST", "/establishments", validEstablishment());
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toEqual([{ field: "/territory", message: "is a retired territory" }]);

    const restored = await call("POST", "/territories/est/restore");
    expect(restored.json().retiredAt).toBeNull();

    const entries = await trail("territory", "est");
    expect(entries.map((e) => [e.action, e.before, e.after])).toEqual([
      ["territory.create", null, { code: "est", name: "Est", retiredAt: null }],
      ["territory.update", { name: "Est" }, { name: "Est de l'île" }],
      ["territory.retire", { retiredAt: null }, { retiredAt: expect.any(String) }],
      ["territory.restore", { retiredAt: expect.any(String) }, { retiredAt: null }],
    ]);
    expect(entries[0]).toMatchObject({ actorLabel: "Ada Admin" });
  });

  test("retiring a territory active establishments use is refused with 409, saying how many", async () => {
    const res = await call("POST", "/territories/nord/retire");
    expect(res.statusCode).toBe(409);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json()).toMatchObject({ code: "territory_in_use" });
    expect(res.json().detail).toMatch(/« Nord » est celui de 2 établissements actifs \(/);
    expect(res.json().detail).toContain("CH du Nord");
    const [row] = await t.db.select().from(territories).where(eq(territories.code, "nord"));
    expect(row!.retiredAt).toBeNull();
  });

  test("bad input names the field; a taken code is 409; an unknown one 404", async () => {
    const bad = await call("POST", "/territories", { code: "Nord Est!", name: "X" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(["/code", "/name"]),
    );
    const taken = await call("POST", "/territories", { code: "nord", name: "Nord bis" });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: "territory_code_taken", errors: [{ field: "/code" }] });
    expect((await call("PATCH", "/territories/mars", { name: "Mars" })).statusCode).toBe(404);
    expect((await call("POST", "/territories/mars/retire")).statusCode).toBe(404);
    expect((await call("PATCH", "/territories/nord", {})).statusCode).toBe(400);
  });

  test("only administrators change territories; others read the list without counts", async () => {
    for (const who of [analyst, rssi]) {
      expect((await as(who)("POST", "/territories", { code: "ouest", name: "Ouest" })).statusCode).toBe(403);
      expect((await as(who)("PATCH", "/territories/nord", { name: "N" })).statusCode).toBe(403);
      expect((await as(who)("POST", "/territories/nord/retire")).statusCode).toBe(403);
      expect((await as(who)("POST", "/territories/nord/restore")).statusCode).toBe(403);
    }
    const list = await as(rssi)("GET", "/territories");
    expect(list.json()).toContainEqual({ code: "nord", name: "Nord", retiredAt: null });
    expect((await as(analyst)("GET", "/territories")).json()).toContainEqual(
      expect.objectContaining({ code: "nord", activeEstablishments: 2 }),
    );
  });
});

describe("establishments", () => {
  let id: string;

  test("created with every field, products in the catalog's spelling, traced", async () => {
    await createTerritory(t.db, "est", "Est");
    const res = await call("POST", "/establishments", validEstablishment());
    expect(res.statusCode).toBe(201);
    id = res.json().id;
    expect(res.json()).toMatchObject({
      finess: "970400011",
      legalEntityFiness: "970400003",
      siret: "12345678901234",
      category: "dialysis",
      sector: "es",
      smallStructure: true,
      nis2Status: "important",
      contacts: { dpo: { name: "Denis Po" }, functionalMailbox: "ssi@dialyse-est.test" },
      suppliers: [{ service: "msp", name: "Infogérance Océan Indien" }],
      address: { commune: "97410" },
      phone: "0262 99 88 77",
      active: true,
      activeFrom: "2020-01-01",
      activeUntil: null,
    });
    // A second establishment writing the vendor differently gets the first one's spelling.
    const second = await call(
      "POST",
      "/establishments",
      validEstablishment({
        finess: "970400029",
        name: "Centre de dialyse du Sud",
        products: [{ kind: "dpi", vendor: "SOFTWAY  MEDICAL", product: "hopital-manager" }],
      }),
    );
    expect(second.json().products).toEqual([
      { kind: "dpi", vendor: "Softway Médical", product: "Hopital Manager" },
    ]);
    const [entry] = await trail("establishment", id);
    expect(entry).toMatchObject({ action: "establishment.create", before: null });
    expect(entry!.after).toMatchObject({ finess: "970400011", territory: "est", nis2Status: "important" });
  });

  test("a duplicate FINESS stays 409 finess_taken; bad fields are named", async () => {
    const dup = await call("POST", "/establishments", validEstablishment({ name: "Doublon" }));
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: "finess_taken", errors: [{ field: "/finess" }] });
    for (const [payload, field] of [
      [{ siret: "123" }, "/siret"],
      [{ legalEntityFiness: "12" }, "/legalEntityFiness"],
      [{ territory: "mars" }, "/territory"],
      [{ ghtId: "01900000-0000-7000-8000-000000000000" }, "/ghtId"],
      [{ contacts: { rssi: { name: "X", email: "pas un e-mail" } } }, "/contacts/rssi/email"],
      [{ suppliers: [{ service: "plumber", name: "X" }] }, "/suppliers/0/service"],
      [{ activeFrom: "2020-13-45" }, "/activeFrom"],
    ] as const) {
      const res = await call(
        "POST",
        "/establishments",
        validEstablishment({ finess: "970499999", ...payload }),
      );
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });

  test("patched field by field, the trail keeping before → after of the changed fields only", async () => {
    const res = await call("PATCH", `/establishments/${id}`, {
      name: "Centre de dialyse de l'Est réunionnais",
      nis2Status: "essential",
      contacts: { rssi: { name: "Paul Técher", email: "paul@dialyse-est.test" } },
      activeUntil: "2030-12-31",
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ nis2Status: "essential", activeUntil: "2030-12-31", active: true });
    const entries = await trail("establishment", id);
    expect(entries.at(-1)).toMatchObject({
      action: "establishment.update",
      before: {
        name: "Centre de dialyse de l'Est",
        nis2Status: "important",
        contacts: expect.objectContaining({ dpo: expect.anything() }),
        activeUntil: null,
      },
      after: {
        name: "Centre de dialyse de l'Est réunionnais",
        nis2Status: "essential",
        contacts: { rssi: { name: "Paul Técher", email: "paul@dialyse-est.test" } },
        activeUntil: "2030-12-31",
      },
    });
    const backwards = await call("PATCH", `/establishments/${id}`, { activeFrom: "2031-01-01" });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().errors[0].field).toBe("/activeFrom");
    expect((await call("PATCH", `/establishments/${id}`, { finess: "970400037" })).statusCode).toBe(400);
    expect((await call("PATCH", `/establishments/${id}`, {})).statusCode).toBe(400);
    expect(
      (await call("PATCH", "/establishments/01900000-0000-7000-8000-000000000000", { name: "Nulle part" }))
        .statusCode,
    ).toBe(404);
    await call("PATCH", `/establishments/${id}`, { activeUntil: null });
  });

  test("deactivated and reactivated, the registry period following, each traced", async () => {
    const off = await call("POST", `/establishments/${id}/deactivate`);
    expect(off.json()).toMatchObject({ active: false, activeUntil: expect.any(String) });
    expect((await call("POST", `/establishments/${id}/deactivate`)).statusCode).toBe(200);
    const on = await call("POST", `/establishments/${id}/reactivate`);
    expect(on.json()).toMatchObject({ active: true, activeUntil: null });
    const actions = (await trail("establishment", id)).map((e) => e.action);
    expect(actions.slice(-2)).toEqual(["establishment.deactivate", "establishment.reactivate"]);
    expect(actions.filter((a) => a === "establishment.deactivate")).toHaveLength(1);
    // Once unused, the territory can be retired; an establishment already there may stay there.
    await call("POST", `/establishments/${id}/deactivate`);
    const second = (await call("GET", "/establishments?q=970400029")).json().items[0];
    await call("POST", `/establishments/${second.id}/deactivate`);
    expect((await call("POST", "/territories/est/retire")).statusCode).toBe(200);
    expect((await call("PATCH", `/establishments/${id}`, { territory: "est", phone: null })).statusCode).toBe(
      200,
    );
    const moved = await call("PATCH", `/establishments/${own.id}`, { territory: "est" });
    expect(moved.json().errors).toEqual([{ field: "/territory", message: "is a retired territory" }]);
    const back = await call("POST", `/establishments/${id}/reactivate`);
    expect(back.statusCode).toBe(409);
    expect(back.json()).toMatchObject({ code: "territory_retired" });
    expect(back.json().detail).toContain("« Est de l'île » est retiré");
    expect((await call("PATCH", `/establishments/${id}`, { active: true })).statusCode).toBe(409);
    await call("POST", "/territories/est/restore");
  });

  test("the list filters by territory, category, GHT, NIS2 status, activity and text, page by page", async () => {
    const ght = await createGht(t.db, "GHT filtré");
    for (let i = 0; i < 25; i++) {
      await createEstablishment(t.db, {
        territory: "nord",
        category: "ehpad",
        name: `EHPAD ${String(i).padStart(2, "0")}`,
        nis2Status: i % 5 === 0 ? "important" : "not_subject",
        ghtId: i < 3 ? ght.id : null,
      });
    }
    const names = async (query: string) => {
      const out: string[] = [];
      let cursor: string | null = null;
      let total = 0;
      do {
        const page = await call(
          "GET",
          `/establishments?${query}&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        );
        expect(page.statusCode).toBe(200);
        out.push(...page.json().items.map((e: { name: string }) => e.name));
        total = page.json().total;
        cursor = page.json().nextCursor;
      } while (cursor);
      expect(out).toHaveLength(total);
      return out;
    };
    expect(await names("category=ehpad&territory=nord")).toHaveLength(25);
    expect(await names("category=ehpad&nis2Status=important")).toEqual([
      "EHPAD 00",
      "EHPAD 05",
      "EHPAD 10",
      "EHPAD 15",
      "EHPAD 20",
    ]);
    expect(await names(`ghtId=${ght.id}`)).toEqual(["EHPAD 00", "EHPAD 01", "EHPAD 02"]);
    expect(await names("q=ehpad%201&active=true")).toHaveLength(10);
    expect(await names("active=false")).toEqual([
      "Centre de dialyse de l'Est réunionnais",
      "Centre de dialyse du Sud",
    ]);
    expect((await call("GET", "/establishments?nis2Status=maybe")).statusCode).toBe(400);
  });

  test("an RSSI reads only their own establishment and changes none through the admin routes", async () => {
    const r = as(rssi);
    expect((await r("GET", `/establishments/${own.id}`)).statusCode).toBe(200);
    expect((await r("GET", `/establishments/${other.id}`)).statusCode).toBe(404);
    expect((await r("GET", "/establishments")).json().items.map((e: { id: string }) => e.id)).toEqual([
      own.id,
    ]);
    for (const target of [own.id, other.id]) {
      expect((await r("PATCH", `/establishments/${target}`, { name: "Piraté" })).statusCode).toBe(403);
      expect((await r("POST", `/establishments/${target}/deactivate`)).statusCode).toBe(403);
      expect((await r("POST", `/establishments/${target}/reactivate`)).statusCode).toBe(403);
    }
    expect((await r("POST", "/establishments", validEstablishment({ finess: "970488888" }))).statusCode).toBe(
      403,
    );
    expect((await as(analyst)("PATCH", `/establishments/${own.id}`, { name: "X" })).statusCode).toBe(403);
    const [row] = await t.db.select().from(establishments).where(eq(establishments.id, own.id));
    expect(row!.name).toBe("CH du Nord");
  });
});

describe("GHTs", () => {
  test("created with a support establishment that becomes a member; members added, refused, removed", async () => {
    const a = await createEstablishment(t.db, { territory: "nord", name: "CH Support" });
    const b = await createEstablishment(t.db, { territory: "nord", name: "CH Membre" });
    const created = await call("POST", "/ghts", {
      code: "GHT-NORD",
      name: "GHT du Nord",
      supportEstablishmentId: a.id,
    });
    expect(created.statusCode).toBe(201);
    const ghtId = created.json().id;
    const detail = await call("GET", `/ghts/${ghtId}`);
    expect(detail.json()).toMatchObject({
      code: "GHT-NORD",
      supportEstablishmentId: a.id,
      members: [{ id: a.id, name: "CH Support", active: true }],
    });

    const added = await call("POST", `/ghts/${ghtId}/members`, { establishmentId: b.id });
    expect(added.json().members.map((m: { name: string }) => m.name)).toEqual(["CH Membre", "CH Support"]);
    expect((await call("POST", `/ghts/${ghtId}/members`, { establishmentId: b.id })).statusCode).toBe(200);

    // One GHT at most.
    const otherGht = await call("POST", "/ghts", { code: "GHT-SUD", name: "GHT du Sud" });
    const taken = await call("POST", `/ghts/${otherGht.json().id}/members`, { establishmentId: b.id });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: "establishment_in_other_ght" });
    expect(taken.json().detail).toContain("GHT du Nord");
    const supportElsewhere = await call("POST", "/ghts", {
      code: "GHT-X",
      name: "GHT X",
      supportEstablishmentId: b.id,
    });
    expect(supportElsewhere.statusCode).toBe(409);
    expect((await call("GET", "/ghts")).json().map((g: { code: string }) => g.code)).not.toContain("GHT-X");

    // The support establishment stays while it is the support.
    const removeSupport = await call("DELETE", `/ghts/${ghtId}/members/${a.id}`);
    expect(removeSupport.statusCode).toBe(409);
    expect(removeSupport.json()).toMatchObject({ code: "support_establishment" });
    const moveSupport = await call("PATCH", `/establishments/${a.id}`, { ghtId: otherGht.json().id });
    expect(moveSupport.statusCode).toBe(409);
    const notMember = await call("PATCH", `/ghts/${ghtId}`, { supportEstablishmentId: own.id });
    expect(notMember.statusCode).toBe(400);
    expect(notMember.json().errors).toEqual([
      { field: "/supportEstablishmentId", message: "is not a member of this GHT" },
    ]);
    const switched = await call("PATCH", `/ghts/${ghtId}`, {
      supportEstablishmentId: b.id,
      name: "GHT Nord",
    });
    expect(switched.json()).toMatchObject({ name: "GHT Nord", supportEstablishmentId: b.id });
    const removed = await call("DELETE", `/ghts/${ghtId}/members/${a.id}`);
    expect(removed.json().members.map((m: { id: string }) => m.id)).toEqual([b.id]);
    expect((await call("DELETE", `/ghts/${ghtId}/members/${a.id}`)).statusCode).toBe(404);

    const entries = await trail("ght", ghtId);
    expect(entries.map((e) => e.action)).toEqual([
      "ght.create",
      "ght.add_member",
      "ght.update",
      "ght.remove_member",
    ]);
    expect(entries[2]).toMatchObject({
      before: { name: "GHT du Nord", supportEstablishmentId: a.id },
      after: { name: "GHT Nord", supportEstablishmentId: b.id },
    });
    expect(entries[3]!.before).toMatchObject({ member: { id: a.id, name: "CH Support" } });
  });

  test("bad input names the field; unknown GHTs are 404; only administrators change GHTs", async () => {
    const g = await createGht(t.db, "GHT fermé");
    expect((await call("POST", "/ghts", { code: "G", name: "X" })).json().errors[0].field).toBe("/code");
    const unknownEst = await call("POST", `/ghts/${g.id}/members`, {
      establishmentId: "01900000-0000-7000-8000-000000000000",
    });
    expect(unknownEst.statusCode).toBe(400);
    expect(unknownEst.json().errors[0].field).toBe("/establishmentId");
    expect((await call("POST", `/ghts/${g.id}/members`, { establishmentId: "nope" })).statusCode).toBe(400);
    expect((await call("GET", "/ghts/01900000-0000-7000-8000-000000000000")).statusCode).toBe(404);
    expect((await call("PATCH", `/ghts/${g.id}`, {})).statusCode).toBe(400);
    for (const who of [rssi, analyst]) {
      expect((await as(who)("POST", `/ghts/${g.id}/members`, { establishmentId: own.id })).statusCode).toBe(
        403,
      );
      expect((await as(who)("PATCH", `/ghts/${g.id}`, { name: "Autre" })).statusCode).toBe(403);
      expect((await as(who)("DELETE", `/ghts/${g.id}/members/${own.id}`)).statusCode).toBe(403);
    }
    expect((await as(rssi)("GET", `/ghts/${g.id}`)).statusCode).toBe(403);
    expect((await as(analyst)("GET", `/ghts/${g.id}`)).statusCode).toBe(200);
  });
});

describe("concurrent changes", () => {
  test("a territory retired while an establishment is registered there: never both", async () => {
    for (let i = 0; i < 8; i++) {
      const code = `course-${i}`;
      await call("POST", "/territories", { code, name: `Course ${i}` });
      const [retire, create] = await Promise.all([
        call("POST", `/territories/${code}/retire`),
        call(
          "POST",
          "/establishments",
          validEstablishment({ finess: `97050${String(i).padStart(4, "0")}`, territory: code }),
        ),
      ]);
      expect([retire.statusCode, create.statusCode].sort()).toEqual(
        retire.statusCode === 200 ? [200, 400] : [201, 409],
      );
      const [row] = await t.db.select().from(territories).where(eq(territories.code, code));
      const active = await t.db
        .select()
        .from(establishments)
        .where(and(eq(establishments.territory, code), eq(establishments.active, true)));
      expect(row!.retiredAt !== null && active.length > 0).toBe(false);
    }
  });
});

describe("the administration trail", () => {
  test("every entry these flows wrote is one the audit page reads in French", async () => {
    expectTrailInFrench(await t.db.select().from(auditLog));
  });
});
