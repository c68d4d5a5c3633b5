import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { incidentClocks, incidents } from "@pris/db";
import {
  type ClockKind,
  nextDeadline,
  OPEN_INCIDENT_STATUSES,
  type QueueItem,
  type QueuePage,
} from "@pris/domain";
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

/**
 * The analysts' queue: its order, every filter, keyset pages, counts per status and scope, checked
 * against a plain-TypeScript model of the same rows; then its live feed over a real HTTP connection.
 */
let t: TestApp;
let analyst: Record<string, string>;
let analystCookie: Record<string, string>;
let taskforce: Record<string, string>;
let rssiA: Record<string, string>;
let rssiB: Record<string, string>;
let ars: Record<string, string>;
let keyA: Record<string, string>;
let declarerId: string;
const est: Record<"A" | "B" | "C", { id: string; territory: string; category: string }> = {} as never;
const people: { lea: string; marc: string } = {} as never;

const HOUR = 3_600_000;
const TERMINAL = new Set(["closed", "rejected", "merged"]);

/** What the model knows of each seeded incident. */
interface Row {
  id: string;
  reference: string;
  title: string;
  status: string;
  severity: "P1" | "P2" | "P3" | "P4";
  establishment: "A" | "B" | "C";
  assignee: "lea" | "marc" | null;
  rsitClass: string;
  crisisCell: boolean;
  nextDeadlineAt: Date | null;
  ackDueAt: Date | null;
  acknowledgedAt: Date | null;
  clocks: { kind: ClockKind; dueAt: Date; doneAt: Date | null }[];
}
const rows: Row[] = [];

/** Stored as the API stores it: next_deadline_at is the domain's nextDeadline() of the row. */
async function insertIncident(
  spec: Partial<Omit<Row, "nextDeadlineAt">> & Pick<Row, "severity" | "establishment">,
): Promise<Row> {
  const now = Date.now();
  const row: Row = {
    id: "",
    reference: `TST-2026-${randomBytes(3).toString("hex").toUpperCase()}`,
    title: "Incident de test",
    status: "investigating",
    assignee: null,
    rsitClass: "malicious-code",
    crisisCell: false,
    ackDueAt: new Date(now - 10 * HOUR),
    acknowledgedAt: new Date(now - 9 * HOUR),
    clocks: [],
    ...spec,
    nextDeadlineAt: null,
  };
  row.nextDeadlineAt = nextDeadline(row.ackDueAt, row.acknowledgedAt !== null, row.clocks);
  const [inserted] = await t.db
    .insert(incidents)
    .values({
      reference: row.reference,
      establishmentId: est[row.establishment].id,
      status: row.status,
      severity: row.severity,
      severitySuggested: row.severity,
      severityReasons: [],
      tlp: "AMBER",
      title: row.title,
      description: "Décrit pour le test de la file.",
      declarant: { name: "Test", phone: "+262 692 00 00 00" },
      detectedAt: new Date(now - 12 * HOUR),
      ongoing: true,
      rsitClass: row.rsitClass,
      rsitType: row.rsitClass === "fraud" ? "phishing" : "infected-system",
      suspectedMalicious: "yes",
      affectedServices: [],
      impactGrade: 1,
      spread: "single_site",
      personalDataBreach: "unknown",
      supportRequested: false,
      nationalPortalDeclared: false,
      complaintFiled: false,
      declaredByUserId: declarerId,
      declaredAt: new Date(now - 12 * HOUR),
      assigneeUserId: row.assignee ? people[row.assignee] : null,
      crisisCell: row.crisisCell,
      ackDueAt: row.ackDueAt,
      acknowledgedAt: row.acknowledgedAt,
      nextDeadlineAt: row.nextDeadlineAt,
    })
    .returning({ id: incidents.id });
  row.id = inserted!.id;
  if (row.clocks.length > 0) {
    await t.db.insert(incidentClocks).values(
      row.clocks.map((c) => ({
        incidentId: row.id,
        kind: c.kind,
        startsAt: new Date(c.dueAt.getTime() - 24 * HOUR),
        dueAt: c.dueAt,
        doneAt: c.doneAt,
      })),
    );
  }
  rows.push(row);
  return row;
}

interface Filters {
  status?: string;
  severity?: string;
  territory?: string;
  category?: string;
  establishmentId?: string;
  assigneeUserId?: string;
  unassigned?: boolean;
  rsitClass?: string;
  overdue?: boolean;
  q?: string;
}

type Scope = (r: Row) => boolean;
const everything: Scope = () => true;
const taskforceScope: Scope = (r) => r.severity === "P1" || r.crisisCell;

/** The queue as the model reads it: open, in scope, filtered, most urgent first. */
function model(filters: Filters, scope: Scope = everything, now = Date.now()) {
  const matches = (r: Row, withStatus: boolean) => {
    const e = est[r.establishment];
    const overdue =
      r.clocks.some((c) => !c.doneAt && c.dueAt.getTime() < now) ||
      (!r.acknowledgedAt && !!r.ackDueAt && r.ackDueAt.getTime() < now);
    const q = filters.q?.toLowerCase();
    return (
      !TERMINAL.has(r.status) &&
      scope(r) &&
      (!withStatus || !filters.status || r.status === filters.status) &&
      (!filters.severity || r.severity === filters.severity) &&
      (!filters.territory || e.territory === filters.territory) &&
      (!filters.category || e.category === filters.category) &&
      (!filters.establishmentId || e.id === filters.establishmentId) &&
      (!filters.assigneeUserId || (r.assignee && people[r.assignee]) === filters.assigneeUserId) &&
      (!filters.unassigned || r.assignee === null) &&
      (!filters.rsitClass || r.rsitClass === filters.rsitClass) &&
      (!filters.overdue || overdue) &&
      (!q || r.title.toLowerCase().includes(q) || r.reference.toLowerCase().includes(q))
    );
  };
  const deadline = (r: Row) => r.nextDeadlineAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const ordered = rows
    .filter((r) => matches(r, true))
    .sort(
      (a, b) =>
        a.severity.localeCompare(b.severity) ||
        deadline(a) - deadline(b) ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  const counts = Object.fromEntries(OPEN_INCIDENT_STATUSES.map((s) => [s, 0]));
  for (const r of rows.filter((x) => matches(x, false))) counts[r.status]! += 1;
  return { ids: ordered.map((r) => r.id), counts };
}

const queryString = (filters: Filters & { limit?: number; cursor?: string }) =>
  new URLSearchParams(
    Object.entries(filters)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  ).toString();

async function page(headers: Record<string, string>, filters: Filters & { limit?: number; cursor?: string }) {
  const res = await t.app.inject({ method: "GET", url: `/api/v1/queue?${queryString(filters)}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as QueuePage;
}

/** Every page of a query, following nextCursor. */
async function allPages(headers: Record<string, string>, filters: Filters, limit = 4) {
  const items: QueueItem[] = [];
  let cursor: string | undefined;
  let first: QueuePage | undefined;
  for (let i = 0; i < 100; i++) {
    const p = await page(headers, { ...filters, limit, ...(cursor ? { cursor } : {}) });
    first ??= p;
    items.push(...p.items);
    if (!p.nextCursor) break;
    cursor = p.nextCursor;
  }
  return { items, first: first! };
}

beforeAll(async () => {
  t = await startTestApp();
  est.A = await createEstablishment(t.db, { name: "CH Ouest", territory: "ouest", category: "ch" });
  est.B = await createEstablishment(t.db, {
    name: "EHPAD Les Filaos",
    territory: "ouest",
    category: "ehpad",
  });
  est.C = await createEstablishment(t.db, { name: "Clinique du Sud", territory: "sud", category: "ch" });
  const rssiUserA = await createUser(t.db, { role: "rssi", establishmentId: est.A.id });
  declarerId = rssiUserA.id;
  const lea = await createUser(t.db, { role: "analyst", name: "Léa Hoarau" });
  const marc = await createUser(t.db, { role: "analyst", name: "Marc Grondin" });
  people.lea = lea.id;
  people.marc = marc.id;
  const analystLogin = await login(t.app, lea.email);
  analyst = analystLogin.bearer;
  analystCookie = analystLogin.cookieWithoutCsrf;
  taskforce = (await login(t.app, (await createUser(t.db, { role: "taskforce" })).email)).bearer;
  rssiA = (await login(t.app, rssiUserA.email)).bearer;
  rssiB = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: est.B.id })).email))
    .bearer;
  ars = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;
  keyA = { authorization: `ApiKey ${(await createApiKey(t.db, est.A.id)).key}` };

  const now = Date.now();
  const inHours = (h: number) => new Date(now + h * HOUR);
  // A shape that exercises every rule: severities, deadlines (equal ones, none), statuses (closed
  // ones too), assignees, RSIT classes, clocks overdue, pending and done, missed acknowledgements.
  const severities = ["P1", "P2", "P3", "P4"] as const;
  const statuses = ["new", "acknowledged", "investigating", "containment", "waiting_establishment", "closed"];
  const titles = [
    "Rançongiciel sur le DPI",
    "Hameçonnage de la direction",
    "PACS indisponible",
    "VPN suspect",
  ];
  const places = ["A", "B", "C"] as const;
  for (let i = 0; i < 48; i++) {
    const status = statuses[i % statuses.length]!;
    const ackMissed = status === "new" && i % 4 === 0;
    // Portal clocks due at a few shared times (the id decides between equals), some overdue, some
    // done; with nothing open an acknowledged incident has no deadline and comes last.
    const portalDue = inHours([-3, 2, 5, 5][i % 4]!);
    await insertIncident({
      severity: severities[(i * 5) % 4]!,
      establishment: places[i % 3]!,
      status,
      title: `${titles[i % titles.length]} n°${i}`,
      assignee: i % 3 === 0 ? null : i % 3 === 1 ? "lea" : "marc",
      rsitClass: i % 5 === 0 ? "fraud" : "malicious-code",
      crisisCell: i % 11 === 0,
      ackDueAt: ackMissed ? inHours(-2) : inHours(1),
      acknowledgedAt: status === "new" ? null : inHours(-1),
      clocks: [
        {
          kind: "national_portal",
          dueAt: portalDue,
          doneAt: i % 5 === 1 || i % 5 === 2 ? inHours(-4) : null,
        },
        ...(i % 2 === 0 ? [{ kind: "gdpr_cnil" as const, dueAt: inHours(-5), doneAt: inHours(-6) }] : []),
      ],
    });
  }
});
afterAll(() => t?.close());

describe("GET /api/v1/queue", () => {
  test("most urgent first: P1 before P2, nearest deadline first within a severity, none last, then id", async () => {
    const { items } = await allPages(analyst, {}, 100);
    expect(items.map((i) => i.id)).toEqual(model({}).ids);
    const severities = items.map((i) => i.severity);
    expect(severities).toEqual([...severities].sort());
    for (const sev of ["P1", "P2", "P3", "P4"]) {
      const deadlines = items.filter((i) => i.severity === sev).map((i) => i.nextDeadlineAt);
      const dated = deadlines.filter((d) => d !== null) as string[];
      expect(dated).toEqual([...dated].sort());
      // Every null after every date.
      expect(deadlines.slice(dated.length).every((d) => d === null)).toBe(true);
    }
    expect(items.some((i) => TERMINAL.has(i.status))).toBe(false);
  });

  test("an item carries what the board shows", async () => {
    const { items } = await page(analyst, { limit: 100 });
    const withClock = items.find((i) => i.clocks.overdue > 0)!;
    expect(withClock.clocks).toEqual({
      open: 1,
      overdue: 1,
      next: { kind: "national_portal", dueAt: expect.any(String), state: "overdue" },
    });
    const assigned = items.find((i) => i.assignee?.name === "Marc Grondin")!;
    expect(assigned.assignee).toEqual({ id: people.marc, name: "Marc Grondin" });
    const fromB = items.find((i) => i.establishment.id === est.B.id)!;
    expect(fromB.establishment).toMatchObject({
      name: "EHPAD Les Filaos",
      territory: "ouest",
      category: "ehpad",
    });
    expect(items.some((i) => i.ackOverdue)).toBe(true);
    expect(items.some((i) => i.crisisCell)).toBe(true);
    const row = rows.find((r) => r.id === withClock.id)!;
    expect(withClock.nextDeadlineAt).toBe(row.nextDeadlineAt?.toISOString() ?? null);
  });

  const filterCases: [string, () => Filters][] = [
    ["status", () => ({ status: "acknowledged" })],
    ["severity", () => ({ severity: "P2" })],
    ["territory", () => ({ territory: "ouest" })],
    ["category", () => ({ category: "ch" })],
    ["territory and category", () => ({ territory: "ouest", category: "ch" })],
    ["establishmentId", () => ({ establishmentId: est.C.id })],
    ["assigneeUserId", () => ({ assigneeUserId: people.lea })],
    ["unassigned", () => ({ unassigned: true })],
    ["rsitClass", () => ({ rsitClass: "fraud" })],
    ["overdue", () => ({ overdue: true })],
    ["q on the title (any case, accents)", () => ({ q: "hameçonnage" })],
    ["q on the reference", () => ({ q: rows[3]!.reference.slice(4) })],
    ["q with LIKE wildcards taken literally", () => ({ q: "n°_" })],
    ["q with LIKE wildcards taken literally (%)", () => ({ q: "n°%" })],
    ["several at once", () => ({ severity: "P1", territory: "ouest", overdue: true, status: "new" })],
  ];
  test.each(filterCases)("filter: %s — items, counts and total as the model says", async (_, make) => {
    const filters = make();
    const expected = model(filters);
    const { items, first } = await allPages(analyst, filters, 3);
    expect(items.map((i) => i.id)).toEqual(expected.ids);
    expect(first.counts).toEqual(expected.counts);
    expect(first.total).toBe(expected.ids.length);
  });

  test("the filters that must narrow do narrow (the data is not trivially all or nothing)", () => {
    const all = model({}).ids.length;
    for (const [name, make] of filterCases.slice(0, 11)) {
      const n = model(make()).ids.length;
      expect(n, name).toBeGreaterThan(0);
      expect(n, name).toBeLessThan(all);
    }
  });

  test("counts per status ignore the status filter; total follows it", async () => {
    const all = await page(analyst, {});
    const investigating = await page(analyst, { status: "investigating" });
    expect(investigating.counts).toEqual(all.counts);
    expect(investigating.total).toBe(all.counts.investigating);
    expect(all.total).toBe(Object.values(all.counts).reduce((a, b) => a + b, 0));
    expect(Object.keys(all.counts).sort()).toEqual([...OPEN_INCIDENT_STATUSES].sort());
  });

  test("keyset pages: no duplicate and no gap while new incidents arrive between pages", async () => {
    const before = model({}).ids;
    const seen: string[] = [];
    let cursor: string | undefined;
    let added = 0;
    for (let i = 0; i < 100; i++) {
      const p = await page(analyst, { limit: 5, ...(cursor ? { cursor } : {}) });
      seen.push(...p.items.map((x) => x.id));
      // Arrivals on every side of the cursor: most urgent (before it), least urgent (after it).
      await insertIncident({
        severity: "P1",
        establishment: "A",
        clocks: [{ kind: "national_portal", dueAt: new Date(Date.now() - HOUR), doneAt: null }],
      });
      await insertIncident({ severity: "P4", establishment: "B" });
      added += 2;
      if (!p.nextCursor) break;
      cursor = p.nextCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    const kept = seen.filter((id) => before.includes(id));
    expect(kept).toEqual(before);
    expect(added).toBeGreaterThan(4);
  });

  test("keyset pages hold deadlines to the microsecond, as PostgreSQL stores them", async () => {
    const title = "Horodatage à la microseconde";
    const made = [];
    for (let i = 0; i < 3; i++)
      made.push(await insertIncident({ severity: "P2", establishment: "C", title }));
    for (const [i, row] of made.entries()) {
      await t.app.database.pool.query(
        `UPDATE incidents SET next_deadline_at = '2030-01-01T00:00:00.00000${3 - i}Z' WHERE id = $1`,
        [row.id],
      );
      row.nextDeadlineAt = new Date("2030-01-01T00:00:00.000Z");
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 5; i++) {
      const p = await page(analyst, { q: "microseconde", limit: 1, ...(cursor ? { cursor } : {}) });
      seen.push(...p.items.map((x) => x.id));
      if (!p.nextCursor) break;
      cursor = p.nextCursor;
    }
    expect(seen).toEqual(made.map((r) => r.id).reverse());
  });

  test("400: a cursor the API did not give, unassigned with an assignee, a closed status, a 2-character q", async () => {
    for (const cursor of ["nonsense", Buffer.from('["P9","infinity","x"]').toString("base64url")]) {
      const res = await t.app.inject({
        method: "GET",
        url: `/api/v1/queue?cursor=${cursor}`,
        headers: analyst,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe("validation_failed");
    }
    const both = await t.app.inject({
      method: "GET",
      url: `/api/v1/queue?unassigned=true&assigneeUserId=${people.lea}`,
      headers: analyst,
    });
    expect(both.statusCode).toBe(400);
    const closed = await t.app.inject({
      method: "GET",
      url: "/api/v1/queue?status=closed",
      headers: analyst,
    });
    expect(closed.statusCode).toBe(400);
    // Fewer than 3 characters have no trigram: no index could find them.
    const short = await t.app.inject({ method: "GET", url: "/api/v1/queue?q=ab", headers: analyst });
    expect(short.statusCode).toBe(400);
  });

  test("scope: RSSIs, API keys and the ARS get 403; the task force only its part; analysts all", async () => {
    for (const headers of [rssiA, rssiB, keyA, ars]) {
      const res = await t.app.inject({ method: "GET", url: "/api/v1/queue", headers });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe("forbidden");
    }
    expect((await t.app.inject({ method: "GET", url: "/api/v1/queue" })).statusCode).toBe(401);
    const mine = await allPages(taskforce, {}, 5);
    const expected = model({}, taskforceScope);
    expect(mine.items.map((i) => i.id)).toEqual(expected.ids);
    expect(mine.first.counts).toEqual(expected.counts);
    expect(expected.ids.length).toBeGreaterThan(0);
    expect(expected.ids.length).toBeLessThan(model({}).ids.length);
    // Filters cannot widen it.
    const p3 = await page(taskforce, { severity: "P3" });
    expect(p3.items.map((i) => i.id)).toEqual(model({ severity: "P3" }, taskforceScope).ids.slice(0, 20));
    expect(p3.items.every((i) => i.crisisCell)).toBe(true);
  });

  test("overdue follows the clocks and the acknowledgement as the API records them", async () => {
    const declared = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: rssiA,
      payload: declaration({
        title: "Messagerie compromise depuis trois jours",
        detectedAt: new Date(Date.now() - 72 * HOUR).toISOString(),
      }),
    });
    expect(declared.statusCode).toBe(201);
    const { id, reference } = declared.json() as { id: string; reference: string };
    const find = async (filters: Filters) =>
      (await page(analyst, { ...filters, q: reference })).items.find((i) => i.id === id);
    // The national portal had to be told within hours of awareness: overdue from the start.
    expect((await find({ overdue: true }))?.clocks.next).toMatchObject({
      kind: "national_portal",
      state: "overdue",
    });
    const recorded = await t.app.inject({
      method: "POST",
      url: `/api/v1/incidents/${id}/clocks/national_portal`,
      headers: analyst,
      payload: {
        doneAt: new Date().toISOString(),
        authority: "CERT Santé / portail de signalement",
        lateReason: "Déclaration faite par le pôle à la prise en charge",
      },
    });
    expect(recorded.statusCode, recorded.body).toBe(200);
    expect(await find({ overdue: true })).toBeUndefined();
    const item = await find({});
    expect(item?.ackOverdue).toBe(false);
    expect(item?.nextDeadlineAt).toBe(item?.ackDueAt);
    const acknowledged = await t.app.inject({
      method: "POST",
      url: `/api/v1/incidents/${id}/transitions`,
      headers: analyst,
      payload: { action: "acknowledge" },
    });
    expect(acknowledged.statusCode, acknowledged.body).toBe(200);
    expect(await find({})).toMatchObject({ status: "acknowledged", nextDeadlineAt: null });
  });

  test("the session cookie works as well as the bearer token", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/v1/queue?limit=1", headers: analystCookie });
    expect(res.statusCode).toBe(200);
  });
});

/** A text/event-stream read over real HTTP: the events received so far, and a wait for one. */
async function openStream(url: string, headers: Record<string, string>) {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: "text/event-stream", ...headers },
    signal: abort.signal,
  });
  const events: { event: string; data: unknown }[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  if (res.ok && res.body) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buffer = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end = buffer.indexOf("\n\n");
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = "message";
            let data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith(":")) comments.push(line.slice(1).trim());
              else if (line.startsWith("event: ")) event = line.slice(7);
              else if (line.startsWith("data: ")) data += line.slice(6);
            }
            if (data) events.push({ event, data: JSON.parse(data) });
            for (const w of waiters) w();
            end = buffer.indexOf("\n\n");
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  return {
    res,
    events,
    comments,
    /** Resolves with the first event matching, or rejects after timeoutMs. */
    waitFor(match: (e: { event: string; data: unknown }) => boolean, timeoutMs = 2000) {
      return new Promise<{ event: string; data: unknown }>((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (found) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${timeoutMs} ms: ${JSON.stringify(events)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}

describe("GET /api/v1/queue/events (server-sent events over a real connection)", () => {
  let base: string;
  beforeAll(async () => {
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/api/v1/queue/events`;
  });

  test("RSSIs, API keys and the ARS get 403, nobody signed in 401", async () => {
    for (const headers of [rssiA, rssiB, keyA, ars]) {
      const s = await openStream(base, headers);
      expect(s.res.status).toBe(403);
      expect(s.res.headers.get("content-type")).toContain("application/problem+json");
      s.close();
    }
    const anonymous = await openStream(base, {});
    expect(anonymous.res.status).toBe(401);
    anonymous.close();
  });

  test("an RSSI's declaration reaches analysts within 2 s; a change follows; the task force hears only its part", async () => {
    const byCookie = await openStream(base, analystCookie);
    const byBearer = await openStream(base, analyst);
    const tf = await openStream(base, taskforce);
    try {
      for (const s of [byCookie, byBearer, tf]) {
        expect(s.res.status).toBe(200);
        expect(s.res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
        expect(s.res.headers.get("cache-control")).toContain("no-store");
      }
      const started = Date.now();
      const declared = await t.app.inject({
        method: "POST",
        url: "/api/v1/incidents",
        headers: rssiA,
        payload: declaration({ title: "Rançongiciel en cours", impactGrade: 2 }),
      });
      expect(declared.statusCode).toBe(201);
      const incident = declared.json() as { id: string; reference: string; severity: string };
      expect(incident.severity).not.toBe("P1");
      for (const s of [byCookie, byBearer]) {
        const e = await s.waitFor((x) => (x.data as { id?: string }).id === incident.id, 2000);
        expect(e).toEqual({
          event: "incident.declared",
          data: {
            id: incident.id,
            reference: incident.reference,
            severity: incident.severity,
            establishmentName: "CH Ouest",
          },
        });
      }
      expect(Date.now() - started).toBeLessThan(2000);

      const major = await t.app.inject({
        method: "POST",
        url: "/api/v1/incidents",
        headers: rssiA,
        payload: declaration({ title: "Plan blanc déclenché", impactGrade: 5 }),
      });
      expect(major.json().severity).toBe("P1");
      const seen = await tf.waitFor((x) => (x.data as { id?: string }).id === major.json().id);
      expect(seen.event).toBe("incident.declared");
      await byBearer.waitFor((x) => (x.data as { id?: string }).id === major.json().id);
      // By then the earlier, non-major declaration would have reached the task force too.
      expect(tf.events.some((x) => (x.data as { id?: string }).id === incident.id)).toBe(false);

      await t.db.update(incidents).set({ assigneeUserId: people.marc }).where(eq(incidents.id, incident.id));
      const changed = await byBearer.waitFor((x) => x.event === "incident.changed");
      expect(changed.data).toEqual({ id: incident.id });
    } finally {
      for (const s of [byCookie, byBearer, tf]) s.close();
    }
  });

  test("an establishment's answer in the main courante is announced to the pole", async () => {
    const s = await openStream(base, analyst);
    try {
      const declared = await t.app.inject({
        method: "POST",
        url: "/api/v1/incidents",
        headers: rssiA,
        payload: declaration({ title: "Question en attente", impactGrade: 1 }),
      });
      const id = declared.json().id as string;
      await s.waitFor((x) => x.event === "incident.declared" && (x.data as { id?: string }).id === id, 2000);
      const answer = await t.app.inject({
        method: "POST",
        url: `/api/v1/incidents/${id}/log`,
        headers: rssiA,
        payload: { kind: "comment", text: "Les sauvegardes sont intactes." },
      });
      expect(answer.statusCode).toBeLessThan(300);
      const changed = await s.waitFor(
        (x) => x.event === "incident.changed" && (x.data as { id?: string }).id === id,
        2000,
      );
      expect(changed.data).toEqual({ id });
    } finally {
      s.close();
    }
  });

  test("another RSSI's stream is refused, so it never hears of the declaration", async () => {
    const other = await openStream(base, rssiB);
    expect(other.res.status).toBe(403);
    expect(other.events).toEqual([]);
    other.close();
  });

  test("when its LISTEN connection is cut, the feed reconnects, tells subscribers to resync, and goes on", async () => {
    const s = await openStream(base, analyst);
    try {
      const { rows } = await t.app.database.pool.query(
        "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = 'pris-api-queue-feed' AND datname = current_database()",
      );
      expect(rows).toHaveLength(1);
      await s.waitFor((x) => x.event === "queue.resync", 5000);
      const declared = await t.app.inject({
        method: "POST",
        url: "/api/v1/incidents",
        headers: rssiA,
        payload: declaration({ title: "Après la coupure" }),
      });
      const { id } = declared.json() as { id: string };
      await s.waitFor((x) => x.event === "incident.declared" && (x.data as { id: string }).id === id);
    } finally {
      s.close();
    }
  });

  test("closing the API ends open streams instead of waiting for them", async () => {
    const other = await startTestApp();
    let closed = false;
    try {
      const user = await createUser(other.db, { role: "analyst" });
      const headers = (await login(other.app, user.email)).bearer;
      await other.app.listen({ port: 0, host: "127.0.0.1" });
      const port = (other.app.server.address() as AddressInfo).port;
      const s = await openStream(`http://127.0.0.1:${port}/api/v1/queue/events`, headers);
      expect(s.res.status).toBe(200);
      const started = Date.now();
      await other.close();
      closed = true;
      expect(Date.now() - started).toBeLessThan(5000);
      s.close();
    } finally {
      if (!closed) await other.close();
    }
  });

  test("the stream starts with a retry delay and a comment, and closes cleanly when the client leaves", async () => {
    const s = await openStream(base, analyst);
    await expect.poll(() => s.comments).toContain("connected");
    s.close();
    const res = await t.app.inject({ method: "GET", url: "/api/v1/queue?limit=1", headers: analyst });
    expect(res.statusCode).toBe(200);
  });
});
