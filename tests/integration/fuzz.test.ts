import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  buildWorld,
  fuzzOperation,
  operationsOf,
  percentile,
  plannedExercise,
  type Tally,
  type World,
} from "../fuzz/fuzz-kit.ts";
import { bulletinDraft } from "../support/bulletin-fixtures.ts";
import {
  createEstablishment,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * Every operation of the OpenAPI document gets FUZZ_RUNS hostile requests (deep nesting, 100 KB strings,
 * NUL and invalid UTF-8, prototype keys, huge numbers, wrong types, duplicate keys, wrong content types,
 * odd paths, query strings and headers), as each role and as nobody, seeded so that a failure replays.
 * 150 per operation keeps this file near a minute on a 2-core machine; `pnpm fuzz` sends 10,000.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20261206);

let t: TestApp;
let world: World;
let base: string;
/** For the targeted properties below, which start from valid rows and bodies to reach deeper code. */
let rssi: Record<string, string>;
let establishmentId: string;

beforeAll(async () => {
  // The fuzzer fails sign-ins by the hundred from one address: the throttle would refuse the later sign-ins.
  t = await startTestApp({ LOGIN_RATE_LIMIT_ADDRESS_MAX: "1000000" });
  world = await buildWorld(t.app, t.db);
  establishmentId = (await createEstablishment(t.db)).id;
  rssi = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId })).email)).bearer;
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  const address = t.app.server.address();
  if (!address || typeof address === "string") throw new Error("not listening");
  base = `http://127.0.0.1:${address.port}`;
});
afterAll(() => t.close());

test("every operation of the OpenAPI document: no 5xx, only problem+json errors, no echo, roles refused first", {
  timeout: 300_000,
}, async () => {
  const operations = operationsOf(t.app.swagger());
  expect(operations.length).toBeGreaterThan(70);
  const tallies: Tally[] = [];
  for (const [i, op] of operations.entries()) {
    tallies.push(await fuzzOperation(t.app, op, world, { runs: RUNS, seed: SEED + i }));
    if (process.env.FUZZ_VERBOSE) console.info(tallies.at(-1));
  }
  const total = (key: "requests" | "fiveXX" | "nonProblem" | "echoes" | "access") =>
    tallies.reduce((n, tally) => n + tally[key], 0);
  const slowest = tallies.reduce((a, b) => (b.slowest4xxMs > a.slowest4xxMs ? b : a));
  const p99 = percentile(
    tallies.flatMap((tally) => tally.durations4xx),
    99,
  );
  console.info(
    `fuzz: ${operations.length} operations, ${total("requests")} requests (seed ${SEED}); ` +
      `5xx ${total("fiveXX")}, non-problem ${total("nonProblem")}, echoes ${total("echoes")}, ` +
      `access ${total("access")}; 4xx p99 ${p99.toFixed(1)} ms, slowest ${slowest.slowest4xxMs.toFixed(1)} ms ` +
      `(${slowest.operation} ${slowest.slowest4xx})`,
  );
  expect(tallies.flatMap((tally) => tally.failures)).toEqual([]);
  // Still whole afterwards.
  expect((await t.app.inject({ method: "GET", url: "/health/live" })).statusCode).toBe(200);
  const [caller] = world.callers;
  const session = await t.app.inject({
    method: "GET",
    url: "/api/v1/auth/session",
    headers: caller!.headers,
  });
  expect(session.statusCode).toBe(200);
});

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function raw(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(base).port), "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk.toString("utf8");
    });
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
    socket.write(text);
  });
}

function expectProblem(answer: RawAnswer, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.headers["content-type"]).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(answer.body);
  expect(problem).toMatchObject({ status, code });
  expect(problem.requestId).toEqual(expect.any(String));
  return problem;
}

test("over real HTTP: an over-long path parameter is a 414 problem that does not echo the URL", async () => {
  const id = "x".repeat(3000);
  const answer = await get(`/api/v1/incidents/${id}`, world.callers[0]!.headers);
  expectProblem(answer, 414, "uri_too_long");
  expect(answer.body).not.toContain("xxxxxxxx");
  expect(answer.headers["cache-control"]).toBe("no-store");
});

test("over real HTTP: headers over Node's limit get a 431 problem, a garbled request a 400 problem", async () => {
  const big = await get("/api/v1/incidents", { "x-filler": "y".repeat(20_000) });
  expectProblem(big, 431, "headers_too_large");
  expect(big.body).not.toContain("yyyy");
  const garbled = await raw("NOT HTTP AT ALL\r\n\r\n");
  const [head, body] = garbled.split("\r\n\r\n");
  expect(head).toMatch(/^HTTP\/1\.1 400 /);
  expect(head).toMatch(/content-type: application\/problem\+json/i);
  expect(JSON.parse(body!)).toMatchObject({ status: 400, code: "bad_request" });
  // The server still answers on a fresh connection.
  expect((await get("/health/live")).status).toBe(200);
});

test("over real HTTP: a malformed URL, an unknown route and an unknown method answer problem+json", async () => {
  expectProblem(await get("/api/v1/incidents/%E0%A4%A"), 400, "bad_url");
  const unknown = expectProblem(await get("/api/v1/nothing-here?secret=1"), 404, "not_found");
  expect(JSON.stringify(unknown)).not.toContain("nothing-here");
  const method = await raw("PROPFIND /api/v1/incidents HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  expect(method).toMatch(/^HTTP\/1\.1 (404|405) /);
  expect(method).toMatch(/content-type: application\/problem\+json/i);
});

test("5,000 levels of nesting on the sign-in route: a 400 naming the reason, and sign-in still works", async () => {
  const res = await t.app.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    headers: { "content-type": "application/json" },
    payload: "[".repeat(5000),
  });
  expect(res.statusCode).toBe(400);
  expect(res.json()).toMatchObject({ code: "json_too_deep" });
  const inField = await t.app.inject({
    method: "POST",
    url: "/api/v1/incidents",
    headers: { ...world.callers.find((c) => c.role === "rssi")!.headers, "content-type": "application/json" },
    payload: `{"title":${"[".repeat(5000)}${"]".repeat(5000)}}`,
  });
  expect(inField.statusCode).toBe(400);
  expect(inField.json()).toMatchObject({ code: "json_too_deep" });
});

test("a role that may not call a route is refused before its body is read: 403, not the schema", async () => {
  const rssi = world.callers.find((c) => c.name === "rssi")!;
  for (const payload of ["{not json", '{"unknown": 1}', "[".repeat(5000), '{"__proto__": {}}']) {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/users",
      headers: { ...rssi.headers, "content-type": "application/json" },
      payload,
    });
    expect(res.statusCode, payload.slice(0, 20)).toBe(403);
    expect(res.json().code).toBe("forbidden");
    expect(res.json().errors).toBeUndefined();
  }
  const anonymous = await t.app.inject({
    method: "POST",
    url: "/api/v1/bulletins",
    headers: { "content-type": "application/xml" },
    payload: "<x/>",
  });
  expect(anonymous.statusCode).toBe(401);
});

// Targeted properties: one field of a valid declaration, exercise or bulletin replaced by anything, and
// the stateful routes driven into the states where their deeper checks run.

function expectClientError(
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  what: string,
) {
  expect(res.statusCode, `${what} → ${res.body}`).toBeLessThan(500);
  if (res.statusCode >= 400)
    expect(String(res.headers["content-type"])).toContain("application/problem+json");
}

const json = fc.jsonValue({ maxDepth: 3 });

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

test("random bodies and query strings on the exercise routes", async () => {
  const ars = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;
  const created = await t.app.inject({
    method: "POST",
    url: "/api/v1/exercises",
    headers: rssi,
    payload: plannedExercise(establishmentId),
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
