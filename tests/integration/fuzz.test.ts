import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildWorld, fuzzOperation, operationsOf, type Tally, type World } from "../fuzz/fuzz-kit.ts";
import { startTestApp, type TestApp } from "../support/fixtures.ts";

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

beforeAll(async () => {
  t = await startTestApp();
  world = await buildWorld(t.app, t.db);
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
  console.info(
    `fuzz: ${operations.length} operations, ${total("requests")} requests (seed ${SEED}); ` +
      `5xx ${total("fiveXX")}, non-problem ${total("nonProblem")}, echoes ${total("echoes")}, ` +
      `access ${total("access")}; slowest 4xx ${slowest.slowest4xxMs.toFixed(1)} ms ` +
      `(${slowest.operation} ${slowest.slowest4xx})`,
  );
  expect(tallies.flatMap((tally) => tally.failures)).toEqual([]);
  // Still whole afterwards.
  expect((await t.app.inject({ method: "GET", url: "/health/live" })).statusCode).toBe(200);
  const [caller] = world.callers;
  const session = await t.app.inject({ method: "GET", url: "/api/v1/auth/session", headers: caller!.headers });
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
