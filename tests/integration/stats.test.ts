import { incidentClocks, incidents } from "@pris/db";
import type { ClockKind } from "@pris/domain";
import { parse } from "csv-parse/sync";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createApiKey,
  createEstablishment,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

let t: TestApp;
let analyst: Record<string, string>;
let ars: Record<string, string>;
let others: Record<string, string>[];
let p1Reference: string;

const at = (iso: string) => new Date(iso);
const plus = (iso: string, seconds: number) => new Date(at(iso).getTime() + seconds * 1000);

beforeAll(async () => {
  t = await startTestApp({ REGION_TIMEZONE: "Indian/Reunion" });
  const A = await createEstablishment(t.db, { name: "CH Ouest", category: "ch", territory: "ouest" });
  const B = await createEstablishment(t.db, { name: "EHPAD Bravo", category: "ehpad", territory: "nord" });
  const as = async (role: Parameters<typeof createUser>[1]["role"], establishmentId?: string) =>
    (await login(t.app, (await createUser(t.db, { role, establishmentId })).email)).bearer;
  analyst = await as("analyst");
  ars = await as("ars");
  const rssiA = await as("rssi", A.id);
  others = [
    rssiA,
    await as("taskforce"),
    await as("admin"),
    { authorization: `ApiKey ${(await createApiKey(t.db, A.id)).key}` },
  ];
  const rssiB = await as("rssi", B.id);

  /** Declared through the API, then moved to a known past (the lifecycle is another module's). */
  async function seed(
    headers: Record<string, string>,
    facts: Partial<typeof incidents.$inferInsert> & { declaredAt: Date },
    clocks: { kind: ClockKind; dueAt: string; doneAt?: string }[] = [],
    overrides: Parameters<typeof declaration>[0] = {},
  ) {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers,
      payload: declaration({ rsitClass: "malicious-code", rsitType: "infected-system", ...overrides }),
    });
    expect(res.statusCode).toBe(201);
    const { id, reference } = res.json();
    await t.db.update(incidents).set(facts).where(eq(incidents.id, id));
    await t.db.delete(incidentClocks).where(eq(incidentClocks.incidentId, id));
    for (const c of clocks) {
      await t.db.insert(incidentClocks).values({
        incidentId: id,
        kind: c.kind,
        startsAt: facts.declaredAt,
        dueAt: at(c.dueAt),
        doneAt: c.doneAt ? at(c.doneAt) : null,
      });
    }
    return reference as string;
  }

  await seed(
    rssiA,
    {
      declaredAt: at("2025-01-10T10:00:00Z"),
      severity: "P2",
      acknowledgedAt: plus("2025-01-10T10:00:00Z", 600),
      containedAt: plus("2025-01-10T10:00:00Z", 7200),
      closedAt: plus("2025-01-10T10:00:00Z", 172_800),
      status: "closed",
    },
    [
      { kind: "national_portal", dueAt: "2025-01-11T10:00:00Z", doneAt: "2025-01-11T09:00:00Z" },
      { kind: "gdpr_cnil", dueAt: "2025-01-13T10:00:00Z", doneAt: "2025-01-14T10:00:00Z" },
    ],
  );
  // 21:00 UTC on 31 January is 01:00 on 1 February in La Réunion: a February incident.
  p1Reference = await seed(
    rssiA,
    {
      declaredAt: at("2025-01-31T21:00:00Z"),
      severity: "P1",
      acknowledgedAt: plus("2025-01-31T21:00:00Z", 1800),
      status: "investigating",
    },
    [{ kind: "national_portal", dueAt: "2025-02-02T10:00:00Z" }],
  );
  await seed(
    rssiB,
    {
      declaredAt: at("2025-02-15T08:00:00Z"),
      severity: "P3",
      acknowledgedAt: plus("2025-02-15T08:00:00Z", 1200),
      status: "acknowledged",
    },
    [{ kind: "national_portal", dueAt: "2025-02-16T08:00:00Z", doneAt: "2025-02-15T09:00:00Z" }],
    { rsitClass: "intrusion-attempts", rsitType: "ids-alert" },
  );
  // Not counted: rejected (not an incident); before the period in local time; after it in local time.
  await seed(rssiB, { declaredAt: at("2025-02-20T08:00:00Z"), severity: "P3", status: "rejected" }, [
    { kind: "national_portal", dueAt: "2025-02-21T08:00:00Z" },
  ]);
  await seed(rssiA, { declaredAt: at("2024-12-31T19:59:00Z"), severity: "P4" });
  await seed(rssiA, { declaredAt: at("2025-03-31T20:00:00Z"), severity: "P1" });
});
afterAll(() => t.close());

const stats = (query: string, headers: Record<string, string>) =>
  t.app.inject({ method: "GET", url: `/api/v1/stats/incidents${query}`, headers });

describe("incident statistics", () => {
  test("counts per month × category × territory × RSIT class × severity, in the region's months", async () => {
    const res = await stats("?from=2025-01-01&to=2025-03-31", ars);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      from: "2025-01-01",
      to: "2025-03-31",
      timeZone: "Indian/Reunion",
      total: 3,
    });
    expect(body.counts).toEqual([
      {
        month: "2025-01",
        category: "ch",
        territory: "ouest",
        rsitClass: "malicious-code",
        severity: "P2",
        count: 1,
      },
      {
        month: "2025-02",
        category: "ch",
        territory: "ouest",
        rsitClass: "malicious-code",
        severity: "P1",
        count: 1,
      },
      {
        month: "2025-02",
        category: "ehpad",
        territory: "nord",
        rsitClass: "intrusion-attempts",
        severity: "P3",
        count: 1,
      },
    ]);
  });

  test("median times to acknowledge, contain and close, from the declaration", async () => {
    const body = (await stats("?from=2025-01-01&to=2025-03-31", analyst)).json();
    expect(body.durations).toEqual({
      acknowledge: { medianSeconds: 1200, incidents: 3 },
      contain: { medianSeconds: 7200, incidents: 1 },
      close: { medianSeconds: 172_800, incidents: 1 },
    });
  });

  test("share of regulatory deadlines met: clocks done by their due time ÷ clocks due in the period", async () => {
    const body = (await stats("?from=2025-01-01&to=2025-03-31", ars)).json();
    expect(body.deadlines).toEqual({
      due: 4,
      metOnTime: 2,
      share: 0.5,
      byKind: [
        { kind: "gdpr_cnil", due: 1, metOnTime: 0 },
        { kind: "national_portal", due: 3, metOnTime: 2 },
      ],
    });
  });

  test("establishment names only for P1 incidents", async () => {
    for (const headers of [ars, analyst]) {
      const res = await stats("?from=2025-01-01&to=2025-03-31", headers);
      expect(res.json().majorIncidents).toEqual([
        {
          reference: p1Reference,
          establishment: "CH Ouest",
          category: "ch",
          territory: "ouest",
          status: "investigating",
          declaredAt: "2025-01-31T21:00:00.000Z",
        },
      ]);
      expect(res.body).not.toContain("EHPAD Bravo");
      expect(res.body.split("CH Ouest")).toHaveLength(2);
    }
  });

  test("a narrower period narrows everything; from after to → 400; not a date → 400", async () => {
    const feb = (await stats("?from=2025-02-01&to=2025-02-28", ars)).json();
    expect(feb.total).toBe(2);
    expect(feb.deadlines).toMatchObject({ due: 2, metOnTime: 1 });
    const reversed = await stats("?from=2025-03-01&to=2025-02-01", ars);
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json().errors).toEqual([expect.objectContaining({ field: "/from" })]);
    expect((await stats("?from=yesterday", ars)).statusCode).toBe(400);
    expect((await stats("?from=2025-01-01&extra=1", ars)).statusCode).toBe(400);
    const defaults = (await stats("", ars)).json();
    expect(defaults.to).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(defaults.from).toMatch(/^\d{4}-\d{2}-01$/);
  });

  test("RSSIs, API keys, the task force and administrators get 403; nobody without authentication", async () => {
    for (const headers of others) {
      expect((await stats("?from=2025-01-01&to=2025-03-31", headers)).statusCode).toBe(403);
    }
    expect((await t.app.inject({ method: "GET", url: "/api/v1/stats/incidents" })).statusCode).toBe(401);
  });
});

describe("the statistics as CSV", () => {
  const csv = (query: string, headers: Record<string, string>) =>
    t.app.inject({ method: "GET", url: `/api/v1/stats/incidents.csv${query}`, headers });

  test("the page's figures for a French spreadsheet: BOM, semicolons, decimal commas, names", async () => {
    const res = await csv("?from=2025-01-01&to=2025-03-31", ars);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["content-type"]).toContain("text/csv");
    expect(res.headers["content-disposition"]).toContain('filename="incidents-2025-01-01-2025-03-31.csv"');
    expect(res.body.startsWith("\uFEFF")).toBe(true);
    const records = parse(res.body.slice(1), { delimiter: ";", columns: true }) as Record<string, string>[];
    const json = (await stats("?from=2025-01-01&to=2025-03-31", ars)).json();
    const counted = records.filter((r) => r.Indicateur === "Incidents déclarés");
    expect(counted).toHaveLength(json.counts.length);
    expect(counted.reduce((n, r) => n + Number(r.Valeur), 0)).toBe(json.total);
    expect(counted.map((r) => r.Catégorie)).toContain("EHPAD");
    expect(counted.every((r) => !/^[a-z]+$/.test(r.Territoire!))).toBe(true);
    const share = records.find((r) => r.Indicateur === "Échéances réglementaires respectées (%)")!;
    expect(share.Valeur).toBe(
      new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1, useGrouping: false }).format(
        (json.deadlines.metOnTime / json.deadlines.due) * 100,
      ),
    );
    for (const r of records) expect(r.Valeur, r.Indicateur).not.toMatch(/^\d+\.\d+$/);
    expect(res.body).not.toContain("EHPAD Bravo");
  });

  test("same access and validation as the page: 403 for others, 400 naming the field", async () => {
    for (const headers of others) {
      expect((await csv("?from=2025-01-01&to=2025-03-31", headers)).statusCode).toBe(403);
    }
    const bad = await csv("?from=yesterday", analyst);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain("from");
  });
});
