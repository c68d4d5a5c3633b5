import type { App } from "@pris/api";
import { type Db, onCallSlots } from "@pris/db";
import fc from "fast-check";
import { bulletinDraft } from "../support/bulletin-fixtures.ts";
import { createApiKey, createEstablishment, createUser, declaration, login } from "../support/fixtures.ts";

/**
 * Hostile requests for every operation of the OpenAPI document, shared by the fuzz test (a few hundred
 * per operation) and `pnpm fuzz` (ten thousand). Each request is judged on what any answer to bad
 * input must be: never a 5xx, an error always in problem+json, never a stack, SQL or the input itself
 * echoed back, and a caller whose role may not call the route told so (401/403) whatever it sent.
 */

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  pattern?: string;
};

type Access = "public" | "optional" | string[];

/** A valid exercise for one establishment: the seed the fuzzer's exercise routes start from. */
export function plannedExercise(establishmentId: string) {
  return {
    kind: "tabletop",
    level: "beginner",
    title: "Exercice",
    scenario: "Panne",
    objectives: [],
    plannedOn: "2025-01-10",
    participants: "",
    organiser: "DSI",
    establishmentIds: [establishmentId],
  };
}

export interface Operation {
  method: string;
  /** The OpenAPI path, `{name}` for each parameter. */
  path: string;
  operationId: string;
  access: Access;
  pathParams: string[];
  query: Record<string, Schema>;
  body?: Schema;
  /** Answers with an event stream that stays open: fuzzed only by callers who are refused. */
  stream: boolean;
}

/** The document with every `$ref` to one of its own components replaced by what it names. */
function dereferenced(document: unknown): unknown {
  const resolve = (node: unknown, seen: string[]): unknown => {
    if (Array.isArray(node)) return node.map((n) => resolve(n, seen));
    if (typeof node !== "object" || node === null) return node;
    const { $ref, ...rest } = node as Record<string, unknown>;
    if (typeof $ref === "string" && $ref.startsWith("#/") && !seen.includes($ref)) {
      let target: unknown = document;
      for (const key of $ref.slice(2).split("/")) target = (target as Record<string, unknown>)[key];
      return { ...(resolve(target, [...seen, $ref]) as object), ...rest };
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v, seen)]));
  };
  return resolve(document, []);
}

/** Every operation of the API, from the document the server builds from its own routes. */
export function operationsOf(document: unknown): Operation[] {
  const doc = dereferenced(document) as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (!path.startsWith("/api/")) continue;
    for (const [method, op] of Object.entries(methods)) {
      if (method === "head") continue;
      const parameters = (op.parameters ?? []) as { in: string; name: string; schema: Schema }[];
      const body = (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)
        ?.content?.["application/json"]?.schema;
      const ok = (op.responses as Record<string, { content?: Record<string, unknown> }> | undefined)?.["200"];
      out.push({
        stream: Boolean(ok?.content?.["text/event-stream"]),
        method: method.toUpperCase(),
        path,
        operationId: String(op.operationId ?? `${method} ${path}`),
        access: (op["x-access"] ?? "public") as Access,
        pathParams: parameters.filter((p) => p.in === "path").map((p) => p.name),
        query: Object.fromEntries(parameters.filter((p) => p.in === "query").map((p) => [p.name, p.schema])),
        ...(body ? { body } : {}),
      });
    }
  }
  return out;
}

export interface Caller {
  name: string;
  /** The role the server will see, or null when it sees nobody. */
  role: string | null;
  headers: Record<string, string>;
}

export interface World {
  callers: Caller[];
  /** Signs every person in again, in the same callers (a fuzzed logout ends the caller's session). */
  renewSessions(): Promise<void>;
  /** Ids of real rows (incidents, establishments, exercises, participations, bulletins, users, invitations). */
  ids: string[];
}

/** A small region: one establishment, a person of each role, an API key, and a row of each kind. */
export async function buildWorld(app: App, db: Db): Promise<World> {
  const establishment = await createEstablishment(db);
  const people: Record<string, Awaited<ReturnType<typeof login>>> = {};
  const emails: Record<string, string> = {};
  // Not the callers' own ids: an administrator's fuzzed PATCH must not change who a caller is.
  const bystander = await createUser(db, { role: "rssi", establishmentId: establishment.id });
  const ids: string[] = [establishment.id, bystander.id];
  for (const role of ["admin", "analyst", "taskforce", "ars", "rssi"] as const) {
    const user = await createUser(db, {
      role,
      establishmentId: role === "rssi" ? establishment.id : null,
    });
    people[role] = await login(app, user.email);
    emails[role] = user.email;
  }
  const key = await createApiKey(db, establishment.id);
  const bearer = (role: string) => people[role]!.bearer;
  const incident = await app.inject({
    method: "POST",
    url: "/api/v1/incidents",
    headers: bearer("rssi"),
    payload: declaration(),
  });
  ids.push(incident.json().id);
  const exercise = await app.inject({
    method: "POST",
    url: "/api/v1/exercises",
    headers: bearer("rssi"),
    payload: plannedExercise(establishment.id),
  });
  ids.push(exercise.json().id, exercise.json().participations[0].id);
  const bulletin = await app.inject({
    method: "POST",
    url: "/api/v1/bulletins",
    headers: bearer("analyst"),
    payload: bulletinDraft({ audience: { establishmentIds: [establishment.id] } }),
  });
  ids.push(bulletin.json().id);
  // A slot of the on-call rota, held by an analyst who is not a caller.
  const onDuty = await createUser(db, { role: "analyst" });
  const [slot] = await db
    .insert(onCallSlots)
    .values({ startMinute: 0, endMinute: 60, primaryUserId: onDuty.id })
    .returning({ id: onCallSlots.id });
  ids.push(slot!.id, onDuty.id);
  const invitation = await app.inject({
    method: "POST",
    url: "/api/v1/invitations",
    headers: bearer("admin"),
    payload: {
      email: "fuzz-invitee@pris.test",
      displayName: "Invité",
      role: "rssi",
      establishmentId: establishment.id,
    },
  });
  ids.push(invitation.json().id);
  const callers: Caller[] = [
    ...Object.entries(people).map(([role, p]) => ({ name: role, role, headers: p.bearer })),
    { name: "rssi (cookie)", role: "rssi", headers: people.rssi!.cookie },
    { name: "api key", role: "api_key", headers: { authorization: `ApiKey ${key.key}` } },
    { name: "anonymous", role: null, headers: {} },
  ];
  async function renewSessions() {
    for (const [role, email] of Object.entries(emails)) {
      const fresh = await login(app, email);
      for (const caller of callers) {
        if (caller.role !== role) continue;
        Object.assign(caller.headers, caller.name.endsWith("(cookie)") ? fresh.cookie : fresh.bearer);
      }
    }
  }
  return { callers, renewSessions, ids };
}

// --- Values -------------------------------------------------------------------------------------------

const HUGE = 100 * 1024;
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constant("x".repeat(HUGE)),
  fc.constant("a\u0000b"),
  fc.constant("\u0000"),
  fc.constant("\ud800"),
  fc.constant("' OR 1=1 --"),
  fc.constant("<script>alert(1)</script>"),
  fc.constant("../../../../etc/passwd"),
  fc.constant(["$", "{7*7}{{7*7}}"].join("")),
  fc.constant("0000-00-00T00:00:00Z"),
  fc.constant("9999-12-31T23:59:59.999999999Z"),
  fc.constant("ffffffff-ffff-ffff-ffff-ffffffffffff"),
  fc.constant("NaN"),
);
const hugeNumber = fc.constantFrom(
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  -0,
  2 ** 31,
  -(2 ** 63),
  0.1,
  1e-320,
);
/** Numbers JSON can spell but JavaScript cannot hold, written as raw text. */
const hugeNumberText = fc.constantFrom("1e400", "-1e400", "123456789012345678901234567890", "1.0e+", "0x10");

const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hugeNumber,
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.jsonValue({ maxDepth: 2 }),
  fc.array(hostileString, { maxLength: 3 }),
);

/** A value that fits the schema, roughly: enough to get past the first checks and reach deeper ones. */
function plausible(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return fc.constant(null);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const union = schema.oneOf ?? schema.anyOf;
  if (union && union.length > 0) return fc.oneof(...union.map((s) => plausible(s, depth + 1)));
  if (schema.allOf && schema.allOf.length > 0) return plausible(schema.allOf[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object": {
      const props = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of Object.entries(props)) model[k] = plausible(s, depth + 1);
      return fc.record(model, {
        requiredKeys: Object.keys(props).filter((k) => required.has(k)),
      });
    }
    case "array":
      return fc.array(plausible(schema.items, depth + 1), { maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case "integer":
      return fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 1000, 1_000_000) });
    case "number":
      return fc.double({ min: schema.minimum ?? 0, max: schema.maximum ?? 1000, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "string":
      switch (schema.format) {
        case "uuid":
          return fc.uuid({ version: 7 });
        case "date-time":
          return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
        case "date":
          return fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
        case "email":
          return fc.emailAddress();
        case "uri":
          return fc.webUrl();
        default:
          return fc.string({
            minLength: schema.minLength ?? 0,
            maxLength: Math.max(schema.minLength ?? 0, Math.min(schema.maxLength ?? 30, 30)),
          });
      }
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}

function topLevelKeys(schema: Schema | undefined): string[] {
  if (!schema) return [];
  const keys = new Set(Object.keys(schema.properties ?? {}));
  for (const s of [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])])
    for (const k of Object.keys(s.properties ?? {})) keys.add(k);
  return [...keys];
}

// --- Requests -----------------------------------------------------------------------------------------

export interface FuzzRequest {
  caller: Caller;
  shape: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** The path itself is broken on purpose: the router answers before any hook. */
  brokenPath: boolean;
}

interface Body {
  shape: string;
  payload?: string | Buffer;
  contentType?: string;
}

const json = (v: unknown) => JSON.stringify(v);
/** encodeURIComponent refuses lone surrogates: send their UTF-8 bytes as a careless client would. */
const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return "%ED%A0%80";
  }
};

function bodies(op: Operation): fc.Arbitrary<Body> {
  const keys = topLevelKeys(op.body);
  const key = keys.length > 0 ? fc.constantFrom(...keys) : fc.string({ maxLength: 10 });
  const base = plausible(op.body) as fc.Arbitrary<Record<string, unknown> | unknown>;
  const asObject = (v: unknown) => (v && typeof v === "object" && !Array.isArray(v) ? v : {});
  const shapes: fc.Arbitrary<Body>[] = [
    base.map((v) => ({ shape: "plausible", payload: json(v) })),
    fc
      .tuple(base, key, wrongValue)
      .map(([v, k, w]) => ({ shape: "one field wrong", payload: json({ ...asObject(v), [k]: w }) })),
    fc
      .integer({ min: 33, max: 20_000 })
      .chain((n) =>
        fc.constantFrom(
          { shape: "deep arrays", payload: "[".repeat(n) + "]".repeat(n) },
          { shape: "deep arrays, unclosed", payload: "[".repeat(n) },
          { shape: "deep objects", payload: `${'{"a":'.repeat(n)}1${"}".repeat(n)}` },
        ),
      ),
    key.map((k) => ({
      shape: "deep in a field",
      payload: `{"${k}":${"[".repeat(5000)}${"]".repeat(5000)}}`,
    })),
    fc.tuple(base, key).map(([v, k]) => ({
      shape: "100 KB string",
      payload: json({ ...asObject(v), [k]: "é".repeat(HUGE / 2) }),
    })),
    fc
      .tuple(base, key)
      .map(([v, k]) => ({ shape: "NUL", payload: json({ ...asObject(v), [k]: "a\u0000b", "\u0000": 1 }) })),
    fc.tuple(base, key).map(([v, k]) => ({
      shape: "invalid UTF-8",
      payload: Buffer.concat([
        Buffer.from(`{"${k}":"`),
        Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
        Buffer.from(`","x":${json(asObject(v))}}`),
      ]),
    })),
    fc.constantFrom(
      { shape: "__proto__", payload: '{"__proto__":{"role":"admin","isAdmin":true}}' },
      { shape: "constructor", payload: '{"constructor":{"prototype":{"polluted":true}}}' },
      { shape: "__proto__ nested", payload: '{"a":[{"b":{"__proto__":{"x":1}}}]}' },
    ),
    fc.tuple(key, hugeNumberText).map(([k, n]) => ({ shape: "huge number", payload: `{"${k}":${n}}` })),
    fc.tuple(base, key, wrongValue).map(([v, k, w]) => ({
      shape: "duplicate keys",
      payload: `{${json(k)}:${json(w)},${json(asObject(v)).slice(1, -1) || '"z":0'},${json(k)}:${json(w)}}`,
    })),
    fc.jsonValue({ maxDepth: 4 }).map((v) => ({ shape: "any JSON", payload: json(v) })),
    fc.constantFrom(
      { shape: "empty", payload: "" },
      { shape: "not JSON", payload: "{'a': 1,}" },
      { shape: "truncated", payload: '{"a": "' },
      { shape: "JSON null", payload: "null" },
      { shape: "JSON string", payload: '"x"' },
    ),
    fc
      .tuple(
        base,
        fc.constantFrom(
          "text/plain",
          "application/xml",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "application/json; charset=latin1",
          "application/jsonx",
          "application/json, text/plain",
          "",
        ),
      )
      .map(([v, contentType]) => ({
        shape: `content-type ${contentType || "(empty)"}`,
        payload: json(v),
        contentType,
      })),
  ];
  return fc.oneof(...shapes);
}

function queries(op: Operation): fc.Arbitrary<string> {
  const names = Object.keys(op.query);
  const name = fc.oneof(
    ...(names.length > 0 ? [fc.constantFrom(...names)] : []),
    fc.constantFrom("__proto__", "constructor", "a[b]", "a.b", "", "limit"),
  );
  const value = fc.oneof(
    hostileString.map((s) => encode(s.slice(0, 2000))),
    fc.constantFrom("%00", "%ff%fe", "%E0%A4%A", "%", "%%", "1e400", "-1", "99999999999999999999", "true"),
  );
  const pair = fc.tuple(name, value).map(([n, v]) => `${encode(n)}=${v}`);
  return fc.oneof(
    fc.constant(""),
    fc.array(pair, { minLength: 1, maxLength: 4 }).map((p) => `?${p.join("&")}`),
    name.map((n) => `?${encode(n)}=1&${encode(n)}=2`),
    fc.constant(`?${"a=1&".repeat(2000)}`),
  );
}

/**
 * Values the router cannot take as a path segment (dot segments, bytes that are not UTF-8): it answers
 * 400 or 404 before any hook, so the route's access rule cannot be what decides.
 */
const unroutable = (value: string) => /^\.{1,2}$|^\.\.|%2e|%ED%A0%80/i.test(value);

function paramValues(world: World): fc.Arbitrary<{ value: string; broken: boolean }> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...world.ids).map((value) => ({ value, broken: false })) },
    { weight: 2, arbitrary: fc.uuid({ version: 7 }).map((value) => ({ value, broken: false })) },
    {
      weight: 2,
      arbitrary: hostileString
        .filter((s) => s.length < 90)
        .map((s) => encode(s) || "x")
        .map((value) => ({ value, broken: unroutable(value) })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { value: "x".repeat(5000), broken: true },
        { value: "%E0%A4%A", broken: true },
        { value: "%", broken: true },
        { value: "%00", broken: false },
        { value: "..%2f..%2f", broken: true },
        { value: "%2e%2e", broken: true },
      ),
    },
  );
}

const badHeaders = fc.constantFrom<Record<string, string>>(
  {},
  { authorization: "Bearer " },
  { authorization: "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0." },
  { authorization: `Bearer ${"a".repeat(8000)}` },
  { authorization: "ApiKey pris_abc_def" },
  { authorization: "Basic YWRtaW46YWRtaW4=" },
  { authorization: "\u00e9" },
  { cookie: "pris_session=garbage" },
  { cookie: `pris_session=${"x".repeat(4000)}; pris_session=y` },
  { "x-csrf-token": "x" },
  { "x-request-id": "../../etc" },
  { "x-request-id": "a".repeat(500) },
  { "idempotency-key": "x".repeat(300) },
  { "idempotency-key": "" },
  { accept: "text/html" },
  { accept: "application/xml" },
  { "accept-encoding": "gzip;q=x" },
  { "x-forwarded-for": "1.1.1.1, ::1, garbage" },
);

export function requests(op: Operation, world: World): fc.Arbitrary<FuzzRequest> {
  const params = fc.array(paramValues(world), {
    minLength: op.pathParams.length,
    maxLength: op.pathParams.length,
  });
  const withBody = op.method !== "GET" && op.method !== "DELETE";
  const callers =
    op.stream && Array.isArray(op.access)
      ? world.callers.filter((c) => c.role === null || !op.access.includes(c.role))
      : world.callers;
  return fc
    .record({
      caller: fc.constantFrom(...callers),
      params,
      query: queries(op),
      extra: badHeaders,
      body: withBody ? bodies(op) : fc.constant<Body>({ shape: "no body" }),
    })
    .map(({ caller, params: values, query, extra, body }) => {
      let path = op.path;
      op.pathParams.forEach((name, i) => {
        path = path.replace(`{${name}}`, values[i]!.value);
      });
      const headers: Record<string, string> = { ...extra, ...caller.headers };
      if (body.payload !== undefined) {
        const type = body.contentType ?? "application/json";
        if (type) headers["content-type"] = type;
      }
      return {
        caller,
        shape: body.shape,
        method: op.method,
        url: path + query,
        headers,
        ...(body.payload !== undefined ? { payload: body.payload } : {}),
        brokenPath: values.some((v) => v.broken),
      };
    });
}

// --- Judging ------------------------------------------------------------------------------------------

export interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/** What an error body must never hold: a stack frame, a path on the server, SQL or a driver's words. */
const LEAKS = [
  /\bat [\w.<>]+ \(/,
  /at \//,
  /node_modules/,
  /\/services\/|\/packages\//,
  /\bSELECT\b/,
  /\bINSERT INTO\b/,
  /\bUPDATE \w+ SET\b/,
  /\bDELETE FROM\b/,
  /violates|duplicate key|syntax error at|relation "|column "/i,
  /"stack"/,
  /error:/i,
  /FST_ERR/,
];
/** An error answer is a short message: anything longer has copied what it was sent. */
const MAX_ERROR_BYTES = 4096;

export interface Failure {
  kind: "5xx" | "non-problem" | "echo" | "access" | "hang";
  detail: string;
}

export function judge(op: Operation, request: FuzzRequest, answer: Answer): Failure[] {
  const failures: Failure[] = [];
  const what = `${request.caller.name} ${request.method} ${request.url.slice(0, 120)} [${request.shape}] → ${answer.statusCode}`;
  if (answer.statusCode >= 500)
    failures.push({ kind: "5xx", detail: `${what} ${answer.body.slice(0, 300)}` });
  if (answer.statusCode >= 400) {
    if (!String(answer.headers["content-type"] ?? "").startsWith("application/problem+json")) {
      failures.push({ kind: "non-problem", detail: `${what} ${String(answer.headers["content-type"])}` });
    }
    const leak = LEAKS.find((re) => re.test(answer.body));
    if (leak || answer.body.length > MAX_ERROR_BYTES) {
      failures.push({
        kind: "echo",
        detail: `${what} ${leak ? `matches ${leak}` : `${answer.body.length} bytes`}: ${answer.body.slice(0, 300)}`,
      });
    }
  }
  if (!request.brokenPath && Array.isArray(op.access)) {
    const expected =
      request.caller.role === null ? 401 : op.access.includes(request.caller.role) ? undefined : 403;
    // A bad credential header sent along is refused before the role is known: 401 also tells the truth.
    if (expected !== undefined && answer.statusCode !== expected && answer.statusCode !== 401) {
      failures.push({
        kind: "access",
        detail: `${what}, expected ${expected}: ${answer.body.slice(0, 200)}`,
      });
    }
  }
  return failures;
}

export interface Tally {
  operation: string;
  requests: number;
  fiveXX: number;
  nonProblem: number;
  echoes: number;
  access: number;
  /** No answer within ANSWER_WITHIN_MS. */
  hangs: number;
  slowest4xxMs: number;
  slowest4xx: string;
  /** How long each 4xx answer took, for percentiles. */
  durations4xx: number[];
  elapsedMs: number;
  failures: Failure[];
}

const ANSWER_WITHIN_MS = 10_000;
const BATCH = 250;

/** Sends `runs` hostile requests to one operation, seeded, and counts what went wrong. */
export async function fuzzOperation(
  app: App,
  op: Operation,
  world: World,
  options: { runs: number; seed: number },
): Promise<Tally> {
  const tally: Tally = {
    operation: `${op.method} ${op.path}`,
    requests: 0,
    fiveXX: 0,
    nonProblem: 0,
    echoes: 0,
    access: 0,
    hangs: 0,
    slowest4xxMs: 0,
    slowest4xx: "",
    durations4xx: [],
    elapsedMs: 0,
    failures: [],
  };
  const began = performance.now();
  const arbitrary = requests(op, world);
  // Drawn a batch at a time: ten thousand requests with 100 KB bodies would not fit in memory at once.
  for (let batch = 0; batch * BATCH < options.runs; batch++) {
    const samples = fc.sample(arbitrary, {
      numRuns: Math.min(BATCH, options.runs - batch * BATCH),
      seed: (options.seed + batch * 7919) | 0,
    });
    await sendAll(samples);
  }
  tally.elapsedMs = performance.now() - began;
  // A logout (or ending one's own session) is fuzzed with the callers' real sessions: they end.
  if (op.operationId === "logout" || op.operationId === "endMySession") await world.renewSessions();
  return tally;

  async function sendAll(samples: FuzzRequest[]) {
    for (const request of samples) {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const answer = await Promise.race([
        app.inject({
          method: request.method as "GET",
          url: request.url,
          headers: request.headers,
          ...(request.payload !== undefined ? { payload: request.payload } : {}),
        }),
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), ANSWER_WITHIN_MS);
        }),
      ]);
      clearTimeout(timer);
      const ms = performance.now() - started;
      tally.requests++;
      if (answer === null) {
        tally.hangs++;
        if (tally.failures.length < 5)
          tally.failures.push({
            kind: "hang",
            detail: `${request.caller.name} ${request.url} [${request.shape}]`,
          });
        continue;
      }
      if (answer.statusCode >= 400 && answer.statusCode < 500) tally.durations4xx.push(ms);
      if (answer.statusCode >= 400 && answer.statusCode < 500 && ms > tally.slowest4xxMs) {
        tally.slowest4xxMs = ms;
        tally.slowest4xx = `${request.caller.name} [${request.shape}] → ${answer.statusCode}`;
      }
      for (const failure of judge(op, request, answer)) {
        if (failure.kind === "5xx") tally.fiveXX++;
        else if (failure.kind === "non-problem") tally.nonProblem++;
        else if (failure.kind === "echo") tally.echoes++;
        else tally.access++;
        if (tally.failures.length < 5) tally.failures.push(failure);
      }
    }
  }
}

/** The p-th percentile (0–100) of some durations. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
