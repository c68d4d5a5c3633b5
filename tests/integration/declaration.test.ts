import { incidentLog, incidents, outbox } from "@pris/db";
import { incidentReference, yearInZone } from "@pris/domain";
import { eq } from "drizzle-orm";
import pg from "pg";
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

let t: TestApp;
let establishmentId: string;
let headers: Record<string, string>;
let apiKey: string;

beforeAll(async () => {
  t = await startTestApp();
  establishmentId = (await createEstablishment(t.db, { name: "CH Sud", nis2Status: "essential" })).id;
  const rssi = await createUser(t.db, { role: "rssi", establishmentId });
  headers = (await login(t.app, rssi.email)).bearer;
  apiKey = (await createApiKey(t.db, establishmentId)).key;
});
afterAll(() => t.close());

const declare = (payload: unknown, extra: Record<string, string> = {}) =>
  t.app.inject({
    method: "POST",
    url: "/api/v1/incidents",
    headers: { ...headers, ...extra },
    payload: payload as object,
  });

/** The same wall-clock time one calendar month later in La Réunion (UTC+4 all year), the day clamped to the month's end. */
function oneCalendarMonthInReunion(at: Date): string {
  const local = new Date(at.getTime() + 4 * 3_600_000);
  const [year, month] = [local.getUTCFullYear(), local.getUTCMonth() + 1];
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  local.setUTCFullYear(year, month, Math.min(local.getUTCDate(), lastDay));
  return new Date(local.getTime() - 4 * 3_600_000).toISOString();
}

describe("a declaration", () => {
  test("gets a reference, a suggested severity and the clocks that apply", async () => {
    const detectedAt = new Date(Date.now() - 3_600_000);
    const res = await declare(
      declaration({
        detectedAt: detectedAt.toISOString(),
        impactGrade: 4,
        personalData: { breach: "yes", approxPeople: 1200 },
      }),
    );
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.reference).toMatch(/^REU-\d{4}-\d{4}$/);
    expect(res.headers.location).toBe(`/api/v1/incidents/${body.id}`);
    expect(body).toMatchObject({ status: "new", severity: "P1", severitySuggested: "P1", tlp: "AMBER" });
    const due = Object.fromEntries(
      body.clocks.map((c: { kind: string; dueAt: string }) => [c.kind, c.dueAt]),
    );
    const h = (n: number) => new Date(detectedAt.getTime() + n * 3_600_000).toISOString();
    expect(due).toEqual({
      national_portal: h(24),
      gdpr_cnil: h(72),
      nis2_early_warning: h(24),
      nis2_notification: h(72),
      nis2_final_report: oneCalendarMonthInReunion(new Date(detectedAt.getTime() + 72 * 3_600_000)),
    });
    expect(body.clocks.every((c: { state: string }) => c.state === "pending")).toBe(true);
    const fetched = await t.app.inject({ method: "GET", url: `/api/v1/incidents/${body.id}`, headers });
    expect(fetched.json()).toEqual(body);
  });

  test("writes the incident, the first log entry and the outbox row together", async () => {
    const res = await declare(declaration());
    const id = res.json().id;
    const [log] = await t.db.select().from(incidentLog).where(eq(incidentLog.incidentId, id));
    expect(log).toMatchObject({ seq: 1, kind: "declared", prevHash: null });
    expect(log!.hash).toMatch(/^hmac-sha256:[0-9a-f]{16}:[0-9a-f]{64}$/);
    const rows = await t.db.select().from(outbox).where(eq(outbox.aggregateId, id));
    expect(rows).toMatchObject([{ topic: "incident.declared", processedAt: null }]);
  });

  test("without breach nor NIS2 only the national portal clock applies; a portal declaration already made is done", async () => {
    const small = await createEstablishment(t.db, { category: "ehpad", nis2Status: "not_subject" });
    const rssi = await createUser(t.db, { role: "rssi", establishmentId: small.id });
    const auth = (await login(t.app, rssi.email)).bearer;
    const declaredAt = new Date(Date.now() - 10 * 60_000).toISOString();
    const res = await declare(
      declaration({
        personalData: { breach: "no" },
        nationalPortal: { declared: true, reference: "ANS-123", declaredAt },
      }),
      auth,
    );
    expect(res.statusCode).toBe(201);
    expect(res.json().clocks).toMatchObject([
      { kind: "national_portal", doneAt: declaredAt, state: "done_on_time" },
    ]);
  });

  test("records a suggestion that knows the threat and the establishment's kind, with its reasons", async () => {
    const ehpad = await createEstablishment(t.db, { category: "ehpad", name: "EHPAD Les Filaos" });
    const rssi = await createUser(t.db, { role: "rssi", establishmentId: ehpad.id });
    const auth = (await login(t.app, rssi.email)).bearer;
    const ransomware = {
      rsitClass: "malicious-code",
      rsitType: "infected-system",
      ongoing: true,
      impactGrade: 1,
      personalData: { breach: "unknown" },
    } as const;
    // The case: ransomware still encrypting in an EHPAD, procedures degraded. Never minor.
    const inEhpad = await declare(declaration(ransomware), auth);
    expect(inEhpad.statusCode).toBe(201);
    expect(inEhpad.json()).toMatchObject({ severity: "P2", severitySuggested: "P2" });
    expect(inEhpad.json().severityReasons).toEqual([
      "Impact sur les soins : niveau 1 (Procédures dégradées)",
      "Logiciel malveillant toujours actif (rançongiciel possible) : au moins P2",
    ]);
    // The same in a CH (the suite's establishment): the territory's emergencies depend on it.
    const inCh = await declare(declaration(ransomware));
    expect(inCh.json()).toMatchObject({ severity: "P1", severitySuggested: "P1" });
    expect(inCh.json().severityReasons).toContain(
      "Rançongiciel ou logiciel malveillant toujours actif dans un centre hospitalier : incident majeur, P1",
    );
    // Stored as answered: what the confirmation page reads back.
    const [row] = await t.db.select().from(incidents).where(eq(incidents.id, inEhpad.json().id));
    expect(row).toMatchObject({ severity: "P2", severitySuggested: "P2" });
    expect(row!.severityReasons).toEqual(inEhpad.json().severityReasons);
    // A phishing nobody clicked stays minor.
    const phishing = await declare(
      declaration({ rsitClass: "fraud", rsitType: "phishing", ongoing: false, impactGrade: 0 }),
      auth,
    );
    expect(phishing.json().severity).toBe("P4");
  });

  test("through an API key, for the key's establishment", async () => {
    const res = await declare(declaration(), { authorization: `ApiKey ${apiKey}` });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      establishment: { id: establishmentId },
      declaredBy: { kind: "api_key", name: "SIEM" },
    });
  });

  test("references have no gaps under concurrency", async () => {
    const before = await t.db.select({ reference: incidents.reference }).from(incidents);
    const results = await Promise.all(Array.from({ length: 40 }, () => declare(declaration())));
    expect(results.every((r) => r.statusCode === 201)).toBe(true);
    const year = yearInZone(new Date(), t.config.REGION_TIMEZONE);
    const all = (await t.db.select({ reference: incidents.reference }).from(incidents)).map(
      (r) => r.reference,
    );
    all.sort();
    // Numbered by the database, in the format the domain defines.
    expect(all).toEqual(
      Array.from({ length: before.length + 40 }, (_, i) => incidentReference("REU", year, i + 1)),
    );
  });
});

describe("Idempotency-Key", () => {
  test("the same key and body replay the first answer and make one incident", async () => {
    const body = declaration({ title: "Idempotent" });
    const first = await declare(body, { "idempotency-key": "retry-after-network-drop" });
    const second = await declare(body, { "idempotency-key": "retry-after-network-drop" });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(second.json()).toEqual(first.json());
    const rows = await t.db.select().from(incidents).where(eq(incidents.title, "Idempotent"));
    expect(rows).toHaveLength(1);
  });

  test("concurrent requests with the same key make one incident; the others wait (409) or replay", async () => {
    const body = declaration({ title: "Concurrent idempotent" });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => declare(body, { "idempotency-key": "concurrent-key" })),
    );
    const codes = results.map((r) => r.statusCode);
    expect(codes.every((c) => c === 201 || c === 409)).toBe(true);
    expect(codes.filter((c) => c === 201).length).toBeGreaterThanOrEqual(1);
    const rows = await t.db.select().from(incidents).where(eq(incidents.title, "Concurrent idempotent"));
    expect(rows).toHaveLength(1);
  });

  test("the same key with another body → 422", async () => {
    await declare(declaration({ title: "First body" }), { "idempotency-key": "k-422" });
    const res = await declare(declaration({ title: "Second body" }), { "idempotency-key": "k-422" });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe("idempotency_key_reused");
  });

  test("the same key while the first is in flight → 409", async () => {
    const userId = (await t.app.inject({ method: "GET", url: "/api/v1/auth/session", headers })).json().user
      .id;
    // Another transaction is working on this key: it holds the key's advisory lock.
    const other = new pg.Client({ connectionString: t.database.url });
    await other.connect();
    await other.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [`user:${userId}\nin-flight`]);
    try {
      const res = await declare(declaration(), { "idempotency-key": "in-flight" });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe("idempotency_key_in_flight");
    } finally {
      await other.end();
    }
    expect((await declare(declaration(), { "idempotency-key": "in-flight" })).statusCode).toBe(201);
  });

  test("keys are per sender: another establishment's identical key is independent", async () => {
    const other = await createEstablishment(t.db);
    const rssi = await createUser(t.db, { role: "rssi", establishmentId: other.id });
    const auth = (await login(t.app, rssi.email)).bearer;
    const a = await declare(declaration(), { "idempotency-key": "shared-key" });
    const b = await declare(declaration(), { ...auth, "idempotency-key": "shared-key" });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.json().id).not.toBe(a.json().id);
    expect(b.json().establishment.id).toBe(other.id);
  });

  test("a request that failed validation does not consume its key", async () => {
    const bad = await declare(declaration({ rsitType: "phishing" }), { "idempotency-key": "fix-and-retry" });
    expect(bad.statusCode).toBe(400);
    const good = await declare(declaration(), { "idempotency-key": "fix-and-retry" });
    expect(good.statusCode).toBe(201);
  });

  test("an unusable key is a 400 naming the header", async () => {
    const res = await declare(declaration(), { "idempotency-key": "é".repeat(3) });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      expect.objectContaining({ field: "/idempotency-key", in: "headers" }),
    ]);
  });
});

describe("who declares for which establishment", () => {
  test("a GHT-wide RSSI must say which member; an analyst declares on behalf of any", async () => {
    const ght = await createGht(t.db);
    const a = await createEstablishment(t.db, { ghtId: ght.id });
    const b = await createEstablishment(t.db, { ghtId: ght.id });
    const ghtRssi = await createUser(t.db, { role: "rssi", ghtId: ght.id });
    const auth = (await login(t.app, ghtRssi.email)).bearer;
    const missing = await declare(declaration(), auth);
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors[0].field).toBe("/establishmentId");
    const ok = await declare(declaration({ establishmentId: b.id }), auth);
    expect(ok.statusCode).toBe(201);
    expect(ok.json().establishment.id).toBe(b.id);
    expect(a.id).not.toBe(b.id);

    const analyst = await createUser(t.db, { role: "analyst" });
    const analystAuth = (await login(t.app, analyst.email)).bearer;
    expect((await declare(declaration(), analystAuth)).statusCode).toBe(400);
    expect((await declare(declaration({ establishmentId: a.id }), analystAuth)).statusCode).toBe(201);
  });

  test("the ARS, the task force and the administrator do not declare", async () => {
    for (const role of ["ars", "taskforce", "admin"] as const) {
      const user = await createUser(t.db, { role });
      const auth = (await login(t.app, user.email)).bearer;
      const res = await declare(declaration({ establishmentId }), auth);
      expect(res.statusCode, role).toBe(403);
      expect(res.json().code).toBe("forbidden");
    }
  });
});

describe("bad input gets a clear 4xx problem and never a 500", () => {
  const cases: [string, unknown, string[]][] = [
    ["unknown field", { ...declaration(), severity: "P1" }, ["/severity"]],
    [
      "missing required fields",
      { title: "x" },
      [
        "/title",
        "/declarant",
        "/detectedAt",
        "/ongoing",
        "/description",
        "/rsitClass",
        "/rsitType",
        "/impactGrade",
      ],
    ],
    ["wrong types", { ...declaration(), impactGrade: "4", ongoing: "yes" }, ["/impactGrade", "/ongoing"]],
    ["grade out of range", { ...declaration(), impactGrade: 6 }, ["/impactGrade"]],
    [
      "RSIT type of another class",
      { ...declaration(), rsitClass: "fraud", rsitType: "infected-system" },
      ["/rsitType"],
    ],
    ["unknown RSIT class", { ...declaration(), rsitClass: "aliens" }, ["/rsitClass"]],
    [
      "bad observable",
      { ...declaration(), observables: [{ type: "ipv4", value: "999.1.1.1" }] },
      ["/observables/0/value"],
    ],
    [
      "detection in the future",
      { ...declaration(), detectedAt: new Date(Date.now() + 86_400_000).toISOString() },
      ["/detectedAt"],
    ],
    [
      "start after detection",
      {
        ...declaration(),
        startedAt: new Date().toISOString(),
        detectedAt: new Date(Date.now() - 3_600_000).toISOString(),
      },
      ["/startedAt"],
    ],
    ["bad date", { ...declaration(), detectedAt: "yesterday" }, ["/detectedAt"]],
    ["bad phone", { ...declaration(), declarant: { name: "x", phone: "call me" } }, ["/declarant/phone"]],
    ["unknown TLP", { ...declaration(), tlp: "WHITE" }, ["/tlp"]],
    ["not an object", [1, 2, 3], ["/"]],
    [
      "NUL character",
      { ...declaration(), declarant: { name: "a\u0000b", phone: "0692 00 00 00" } },
      ["/declarant/name"],
    ],
  ];
  test.each(cases)("%s", async (_name, payload, fields) => {
    const res = await declare(payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    const body = res.json();
    expect(body).toMatchObject({ status: 400, code: "validation_failed", requestId: expect.any(String) });
    expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual([...fields].sort());
  });

  test("malformed JSON, wrong media type, oversized body", async () => {
    const malformed = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: { ...headers, "content-type": "application/json" },
      payload: '{"title": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe("malformed_json");
    const media = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: { ...headers, "content-type": "application/xml" },
      payload: "<incident/>",
    });
    expect(media.json()).toMatchObject({ status: 415, code: "unsupported_media_type" });
    const huge = await declare(declaration({ description: "x".repeat(t.config.BODY_LIMIT_BYTES + 10) }));
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe("payload_too_large");
  });

  test("unknown routes and bad ids are problems too", async () => {
    const unknown = await t.app.inject({ method: "GET", url: "/api/v1/nothing", headers });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe("not_found");
    const badId = await t.app.inject({ method: "GET", url: "/api/v1/incidents/not-a-uuid", headers });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0]).toMatchObject({ field: "/id", in: "params" });
    const badCursor = await t.app.inject({ method: "GET", url: "/api/v1/incidents?cursor=%%%", headers });
    expect(badCursor.statusCode).toBe(400);
  });
});
