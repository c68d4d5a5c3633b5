import { buildApp } from "@pris/api";
import { accessTraces } from "@pris/db";
import { createLogger, pruneAccessTraces } from "@pris/worker";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bulletinDraft, seedNetwork } from "../support/bulletin-fixtures.ts";
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
 * Traceability of a health-data system: every read of an incident, of its exports or of a bulletin's
 * dashboard leaves who, what, when and from where; the administrators and the ARS read and export them,
 * nobody else does, and they go after the retention period.
 */
type Headers = Record<string, string>;
type Trace = {
  id: string;
  at: string;
  actor: { kind: string; id: string; role: string; name: string };
  establishmentId: string | null;
  objectKind: string;
  objectId: string | null;
  action: string;
  path: string;
  query: string | null;
  ip: string | null;
  userAgent: string | null;
};

let t: TestApp;
let establishmentId: string;
let otherEstablishmentId: string;
let rssi: { id: string; headers: Headers };
let analyst: { id: string; headers: Headers };
let admin: Headers;
let ars: Headers;
let apiKey: Headers;
let incidentId: string;
let otherIncidentId: string;

const get = (url: string, headers: Headers, extra: Headers = {}) =>
  t.app.inject({ method: "GET", url, headers: { ...headers, ...extra } });

async function traces(query: string, headers = ars): Promise<{ items: Trace[]; nextCursor: string | null }> {
  await t.app.accessTraces.flush();
  const res = await get(`/api/v1/access-traces?${query}`, headers);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers["cache-control"]).toBe("no-store");
  return res.json();
}

async function signedIn(role: "rssi" | "analyst", establishment?: string) {
  const user = await createUser(t.db, { role, establishmentId: establishment ?? null });
  return { id: user.id, headers: (await login(t.app, user.email)).bearer };
}

beforeAll(async () => {
  t = await startTestApp();
  establishmentId = (await createEstablishment(t.db)).id;
  otherEstablishmentId = (await createEstablishment(t.db)).id;
  rssi = await signedIn("rssi", establishmentId);
  analyst = await signedIn("analyst");
  admin = (await login(t.app, (await createUser(t.db, { role: "admin" })).email)).bearer;
  ars = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;
  apiKey = { authorization: `ApiKey ${(await createApiKey(t.db, establishmentId)).key}` };
  const declare = async (headers: Headers) => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers,
      payload: declaration(),
    });
    expect(res.statusCode).toBe(201);
    return (res.json() as { id: string }).id;
  };
  incidentId = await declare(rssi.headers);
  otherIncidentId = await declare((await signedIn("rssi", otherEstablishmentId)).headers);
});
afterAll(async () => {
  await t.close();
});

describe("reads are traced", () => {
  test("an RSSI reading their incident: who, what, when, from where", async () => {
    const before = new Date().toISOString();
    const ua = { "user-agent": "Mozilla/5.0 (test RSSI)" };
    expect((await get(`/api/v1/incidents/${incidentId}`, rssi.headers, ua)).statusCode).toBe(200);
    expect((await get(`/api/v1/incidents/${incidentId}/log?limit=50`, rssi.headers, ua)).statusCode).toBe(
      200,
    );
    const { items } = await traces(`userId=${rssi.id}`);
    expect(items.map((i) => i.action).sort()).toEqual(["getIncident", "listIncidentLog"]);
    const log = items.find((i) => i.action === "listIncidentLog")!;
    expect(log).toMatchObject({
      actor: { kind: "user", id: rssi.id, role: "rssi" },
      establishmentId,
      objectKind: "incident",
      objectId: incidentId,
      path: `/api/v1/incidents/${incidentId}/log`,
      query: "limit=50",
      ip: "127.0.0.1",
      userAgent: "Mozilla/5.0 (test RSSI)",
    });
    expect(log.at >= before).toBe(true);
  });

  test("an analyst reading an incident, its main courante, observables and exports", async () => {
    for (const path of [
      "",
      "/log",
      "/log/verify",
      "/tasks",
      "/observables",
      "/observables/stix",
      "/notifications",
      "/notifications.html",
    ]) {
      const res = await get(`/api/v1/incidents/${incidentId}${path}`, analyst.headers);
      expect(res.statusCode, path).toBe(200);
    }
    const { items } = await traces(`userId=${analyst.id}&objectId=${incidentId}`);
    expect(new Set(items.map((i) => i.action))).toEqual(
      new Set([
        "getIncident",
        "listIncidentLog",
        "verifyIncidentLog",
        "listIncidentTasks",
        "listObservables",
        "exportObservablesStix",
        "exportNotifications",
        "printNotifications",
      ]),
    );
    expect(items.every((i) => i.establishmentId === establishmentId && i.actor.role === "analyst")).toBe(
      true,
    );
  });

  test("an API key's reads, aggregate exports and a bulletin's dashboard", async () => {
    expect((await get(`/api/v1/incidents/${incidentId}`, apiKey)).statusCode).toBe(200);
    expect((await get("/api/v1/stats/incidents", analyst.headers)).statusCode).toBe(200);
    expect((await get("/api/v1/exercises/completion.csv", ars)).statusCode).toBe(200);
    await seedNetwork(t.db, { count: 2, territory: "nord", prefix: "trace" });
    const created = await t.app.inject({
      method: "POST",
      url: "/api/v1/bulletins",
      headers: analyst.headers,
      payload: bulletinDraft(),
    });
    expect(created.statusCode, created.body).toBe(201);
    const bulletinId = (created.json() as { id: string }).id;
    const published = await t.app.inject({
      method: "POST",
      url: `/api/v1/bulletins/${bulletinId}/publish`,
      headers: analyst.headers,
    });
    expect(published.statusCode, published.body).toBe(200);
    expect((await get(`/api/v1/bulletins/${bulletinId}/dashboard`, ars)).statusCode).toBe(200);

    const byKey = (await traces("objectKind=incident")).items.filter((i) => i.actor.kind === "api_key");
    expect(byKey).toHaveLength(1);
    expect(byKey[0]).toMatchObject({ actor: { role: "api_key" }, establishmentId, objectId: incidentId });
    expect((await traces("objectKind=incident_stats")).items).toHaveLength(1);
    expect((await traces("objectKind=exercise_completion")).items[0]).toMatchObject({
      action: "exportCompletionCsv",
    });
    expect((await traces(`objectId=${bulletinId}`)).items[0]).toMatchObject({
      objectKind: "bulletin",
      action: "getBulletinDashboard",
    });
  });

  test("written within a second without anyone asking, and all written when the API stops", async () => {
    const ua = (tag: string) => ({ "user-agent": `trace-${tag}` });
    const stored = (tag: string) =>
      t.db
        .select({ id: accessTraces.id })
        .from(accessTraces)
        .where(eq(accessTraces.userAgent, `trace-${tag}`));
    await get(`/api/v1/incidents/${incidentId}`, analyst.headers, ua("timer"));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await stored("timer")).toHaveLength(1);

    const second = await buildApp(t.config);
    await second.ready();
    const res = await second.inject({
      method: "GET",
      url: `/api/v1/incidents/${incidentId}`,
      headers: { ...analyst.headers, ...ua("stop") },
    });
    expect(res.statusCode).toBe(200);
    await second.close();
    expect(await stored("stop")).toHaveLength(1);
  });

  test("refused and missing reads leave no trace of a read", async () => {
    const outsider = await signedIn("rssi", otherEstablishmentId);
    expect((await get(`/api/v1/incidents/${incidentId}`, outsider.headers)).statusCode).toBe(404);
    // Verifying the chain is the pole's: an RSSI is refused for every incident alike.
    expect((await get(`/api/v1/incidents/${incidentId}/log/verify`, outsider.headers)).statusCode).toBe(403);
    expect((await traces(`userId=${outsider.id}`)).items).toEqual([]);
  });
});

describe("the administrators and the ARS read and export them", () => {
  test("filters: establishment, incident, period, kind; pages", async () => {
    expect((await get(`/api/v1/incidents/${otherIncidentId}`, analyst.headers)).statusCode).toBe(200);
    const mine = await traces(`establishmentId=${establishmentId}`, admin);
    expect(mine.items.length).toBeGreaterThan(5);
    expect(mine.items.every((i) => i.establishmentId === establishmentId)).toBe(true);
    const other = await traces(`establishmentId=${otherEstablishmentId}`);
    expect(other.items.map((i) => i.objectId)).toContain(otherIncidentId);
    expect(other.items.every((i) => i.objectId !== incidentId)).toBe(true);

    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await traces(`from=${encodeURIComponent(future)}`)).items).toEqual([]);
    expect((await traces(`to=${encodeURIComponent("2000-01-01T00:00:00Z")}`)).items).toEqual([]);

    // Keyset pages: every trace once, newest first.
    const all = await traces("limit=500");
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Trace[]; nextCursor: string | null } = await traces(
        `limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((i) => i.id));
    expect(new Set(seen).size).toBe(seen.length);
  });

  test("CSV export with the same filters", async () => {
    await t.app.accessTraces.flush();
    const res = await get(`/api/v1/access-traces.csv?userId=${rssi.id}`, ars);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/csv");
    expect(res.headers["cache-control"]).toBe("no-store");
    const lines = res.body
      .replace(/^\uFEFF/, "")
      .trim()
      .split("\r\n");
    expect(lines[0]).toContain("date;type_acteur;id_acteur");
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).every((l) => l.includes(rssi.id) && l.includes(incidentId))).toBe(true);
  });

  test("a user agent that looks like a formula is exported inert", async () => {
    await get(`/api/v1/incidents/${incidentId}`, analyst.headers, { "user-agent": '=HYPERLINK("x")' });
    await t.app.accessTraces.flush();
    const csv = (await get(`/api/v1/access-traces.csv?userId=${analyst.id}`, admin)).body;
    expect(csv).toContain("'=HYPERLINK");
    expect(csv).not.toMatch(/;=HYPERLINK/);
  });

  test("bad filters are a 400 naming the field", async () => {
    const res = await get("/api/v1/access-traces?userId=nope", ars);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: 400 });
    expect(res.body).toContain("userId");
    expect((await get("/api/v1/access-traces?cursor=abc", ars)).statusCode).toBe(400);
  });

  test("RSSIs, analysts, API keys and others are refused; an RSSI never sees traces", async () => {
    const taskforce = (await login(t.app, (await createUser(t.db, { role: "taskforce" })).email)).bearer;
    for (const headers of [rssi.headers, analyst.headers, apiKey, taskforce]) {
      for (const url of [
        "/api/v1/access-traces",
        `/api/v1/access-traces?establishmentId=${establishmentId}`,
        "/api/v1/access-traces.csv",
      ]) {
        const res = await get(url, headers);
        expect(res.statusCode, url).toBe(403);
        expect(res.headers["content-type"]).toContain("application/problem+json");
        expect(res.body).not.toContain(incidentId);
      }
    }
    expect((await t.app.inject({ method: "GET", url: "/api/v1/access-traces" })).statusCode).toBe(401);
  });
});

describe("from where, behind the proxies", () => {
  test("the client address comes from X-Forwarded-For behind TRUST_PROXY; what is not an address is not kept", async () => {
    const proxied = await buildApp({ ...t.config, TRUST_PROXY: "127.0.0.1" });
    try {
      await proxied.ready();
      const user = await createUser(t.db, { role: "analyst" });
      const signIn = await proxied.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        payload: { email: user.email, password: user.password },
      });
      const headers = { authorization: `Bearer ${signIn.json().accessToken}` };
      for (const forwarded of ["203.0.113.9", "not-an-address"]) {
        const res = await proxied.inject({
          method: "GET",
          url: `/api/v1/incidents/${incidentId}`,
          headers: { ...headers, "x-forwarded-for": forwarded },
        });
        expect(res.statusCode).toBe(200);
      }
      await proxied.accessTraces.flush();
      const rows = await t.db
        .select({ ip: accessTraces.ip })
        .from(accessTraces)
        .where(eq(accessTraces.userId, user.id));
      expect(rows.map((r) => r.ip).sort()).toEqual(["203.0.113.9", null]);
    } finally {
      await proxied.close();
    }
  });
});

describe("retention", () => {
  test("traces older than ACCESS_TRACE_RETENTION_DAYS are pruned, the others kept", async () => {
    await t.app.accessTraces.flush();
    const now = new Date();
    const [old] = await t.db
      .insert(accessTraces)
      .values({
        at: new Date(now.getTime() - 366 * 86_400_000),
        userId: analyst.id,
        role: "analyst",
        objectKind: "incident",
        objectId: incidentId,
        action: "getIncident",
        method: "GET",
        path: `/api/v1/incidents/${incidentId}`,
        statusCode: 200,
      })
      .returning();
    const before = (await t.db.select({ id: accessTraces.id }).from(accessTraces)).length;
    const result = await pruneAccessTraces(
      { db: t.db, config: t.config, logger: createLogger(t.config) },
      now,
    );
    expect(result.deleted).toBe(1);
    expect(await t.db.select().from(accessTraces).where(eq(accessTraces.id, old!.id))).toEqual([]);
    expect((await t.db.select({ id: accessTraces.id }).from(accessTraces)).length).toBe(before - 1);
  });
});
