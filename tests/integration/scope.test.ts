import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createApiKey,
  createEstablishment,
  createGht,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * Scope is absolute: an RSSI (or an API key) of establishment A never learns anything about B —
 * not in lists, details, counts, filters or error messages.
 */
let t: TestApp;
let A: { id: string };
let B: { id: string };
let rssiA: Record<string, string>;
let rssiB: Record<string, string>;
let keyA: Record<string, string>;
let incidentB: { id: string; reference: string };
let majorB: { id: string };
const NON_EXISTENT = "01900000-0000-7000-8000-000000000000";

const get = (url: string, headers: Record<string, string>) => t.app.inject({ method: "GET", url, headers });

beforeAll(async () => {
  t = await startTestApp();
  const ght = await createGht(t.db);
  A = await createEstablishment(t.db, { name: "Clinique Alpha", ghtId: ght.id });
  B = await createEstablishment(t.db, { name: "Centre Bravo" });
  rssiA = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: A.id })).email))
    .bearer;
  rssiB = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: B.id })).email))
    .bearer;
  keyA = { authorization: `ApiKey ${(await createApiKey(t.db, A.id)).key}` };
  const declare = async (headers: Record<string, string>, body = declaration()) => {
    const res = await t.app.inject({ method: "POST", url: "/api/v1/incidents", headers, payload: body });
    expect(res.statusCode).toBe(201);
    return res.json();
  };
  incidentB = await declare(rssiB, declaration({ title: "Secret de Bravo" }));
  majorB = await declare(rssiB, declaration({ title: "Crise majeure Bravo", impactGrade: 5 }));
  await declare(rssiA, declaration({ title: "Incident Alpha" }));
});
afterAll(() => t.close());

describe("RSSI of A and A's API key against B's incidents", () => {
  test("a detail of B answers exactly like an incident that does not exist", async () => {
    for (const headers of [rssiA, keyA]) {
      const other = await get(`/api/v1/incidents/${incidentB.id}`, headers);
      const missing = await get(`/api/v1/incidents/${NON_EXISTENT}`, headers);
      expect(other.statusCode).toBe(404);
      const strip = (b: { requestId: string; instance?: string }) => ({ ...b, requestId: "", instance: "" });
      expect(strip(other.json())).toEqual(strip(missing.json()));
      expect(other.body).not.toContain("Bravo");
    }
  });

  test("lists, counts, text search and filters never show B", async () => {
    for (const headers of [rssiA, keyA]) {
      const all = (await get("/api/v1/incidents?limit=100", headers)).json();
      expect(all.total).toBe(1);
      expect(all.items.map((i: { title: string }) => i.title)).toEqual(["Incident Alpha"]);
      const byEstablishment = (await get(`/api/v1/incidents?establishmentId=${B.id}`, headers)).json();
      expect(byEstablishment).toEqual({ items: [], total: 0, nextCursor: null });
      const byText = (
        await get(`/api/v1/incidents?q=${encodeURIComponent(incidentB.reference)}`, headers)
      ).json();
      expect(byText.total).toBe(0);
      const bySeverity = (await get("/api/v1/incidents?severity=P1", headers)).json();
      expect(bySeverity.total).toBe(0);
    }
  });

  test("declaring for B is refused with the same words as an unknown establishment", async () => {
    for (const headers of [rssiA, keyA]) {
      const forB = await t.app.inject({
        method: "POST",
        url: "/api/v1/incidents",
        headers,
        payload: declaration({ establishmentId: B.id }),
      });
      const forNothing = await t.app.inject({
        method: "POST",
        url: "/api/v1/incidents",
        headers,
        payload: declaration({ establishmentId: NON_EXISTENT }),
      });
      expect(forB.statusCode).toBe(400);
      expect(forB.json().errors).toEqual(forNothing.json().errors);
    }
  });

  test("B's establishment record and API keys are out of reach", async () => {
    for (const headers of [rssiA, keyA]) {
      expect((await get(`/api/v1/establishments/${B.id}`, headers)).statusCode).toBe(404);
      const list = (await get("/api/v1/establishments?limit=100", headers)).json();
      expect(list.items.map((e: { id: string }) => e.id)).toEqual([A.id]);
      expect(list.total).toBe(1);
    }
    expect((await get(`/api/v1/establishments/${B.id}/api-keys`, rssiA)).statusCode).toBe(404);
    const create = await t.app.inject({
      method: "POST",
      url: `/api/v1/establishments/${B.id}/api-keys`,
      headers: rssiA,
      payload: { name: "sneaky" },
    });
    expect(create.statusCode).toBe(404);
    expect((await get(`/api/v1/establishments/${A.id}/api-keys`, rssiA)).statusCode).toBe(200);
    // An API key manages nothing, not even its own establishment's keys.
    expect((await get(`/api/v1/establishments/${A.id}/api-keys`, keyA)).statusCode).toBe(403);
  });

  test("B's contacts, products and suppliers cannot be rewritten: the same 404 as a missing establishment", async () => {
    const bodies = {
      contacts: { rssi: { name: "Intrus" } },
      products: { products: [{ kind: "dpi", vendor: "Intrus" }] },
      suppliers: { suppliers: [{ service: "msp", name: "Intrus" }] },
    };
    for (const [part, payload] of Object.entries(bodies)) {
      const put = (id: string, headers: Record<string, string>) =>
        t.app.inject({ method: "PUT", url: `/api/v1/establishments/${id}/${part}`, headers, payload });
      const onB = await put(B.id, rssiA);
      const missing = await put(NON_EXISTENT, rssiA);
      expect(onB.statusCode).toBe(404);
      const { requestId: _a, ...b } = onB.json();
      const { requestId: _m, ...m } = missing.json();
      expect(b).toEqual(m);
      // An establishment's API key declares; it does not rewrite the record, not even its own.
      expect((await put(A.id, keyA)).statusCode).toBe(403);
    }
    const record = (await get(`/api/v1/establishments/${B.id}`, rssiB)).json();
    expect(JSON.stringify(record)).not.toContain("Intrus");
  });

  test("the directory of people is for administrators only", async () => {
    for (const headers of [rssiA, keyA]) {
      expect((await get("/api/v1/users", headers)).statusCode).toBe(403);
      expect((await get(`/api/v1/users?establishmentId=${B.id}`, headers)).statusCode).toBe(403);
      expect((await get("/api/v1/audit", headers)).statusCode).toBe(403);
      expect((await get("/api/v1/audit.csv", headers)).statusCode).toBe(403);
      const create = await t.app.inject({
        method: "POST",
        url: "/api/v1/establishments",
        headers,
        payload: { finess: "974000001", name: "Nouvel établissement", category: "ch", territory: "sud" },
      });
      expect(create.statusCode).toBe(403);
    }
  });
});

describe("other roles", () => {
  test("a GHT-wide RSSI sees its members' incidents but not others'", async () => {
    const ght = await createGht(t.db, "GHT Ouest");
    const member = await createEstablishment(t.db, { ghtId: ght.id });
    const ghtRssi = (await login(t.app, (await createUser(t.db, { role: "rssi", ghtId: ght.id })).email))
      .bearer;
    const memberRssi = (
      await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: member.id })).email)
    ).bearer;
    const declared = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: memberRssi,
      payload: declaration(),
    });
    const list = (await get("/api/v1/incidents", ghtRssi)).json();
    expect(list.items.map((i: { id: string }) => i.id)).toEqual([declared.json().id]);
    expect((await get(`/api/v1/incidents/${incidentB.id}`, ghtRssi)).statusCode).toBe(404);
  });

  test("a GHT-wide RSSI invites for its members only: B answers exactly like an unknown establishment", async () => {
    const ght = await createGht(t.db, "GHT Est");
    const member = await createEstablishment(t.db, { ghtId: ght.id });
    const ghtRssi = (await login(t.app, (await createUser(t.db, { role: "rssi", ghtId: ght.id })).email))
      .bearer;
    const invite = (headers: Record<string, string>, establishmentId: string) =>
      t.app.inject({
        method: "POST",
        url: "/api/v1/invitations",
        headers,
        payload: { email: `x-${establishmentId}@pris.test`, displayName: "X", role: "rssi", establishmentId },
      });
    const outside = await invite(ghtRssi, B.id);
    const unknown = await invite(ghtRssi, NON_EXISTENT);
    expect(outside.statusCode).toBe(404);
    const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined, instance: undefined });
    expect(strip(outside.json())).toEqual(strip(unknown.json()));
    expect((await invite(ghtRssi, member.id)).statusCode).toBe(201);
    // An RSSI of one establishment, or its API key, does not invite at all.
    expect((await invite(rssiA, A.id)).statusCode).toBe(403);
    expect((await invite(keyA, A.id)).statusCode).toBe(403);
    const mine = (await get("/api/v1/invitations", ghtRssi)).json();
    expect(mine.items.map((i: { establishment: { id: string } }) => i.establishment.id)).toEqual([member.id]);
  });

  test("analysts see all; the task force and the ARS only major incidents; the administrator none", async () => {
    const as = async (role: "analyst" | "taskforce" | "ars" | "admin") =>
      (await login(t.app, (await createUser(t.db, { role })).email)).bearer;
    const analyst = await as("analyst");
    expect((await get("/api/v1/incidents?limit=100", analyst)).json().total).toBeGreaterThanOrEqual(3);
    for (const role of ["taskforce", "ars"] as const) {
      const headers = await as(role);
      const list = (await get("/api/v1/incidents?limit=100", headers)).json();
      expect(list.items.map((i: { id: string }) => i.id)).toEqual([majorB.id]);
      expect((await get(`/api/v1/incidents/${incidentB.id}`, headers)).statusCode).toBe(404);
      expect((await get(`/api/v1/incidents/${majorB.id}`, headers)).statusCode).toBe(200);
    }
    const admin = await as("admin");
    expect((await get("/api/v1/incidents", admin)).json().total).toBe(0);
    expect((await get(`/api/v1/incidents/${majorB.id}`, admin)).statusCode).toBe(404);
  });

  test("nothing is readable without credentials", async () => {
    for (const url of [
      "/api/v1/incidents",
      `/api/v1/incidents/${incidentB.id}`,
      "/api/v1/establishments",
      "/api/v1/territories",
      "/api/v1/ghts",
    ]) {
      const res = await t.app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(401);
      expect(res.body).not.toContain("Bravo");
    }
  });
});

describe("the directory as A sees it", () => {
  test("lists, filters and counts of establishments never show B; GHT members and territory counts stay hidden", async () => {
    for (const headers of [rssiA, keyA]) {
      for (const query of ["", "?q=Bravo", `?nis2Status=not_subject`, "?active=true", "?territory=sud"]) {
        const page = (await get(`/api/v1/establishments${query}`, headers)).json();
        expect(
          page.items.map((e: { id: string }) => e.id),
          query,
        ).toEqual(query === "?q=Bravo" ? [] : [A.id]);
        expect(page.total, query).toBe(query === "?q=Bravo" ? 0 : 1);
      }
      expect((await get(`/api/v1/establishments/${B.id}`, headers)).statusCode).toBe(404);
      const territories = (await get("/api/v1/territories", headers)).json();
      expect(territories.every((x: object) => !("activeEstablishments" in x))).toBe(true);
    }
    const ght = (await get(`/api/v1/establishments/${A.id}`, rssiA)).json().ghtId;
    expect((await get(`/api/v1/ghts/${ght}`, rssiA)).statusCode).toBe(403);
    expect((await get(`/api/v1/ghts/${ght}`, keyA)).statusCode).toBe(403);
  });
});
