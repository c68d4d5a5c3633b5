import { bulletinDeliveries, bulletinRecipients, establishments, incidentObservables, users } from "@pris/db";
import { BULLETIN_KIND_CODES, yearInZone } from "@pris/domain";
import { signAckToken } from "@pris/domain/ack-token";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createEstablishment,
  createGht,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * Alert bulletins through the API on a real PostgreSQL: drafts, audience, TLP rules, publication (one
 * delivery per recipient, in the same transaction), revisions, pause, the dashboard, acknowledgement links
 * and in-app answers, and scope — an RSSI never learns of a bulletin that is not addressed to them.
 */
let t: TestApp;
let analyst: Record<string, string>;
let ars: Record<string, string>;
let admin: Record<string, string>;
let rssiA: Record<string, string>;
let rssiB: Record<string, string>;
let A: { id: string; name: string };
let B: { id: string; name: string };
let C: { id: string; name: string };
let rssiAUser: { id: string; email: string };
const NON_EXISTENT = "01900000-0000-7000-8000-000000000000";

const req = (
  method: "GET" | "POST" | "PUT" | "DELETE",
  url: string,
  headers: Record<string, string>,
  payload?: unknown,
) => t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

function draft(overrides: Record<string, unknown> = {}) {
  return {
    kind: "alerte",
    tlp: "GREEN",
    audience: { territories: ["nord"] },
    title: "Vulnérabilité critique dans le VPN Fortinet",
    summary: "Une vulnérabilité permet l'exécution de code à distance sans authentification.",
    risks: ["Exécution de code arbitraire à distance"],
    affectedSystems: "Passerelles VPN SSL",
    products: [{ vendor: "Fortinet", product: "FortiGate", versions: "7.0 à 7.4.2" }],
    recommendations: "Appliquer le correctif de l'éditeur sans délai.",
    cves: ["CVE-2026-12345"],
    links: ["https://www.cert.ssi.gouv.fr/alerte/CERTFR-2026-ALE-001/"],
    observables: [{ type: "ipv4", value: "185.220.101.7" }],
    severity: "critical",
    ...overrides,
  };
}

beforeAll(async () => {
  t = await startTestApp();
  const ght = await createGht(t.db);
  A = await createEstablishment(t.db, { name: "CH Alpha", territory: "nord", category: "ch", ghtId: ght.id });
  B = await createEstablishment(t.db, { name: "EHPAD Bravo", territory: "sud", category: "ehpad" });
  C = await createEstablishment(t.db, {
    name: "Clinique Charlie",
    territory: "nord",
    category: "private_clinic",
  });
  await t.db
    .update(establishments)
    .set({
      contacts: {
        rssi: { name: "Contact RSSI Alpha", email: "rssi.contact@alpha.test" },
        deputy: { name: "Adjoint Alpha", email: "adjoint@alpha.test" },
        functionalMailbox: "SSI@alpha.test",
      },
      products: [{ kind: "vpn", vendor: "Fortinet", product: "FortiGate" }],
    })
    .where(eq(establishments.id, A.id));
  rssiAUser = await createUser(t.db, { role: "rssi", establishmentId: A.id, name: "Rita Alpha" });
  rssiA = (await login(t.app, rssiAUser.email)).bearer;
  rssiB = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: B.id })).email))
    .bearer;
  analyst = (await login(t.app, (await createUser(t.db, { role: "analyst" })).email)).bearer;
  ars = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;
  admin = (await login(t.app, (await createUser(t.db, { role: "admin" })).email)).bearer;
});
afterAll(() => t.close());

async function publish(body = draft()) {
  const created = await req("POST", "/api/v1/bulletins", analyst, body);
  expect(created.statusCode, created.body).toBe(201);
  const res = await req("POST", `/api/v1/bulletins/${created.json().id}/publish`, analyst);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    bulletin: { id: string; reference: string; revision: number };
    recipients: number;
    deliveries: number;
  };
}

describe("drafts and validation", () => {
  test("a wrong field is a 400 naming it; only analysts compose", async () => {
    const bad = await req("POST", "/api/v1/bulletins", analyst, draft({ cves: ["CVE-26-1"] }));
    expect(bad.statusCode).toBe(400);
    expect(bad.headers["content-type"]).toContain("application/problem+json");
    expect(bad.json().errors[0].field).toBe("/cves/0");
    const obs = await req(
      "POST",
      "/api/v1/bulletins",
      analyst,
      draft({ observables: [{ type: "ipv4", value: "999.1.1.1" }] }),
    );
    expect(obs.statusCode).toBe(400);
    expect(obs.json().errors[0].field).toBe("/observables/0/value");
    for (const headers of [rssiA, ars, admin]) {
      expect((await req("POST", "/api/v1/bulletins", headers, draft())).statusCode).toBe(403);
    }
  });

  test("TLP:AMBER+STRICT and TLP:RED name establishments only", async () => {
    for (const tlp of ["AMBER+STRICT", "RED"]) {
      const res = await req(
        "POST",
        "/api/v1/bulletins",
        analyst,
        draft({ tlp, audience: { territories: ["nord"] } }),
      );
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].field).toBe("/audience");
      const named = await req(
        "POST",
        "/api/v1/bulletins",
        analyst,
        draft({ tlp, audience: { establishmentIds: [A.id] } }),
      );
      expect(named.statusCode).toBe(201);
    }
  });

  test("the composer's count: establishments and people, deduplicated by address, none e-mailed under RED", async () => {
    const preview = await req("POST", "/api/v1/bulletins/audience-preview", analyst, {
      tlp: "GREEN",
      audience: { territories: ["nord"], products: [{ vendor: "fortinet" }] },
    });
    expect(preview.statusCode, preview.body).toBe(200);
    // Alpha: its RSSI user, the RSSI contact, the deputy, the mailbox; Charlie: its RSSI contact.
    expect(preview.json()).toEqual({ establishments: 2, people: 5, emailed: 5, withoutRecipient: 0 });
    const red = await req("POST", "/api/v1/bulletins/audience-preview", analyst, {
      tlp: "RED",
      audience: { establishmentIds: [A.id, C.id] },
    });
    expect(red.json()).toEqual({ establishments: 2, people: 1, emailed: 0, withoutRecipient: 1 });
  });

  test("a draft can be deleted by an analyst; a published bulletin cannot", async () => {
    const created = await req("POST", "/api/v1/bulletins", analyst, draft());
    const id = created.json().id as string;
    expect((await req("DELETE", `/api/v1/bulletins/${id}`, rssiA)).statusCode).toBe(403);
    expect((await req("DELETE", `/api/v1/bulletins/${id}`, ars)).statusCode).toBe(403);
    const deleted = await req("DELETE", `/api/v1/bulletins/${id}`, analyst);
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect((await req("GET", `/api/v1/bulletins/${id}`, analyst)).statusCode).toBe(404);
    expect((await req("DELETE", `/api/v1/bulletins/${id}`, analyst)).statusCode).toBe(404);
    const { bulletin } = await publish();
    const refused = await req("DELETE", `/api/v1/bulletins/${bulletin.id}`, analyst);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe("bulletin_published");
    expect((await req("GET", `/api/v1/bulletins/${bulletin.id}`, analyst)).statusCode).toBe(200);
  });
});

describe("publication", () => {
  test("reference, recipients and one delivery each with a deterministic Message-ID, in one go", async () => {
    const result = await publish();
    const year = yearInZone(new Date(), t.config.REGION_TIMEZONE);
    expect(result.bulletin.reference).toMatch(
      new RegExp(`^REU-${year}-${BULLETIN_KIND_CODES.alerte}-\\d{3}$`),
    );
    expect(result.recipients).toBe(5);
    expect(result.deliveries).toBe(5);
    const rows = await t.db
      .select()
      .from(bulletinDeliveries)
      .where(eq(bulletinDeliveries.bulletinId, result.bulletin.id));
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map((r) => r.messageId)).size).toBe(5);
    for (const r of rows) {
      expect(r.messageId).toBe(`<bulletin.${result.bulletin.id}.revision-1.${r.recipientId}@localhost>`);
      expect(r.status).toBe("queued");
    }
    const again = await req("POST", `/api/v1/bulletins/${result.bulletin.id}/publish`, analyst);
    expect(again.statusCode).toBe(409);
    const second = await publish(draft({ kind: "avis" }));
    expect(second.bulletin.reference).toMatch(/-AVI-001$/);
  });

  test("TLP:RED is never e-mailed: recipients are the named establishments' account holders, read in the app", async () => {
    const result = await publish(draft({ tlp: "RED", audience: { establishmentIds: [A.id] } }));
    expect(result.deliveries).toBe(0);
    expect(result.recipients).toBe(1);
    const deliveries = await t.db
      .select()
      .from(bulletinDeliveries)
      .where(eq(bulletinDeliveries.bulletinId, result.bulletin.id));
    expect(deliveries).toHaveLength(0);
    const list = (await req("GET", "/api/v1/bulletins", rssiA)).json();
    expect(list.items.map((b: { id: string }) => b.id)).toContain(result.bulletin.id);
    const answer = await req("POST", `/api/v1/bulletins/${result.bulletin.id}/answer`, rssiA, {
      answer: "concerned",
    });
    expect(answer.statusCode, answer.body).toBe(200);
    expect((await req("GET", `/api/v1/bulletins/${result.bulletin.id}`, rssiB)).statusCode).toBe(404);
  });

  test("an audience that reaches nobody is refused", async () => {
    const created = await req(
      "POST",
      "/api/v1/bulletins",
      analyst,
      draft({ audience: { territories: ["nowhere"] } }),
    );
    const res = await req("POST", `/api/v1/bulletins/${created.json().id}/publish`, analyst);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe("no_recipients");
  });
});

describe("scope", () => {
  test("an RSSI sees only what is addressed to them; another bulletin answers like one that does not exist", async () => {
    const toA = await publish(draft({ audience: { establishmentIds: [A.id] } }));
    const listB = (await req("GET", "/api/v1/bulletins?limit=100", rssiB)).json();
    expect(listB.items.map((b: { id: string }) => b.id)).not.toContain(toA.bulletin.id);
    const other = await req("GET", `/api/v1/bulletins/${toA.bulletin.id}`, rssiB);
    const missing = await req("GET", `/api/v1/bulletins/${NON_EXISTENT}`, rssiB);
    expect(other.statusCode).toBe(404);
    const strip = (b: { requestId: string; instance?: string }) => ({ ...b, requestId: "", instance: "" });
    expect(strip(other.json())).toEqual(strip(missing.json()));
    const answer = await req("POST", `/api/v1/bulletins/${toA.bulletin.id}/answer`, rssiB, {
      answer: "fixed",
    });
    expect(answer.statusCode).toBe(404);
    expect(answer.body).not.toContain("Alpha");
    // Drafts are the pole's: neither the ARS nor an RSSI sees them.
    const d = (await req("POST", "/api/v1/bulletins", analyst, draft())).json();
    expect((await req("GET", `/api/v1/bulletins/${d.id}`, ars)).statusCode).toBe(404);
    expect((await req("GET", `/api/v1/bulletins/${d.id}`, rssiA)).statusCode).toBe(404);
    expect((await req("GET", "/api/v1/bulletins", admin)).statusCode).toBe(403);
    expect((await req("GET", `/api/v1/bulletins/${toA.bulletin.id}/dashboard`, rssiA)).statusCode).toBe(403);
    expect((await req("GET", `/api/v1/bulletins/${toA.bulletin.id}/dashboard`, ars)).statusCode).toBe(200);
  });
});

describe("roles", () => {
  test("only analysts write; the ARS reads; an RSSI never reaches the pole's routes; a GHT RSSI sees its members'", async () => {
    const { bulletin } = await publish(draft({ audience: { establishmentIds: [A.id] } }));
    const d = (await req("POST", "/api/v1/bulletins", analyst, draft())).json();
    const { kind: _k, tlp: _t, audience: _a, ...content } = draft();
    const writes: [string, string, unknown][] = [
      ["PUT", `/api/v1/bulletins/${d.id}`, draft()],
      ["POST", `/api/v1/bulletins/${d.id}/publish`, undefined],
      ["POST", `/api/v1/bulletins/${bulletin.id}/revisions`, { ...content, changes: "x" }],
      ["POST", `/api/v1/bulletins/${bulletin.id}/pause`, undefined],
      ["POST", `/api/v1/bulletins/${bulletin.id}/resume`, undefined],
      ["POST", "/api/v1/bulletins/audience-preview", { tlp: "GREEN", audience: { all: true } }],
    ];
    for (const headers of [rssiA, rssiB, ars, admin]) {
      for (const [method, url, body] of writes) {
        const res = await req(method as "POST", url, headers, body);
        expect(res.statusCode, `${method} ${url}`).toBe(403);
        expect(res.body).not.toContain("Alpha");
      }
    }
    expect(
      (await req("POST", `/api/v1/bulletins/${bulletin.id}/answer`, ars, { answer: "fixed" })).statusCode,
    ).toBe(403);
    const ght = await createGht(t.db, "GHT Nord");
    await t.db.update(establishments).set({ ghtId: ght.id }).where(eq(establishments.id, A.id));
    const ghtRssi = await createUser(t.db, { role: "rssi", ghtId: ght.id });
    const headers = (await login(t.app, ghtRssi.email)).bearer;
    expect((await req("GET", `/api/v1/bulletins/${bulletin.id}`, headers)).statusCode).toBe(200);
    // The other tests count Alpha's recipients without them.
    await t.db.update(users).set({ active: false }).where(eq(users.id, ghtRssi.id));
  });
});

describe("acknowledgements", () => {
  test("a link answers for its recipient only; tampered links are rejected, expired ones say so", async () => {
    const { bulletin } = await publish(draft({ audience: { establishmentIds: [A.id] } }));
    const recipients = await t.db
      .select()
      .from(bulletinRecipients)
      .where(eq(bulletinRecipients.bulletinId, bulletin.id));
    const deputy = recipients.find((r) => r.role === "deputy")!;
    const token = signAckToken(t.config.JWT_SECRET, deputy.id, new Date(Date.now() + 3600_000));
    const seen = await req("GET", `/api/v1/bulletin-acks/${token}`, {});
    expect(seen.statusCode, seen.body).toBe(200);
    expect(seen.json()).toMatchObject({
      reference: bulletin.reference,
      recipientName: "Adjoint Alpha",
      answer: null,
    });
    const answered = await req("POST", `/api/v1/bulletin-acks/${token}`, {}, { answer: "fixed" });
    expect(answered.statusCode).toBe(200);
    const after = await t.db
      .select()
      .from(bulletinRecipients)
      .where(eq(bulletinRecipients.bulletinId, bulletin.id));
    expect(after.filter((r) => r.answer !== null).map((r) => r.id)).toEqual([deputy.id]);

    const [id, exp, sig] = token.split(".");
    const other = recipients.find((r) => r.id !== deputy.id)!;
    const forged = [
      `${other.id}.${exp}.${sig}`,
      `${id}.${Number(exp) + 3600}.${sig}`,
      `${id}.${exp}.${sig!.slice(0, -2)}${sig!.endsWith("AA") ? "BB" : "AA"}`,
      signAckToken("another-secret-of-at-least-32-characters!", deputy.id, new Date(Date.now() + 3600_000)),
      // The genuine signature over the same number, spelled with a leading zero.
      `${id}.0${exp}.${sig}`,
    ];
    for (const bad of forged) {
      const res = await req("POST", `/api/v1/bulletin-acks/${bad}`, {}, { answer: "not_concerned" });
      expect(res.statusCode, bad).toBe(404);
      expect(res.json().code).toBe("invalid_link");
    }
    const expired = signAckToken(t.config.JWT_SECRET, deputy.id, new Date(Date.now() - 1000));
    const gone = await req("GET", `/api/v1/bulletin-acks/${expired}`, {});
    expect(gone.statusCode).toBe(410);
    expect(gone.json().code).toBe("link_expired");
    const unchanged = await t.db
      .select()
      .from(bulletinRecipients)
      .where(and(eq(bulletinRecipients.bulletinId, bulletin.id), eq(bulletinRecipients.id, deputy.id)));
    expect(unchanged[0]!.answer).toBe("fixed");
  });

  test("the dashboard moves with answers; the pole's preview never counts as a read", async () => {
    const { bulletin } = await publish(draft());
    await req("GET", `/api/v1/bulletins/${bulletin.id}`, analyst);
    await req("GET", `/api/v1/bulletins/${bulletin.id}`, ars);
    let board = (await req("GET", `/api/v1/bulletins/${bulletin.id}/dashboard`, analyst)).json();
    expect(board.totals).toMatchObject({
      recipients: 5,
      read: 0,
      acknowledged: 0,
      queued: 5,
      establishments: 2,
    });
    expect(board.pending).toHaveLength(5);
    const seen = await req("GET", `/api/v1/bulletins/${bulletin.id}`, rssiA);
    expect(seen.json().myAnswer).toBeNull();
    board = (await req("GET", `/api/v1/bulletins/${bulletin.id}/dashboard`, analyst)).json();
    expect(board.totals.read).toBe(1);
    const readers = board.pending.filter((p: { readAt: string | null }) => p.readAt !== null);
    expect(readers.map((p: { email: string }) => p.email)).toEqual([rssiAUser.email.toLowerCase()]);
    await req("POST", `/api/v1/bulletins/${bulletin.id}/answer`, rssiA, { answer: "concerned" });
    board = (await req("GET", `/api/v1/bulletins/${bulletin.id}/dashboard`, analyst)).json();
    expect(board.totals).toMatchObject({ acknowledged: 1, concerned: 1 });
    expect(board.byTerritory).toEqual([
      expect.objectContaining({ territory: "nord", recipients: 5, acknowledged: 1, concerned: 1 }),
    ]);
    expect(board.byCategory.map((c: { category: string }) => c.category)).toEqual(["ch", "private_clinic"]);
    expect(board.pending).toHaveLength(4);
    expect(board.pending.map((p: { email: string }) => p.email)).not.toContain(rssiAUser.email.toLowerCase());
  });
});

describe("revisions and pause", () => {
  test("a revision says what changed, keeps the history and goes to the same recipients", async () => {
    const { bulletin } = await publish(draft());
    const { kind: _k, tlp: _t, audience: _a, ...body } = draft();
    const revised = await req("POST", `/api/v1/bulletins/${bulletin.id}/revisions`, analyst, {
      ...body,
      recommendations: "Appliquer le correctif 7.4.3 et réinitialiser les comptes VPN.",
      changes: "Correctif disponible",
    });
    expect(revised.statusCode, revised.body).toBe(200);
    const result = revised.json();
    expect(result.bulletin.revision).toBe(2);
    expect(result.deliveries).toBe(5);
    expect(result.bulletin.revisions[0]).toMatchObject({
      revision: 2,
      changes: "Correctif disponible",
      changedFields: ["recommendations"],
    });
    const rows = await t.db
      .select()
      .from(bulletinDeliveries)
      .where(eq(bulletinDeliveries.bulletinId, bulletin.id));
    expect(rows.filter((r) => r.purpose === "revision-1").every((r) => r.status === "superseded")).toBe(true);
    expect(rows.filter((r) => r.purpose === "revision-2")).toHaveLength(5);
    const same = await req("POST", `/api/v1/bulletins/${bulletin.id}/revisions`, analyst, {
      ...body,
      recommendations: "Appliquer le correctif 7.4.3 et réinitialiser les comptes VPN.",
      changes: "rien",
    });
    expect(same.statusCode).toBe(400);
  });

  test("pause and resume", async () => {
    const { bulletin } = await publish(draft());
    const paused = await req("POST", `/api/v1/bulletins/${bulletin.id}/pause`, analyst);
    expect(paused.json().paused).toBe(true);
    const resumed = await req("POST", `/api/v1/bulletins/${bulletin.id}/resume`, analyst);
    expect(resumed.json().paused).toBe(false);
    expect((await req("POST", `/api/v1/bulletins/${bulletin.id}/pause`, rssiA)).statusCode).toBe(403);
  });
});

describe("from an incident", () => {
  test("a contagion alert pre-filled with its observables, anonymised, TLP:GREEN", async () => {
    const declared = await req(
      "POST",
      "/api/v1/incidents",
      rssiA,
      declaration({
        title: "Rançongiciel au CH Alpha",
        description: "Le serveur SRV-ALPHA-01 du CH Alpha est chiffré",
        observables: [
          { type: "ipv4", value: "185.220.101.7", comment: "vu sur le pare-feu du CH Alpha" },
          { type: "domain", value: "evil.example.com" },
        ],
      }),
    );
    expect(declared.statusCode).toBe(201);
    const incidentId = declared.json().id;
    expect((await req("POST", `/api/v1/incidents/${incidentId}/bulletin`, rssiA)).statusCode).toBe(403);
    const res = await req("POST", `/api/v1/incidents/${incidentId}/bulletin`, analyst);
    expect(res.statusCode, res.body).toBe(201);
    const b = res.json();
    expect(b).toMatchObject({ status: "draft", tlp: "GREEN", kind: "alerte", sourceIncidentId: incidentId });
    expect(b.audience).toEqual({ all: true });
    expect(b.observables.map((o: { normalized: string }) => o.normalized).sort()).toEqual(
      ["185.220.101.7", "evil.example.com"].sort(),
    );
    expect(JSON.stringify(b)).not.toContain("Alpha");
    const count = await t.db
      .select()
      .from(incidentObservables)
      .where(eq(incidentObservables.incidentId, incidentId));
    expect(count).toHaveLength(2);
    expect((await req("POST", `/api/v1/incidents/${NON_EXISTENT}/bulletin`, analyst)).statusCode).toBe(404);
  });
});

test("pages of bulletins: a forged cursor is a 400, pages follow each other without overlap", async () => {
  const forged = Buffer.from(JSON.stringify(["not-an-id"])).toString("base64url");
  const bad = await req("GET", `/api/v1/bulletins?cursor=${forged}`, analyst);
  expect(bad.statusCode).toBe(400);
  expect(bad.json().errors[0].field).toBe("/cursor");
  const first = (await req("GET", "/api/v1/bulletins?limit=3", analyst)).json();
  const second = (await req("GET", `/api/v1/bulletins?limit=3&cursor=${first.nextCursor}`, analyst)).json();
  expect(first.items).toHaveLength(3);
  const ids = [...first.items, ...second.items].map((b: { id: string }) => b.id);
  expect(new Set(ids).size).toBe(ids.length);
});
