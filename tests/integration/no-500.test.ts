import fc from "fast-check";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bulletinDraft } from "../support/bulletin-fixtures.ts";
import {
  createEstablishment,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/** Nothing a client sends produces a 500: random bodies, mutated declarations, random query strings. */
let t: TestApp;
let admin: Record<string, string>;
let rssi: Record<string, string>;
let establishmentId: string;
let userId: string;

beforeAll(async () => {
  t = await startTestApp();
  establishmentId = (await createEstablishment(t.db)).id;
  const rssiUser = await createUser(t.db, { role: "rssi", establishmentId });
  userId = rssiUser.id;
  rssi = (await login(t.app, rssiUser.email)).bearer;
  admin = (await login(t.app, (await createUser(t.db, { role: "admin" })).email)).bearer;
});
afterAll(() => t.close());

function expectClientError(
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  what: string,
) {
  expect(res.statusCode, `${what} → ${res.body}`).toBeLessThan(500);
  if (res.statusCode >= 400)
    expect(String(res.headers["content-type"])).toContain("application/problem+json");
}

const json = fc.jsonValue({ maxDepth: 3 });

test("random JSON bodies on every write route", async () => {
  const routes: [string, string, Record<string, string>][] = [
    ["POST", "/api/v1/incidents", rssi],
    ["POST", "/api/v1/auth/login", {}],
    ["POST", "/api/v1/establishments", admin],
    ["PATCH", `/api/v1/establishments/${establishmentId}`, admin],
    ["POST", "/api/v1/users", admin],
    ["PATCH", `/api/v1/users/${userId}`, admin],
    ["POST", "/api/v1/ghts", admin],
    ["POST", `/api/v1/establishments/${establishmentId}/api-keys`, admin],
  ];
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...routes), json, async ([method, url, headers], body) => {
      const res = await t.app.inject({
        method: method as "POST",
        url,
        headers: { ...headers, "content-type": "application/json" },
        payload: JSON.stringify(body),
      });
      expectClientError(res, `${method} ${url} ${JSON.stringify(body)}`);
    }),
    { numRuns: 300 },
  );
});

test("declarations with one field replaced by anything", async () => {
  const valid = declaration() as unknown as Record<string, unknown>;
  const fields = [
    ...Object.keys(valid),
    "establishmentId",
    "startedAt",
    "affectedServicesOther",
    "measuresTaken",
  ];
  const weird = fc.oneof(
    json,
    fc.string({ maxLength: 300 }),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.integer(),
    fc.double(),
    fc.constantFrom("0000-00-00T00:00:00Z", "9999-12-31T23:59:59Z", "1900-01-01T00:00:00Z", "\u0000", "NaN"),
    fc.array(
      fc.record({ type: fc.constantFrom("ipv4", "ipv6", "cidr", "url", "cve", "md5"), value: fc.string() }),
      { maxLength: 3 },
    ),
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...fields), weird, async (field, value) => {
      const body = { ...valid, [field]: value };
      const res = await t.app.inject({
        method: "POST",
        url: "/api/v1/incidents",
        headers: rssi,
        payload: body,
      });
      expectClientError(res, `${field}=${JSON.stringify(value)}`);
    }),
    { numRuns: 400 },
  );
});

test("random query strings and path parameters on read routes", async () => {
  const paths = ["/api/v1/incidents", "/api/v1/establishments", "/api/v1/users"];
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...paths),
      fc.dictionary(
        fc.constantFrom(
          "limit",
          "cursor",
          "status",
          "severity",
          "q",
          "declaredFrom",
          "establishmentId",
          "role",
          "territory",
        ),
        fc.string({ maxLength: 40 }),
      ),
      fc.string({ maxLength: 60 }),
      async (path, query, id) => {
        const qs = new URLSearchParams(query).toString();
        expectClientError(
          await t.app.inject({ method: "GET", url: `${path}?${qs}`, headers: admin }),
          `${path}?${qs}`,
        );
        expectClientError(
          await t.app.inject({ method: "GET", url: `${path}?${qs}`, headers: rssi }),
          `${path}?${qs}`,
        );
        const url = `${path}/${encodeURIComponent(id)}`;
        expectClientError(await t.app.inject({ method: "GET", url, headers: rssi }), url);
      },
    ),
    { numRuns: 200 },
  );
});

test("random bodies and query strings on the exercise routes", async () => {
  const ars = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;
  const created = await t.app.inject({
    method: "POST",
    url: "/api/v1/exercises",
    headers: rssi,
    payload: {
      kind: "tabletop",
      level: "beginner",
      title: "Exercice",
      scenario: "Panne",
      objectives: [],
      plannedOn: "2025-01-10",
      participants: "",
      organiser: "DSI",
      establishmentIds: [establishmentId],
    },
  });
  expect(created.statusCode).toBe(201);
  const exerciseId = created.json().id as string;
  const participationId = created.json().participations[0].id as string;
  await t.app.inject({
    method: "POST",
    url: `/api/v1/exercises/${exerciseId}/hold`,
    headers: rssi,
    payload: { heldOn: "2025-01-10" },
  });
  const someId = "01900000-0000-7000-8000-000000000000";
  const writes: [string, string, Record<string, string>][] = [
    ["POST", "/api/v1/exercises", rssi],
    ["POST", "/api/v1/exercises", ars],
    ["PATCH", `/api/v1/exercises/${exerciseId}`, rssi],
    ["POST", `/api/v1/exercises/${exerciseId}/hold`, rssi],
    ["POST", `/api/v1/exercises/${exerciseId}/cancel`, rssi],
    ["PUT", `/api/v1/participations/${participationId}/retex`, rssi],
    ["POST", `/api/v1/participations/${participationId}/findings`, rssi],
    ["POST", `/api/v1/participations/${participationId}/actions`, rssi],
    ["PATCH", `/api/v1/participations/${participationId}/actions/${someId}`, rssi],
    ["POST", `/api/v1/participations/${participationId}/return`, ars],
    ["PUT", `/api/v1/participations/${participationId}/share`, rssi],
    ["POST", `/api/v1/exercises/${exerciseId}/participations`, rssi],
    ["POST", `/api/v1/exercises/${exerciseId}/participations`, ars],
  ];
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...writes), json, async ([method, url, headers], body) => {
      const res = await t.app.inject({
        method: method as "POST",
        url,
        headers: { ...headers, "content-type": "application/json" },
        payload: JSON.stringify(body),
      });
      expectClientError(res, `${method} ${url} ${JSON.stringify(body)}`);
    }),
    { numRuns: 300 },
  );
  // Participants: ids that exist, that do not, twice the same; any path id on removal.
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(rssi, ars),
      fc.array(fc.oneof(fc.uuid({ version: 7 }), fc.constant(establishmentId)), { maxLength: 5 }),
      fc.oneof(fc.string({ maxLength: 40 }), fc.uuid({ version: 7 }), fc.constant(participationId)),
      async (headers, establishmentIds, removed) => {
        const add = await t.app.inject({
          method: "POST",
          url: `/api/v1/exercises/${exerciseId}/participations`,
          headers,
          payload: { establishmentIds },
        });
        expectClientError(add, `add ${JSON.stringify(establishmentIds)}`);
        const url = `/api/v1/exercises/${exerciseId}/participations/${encodeURIComponent(removed)}`;
        expectClientError(await t.app.inject({ method: "DELETE", url, headers }), url);
      },
    ),
    { numRuns: 100 },
  );
  const reads = [
    "/api/v1/exercises",
    "/api/v1/exercises/completion",
    "/api/v1/exercises/completion/late",
    "/api/v1/exercises/completion.csv",
    "/api/v1/exercises/findings",
    "/api/v1/retex/shared",
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...reads),
      fc.dictionary(
        fc.constantFrom("year", "kind", "establishmentId", "limit", "cursor", "territory", "category"),
        fc.oneof(fc.string({ maxLength: 40 }), fc.integer().map(String)),
      ),
      async (path, query) => {
        const url = `${path}?${new URLSearchParams(query).toString()}`;
        expectClientError(await t.app.inject({ method: "GET", url, headers: ars }), url);
        expectClientError(await t.app.inject({ method: "GET", url, headers: rssi }), url);
      },
    ),
    { numRuns: 200 },
  );
});

test("alert bulletins: random bodies, drafts with one field replaced by anything, random links and queries", async () => {
  const analyst = (await login(t.app, (await createUser(t.db, { role: "analyst" })).email)).bearer;
  const valid = bulletinDraft({ audience: { establishmentIds: [establishmentId] } });
  const draftId = (
    await t.app.inject({ method: "POST", url: "/api/v1/bulletins", headers: analyst, payload: valid })
  ).json().id as string;
  const publishedId = (
    await t.app.inject({ method: "POST", url: "/api/v1/bulletins", headers: analyst, payload: valid })
  ).json().id as string;
  await t.app.inject({ method: "POST", url: `/api/v1/bulletins/${publishedId}/publish`, headers: analyst });
  const routes: [string, string][] = [
    ["POST", "/api/v1/bulletins"],
    ["PUT", `/api/v1/bulletins/${draftId}`],
    ["DELETE", `/api/v1/bulletins/${publishedId}`],
    ["POST", "/api/v1/bulletins/audience-preview"],
    ["POST", `/api/v1/bulletins/${publishedId}/revisions`],
    ["POST", `/api/v1/bulletins/${publishedId}/answer`],
    ["POST", `/api/v1/bulletins/${draftId}/publish`],
    ["POST", `/api/v1/bulletin-acks/${"x".repeat(40)}`],
  ];
  const weird = fc.oneof(
    json,
    fc.string({ maxLength: 300 }),
    fc.integer(),
    fc.array(fc.string(), { maxLength: 3 }),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...routes),
      fc.oneof(
        json,
        fc.constantFrom(...Object.keys(valid)).chain((field) => weird.map((v) => ({ ...valid, [field]: v }))),
      ),
      async ([method, url], body) => {
        for (const headers of [analyst, rssi]) {
          const res = await t.app.inject({
            method: method as "POST",
            url,
            headers: { ...headers, "content-type": "application/json" },
            payload: JSON.stringify(body),
          });
          expectClientError(res, `${method} ${url} ${JSON.stringify(body)}`);
        }
      },
    ),
    { numRuns: 300 },
  );
  await fc.assert(
    fc.asyncProperty(
      fc.string({ maxLength: 250 }),
      fc.dictionary(fc.constantFrom("limit", "cursor", "status", "kind"), fc.string({ maxLength: 40 })),
      async (token, query) => {
        const link = `/api/v1/bulletin-acks/${encodeURIComponent(token)}`;
        expectClientError(await t.app.inject({ method: "GET", url: link }), link);
        const answer = await t.app.inject({ method: "POST", url: link, payload: { answer: "fixed" } });
        expectClientError(answer, link);
        const list = `/api/v1/bulletins?${new URLSearchParams(query).toString()}`;
        expectClientError(await t.app.inject({ method: "GET", url: list, headers: analyst }), list);
        expectClientError(await t.app.inject({ method: "GET", url: list, headers: rssi }), list);
      },
    ),
    { numRuns: 200 },
  );
});
