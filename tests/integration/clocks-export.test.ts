import { incidentLog, incidents, outbox } from "@pris/db";
import {
  addOneMonth,
  formatInZone,
  INCIDENT_STATUS_LABELS,
  type IncidentStatus,
  SEVERITY_LABELS,
  type Severity,
} from "@pris/domain";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { launchChromium } from "../support/browser.ts";
import {
  createApiKey,
  createEstablishment,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

const ZONE = "Indian/Reunion";
let t: TestApp;
let A: { id: string; name: string };
let rssiA: Record<string, string>;
let rssiB: Record<string, string>;
let keyA: Record<string, string>;
let analyst: Record<string, string>;
let taskforce: Record<string, string>;
let ars: Record<string, string>;
let admin: Record<string, string>;

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

beforeAll(async () => {
  t = await startTestApp({ REGION_TIMEZONE: ZONE });
  A = await createEstablishment(t.db, { name: "CH Ouest", nis2Status: "essential" });
  const B = await createEstablishment(t.db, { name: "Clinique Bravo" });
  const as = async (role: Parameters<typeof createUser>[1]["role"], establishmentId?: string) =>
    (await login(t.app, (await createUser(t.db, { role, establishmentId })).email)).bearer;
  rssiA = await as("rssi", A.id);
  rssiB = await as("rssi", B.id);
  analyst = await as("analyst");
  taskforce = await as("taskforce");
  ars = await as("ars");
  admin = await as("admin");
  keyA = { authorization: `ApiKey ${(await createApiKey(t.db, A.id)).key}` };
});
afterAll(() => t.close());

async function declare(overrides: Parameters<typeof declaration>[0] = {}, headers = rssiA) {
  const res = await t.app.inject({
    method: "POST",
    url: "/api/v1/incidents",
    headers,
    payload: declaration(overrides),
  });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; reference: string };
}

const record = (id: string, kind: string, payload: object, headers = rssiA) =>
  t.app.inject({ method: "POST", url: `/api/v1/incidents/${id}/clocks/${kind}`, headers, payload });

const clockOf = async (id: string, kind: string, headers = analyst) => {
  const res = await t.app.inject({ method: "GET", url: `/api/v1/incidents/${id}`, headers });
  return res.json().clocks.find((c: { kind: string }) => c.kind === kind);
};

describe("recording a regulatory clock", () => {
  test("records when, to whom and the reference, in one transaction with the log, the outbox and the next deadline", async () => {
    const incident = await declare({ detectedAt: hoursAgo(2).toISOString() });
    const [before] = await t.db.select().from(incidents).where(eq(incidents.id, incident.id));
    const doneAt = hoursAgo(1).toISOString();
    const res = await record(incident.id, "national_portal", {
      doneAt,
      authority: "CERT Santé / portail de signalement",
      reference: "CS-2026-123",
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      kind: "national_portal",
      doneAt,
      state: "done_on_time",
      authority: "CERT Santé / portail de signalement",
      reference: "CS-2026-123",
      lateReason: null,
    });
    const detail = (
      await t.app.inject({ method: "GET", url: `/api/v1/incidents/${incident.id}`, headers: rssiA })
    ).json();
    expect(detail.nationalPortal).toEqual({ declared: true, reference: "CS-2026-123", declaredAt: doneAt });
    expect(detail.clocks.find((c: { kind: string }) => c.kind === "national_portal")).toMatchObject({
      reference: "CS-2026-123",
      authority: "CERT Santé / portail de signalement",
    });
    const log = await t.db
      .select()
      .from(incidentLog)
      .where(and(eq(incidentLog.incidentId, incident.id), eq(incidentLog.kind, "clock_recorded")));
    expect(log).toMatchObject([
      { seq: 2, visibility: "shared", body: { clock: "national_portal", reference: "CS-2026-123" } },
    ]);
    const changes = await t.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.aggregateId, incident.id), eq(outbox.topic, "incident.changed")));
    expect(changes).toMatchObject([{ payload: { incidentId: incident.id } }]);
    const [after] = await t.db.select().from(incidents).where(eq(incidents.id, incident.id));
    // The portal was the nearest open deadline after the acknowledgement; now the NIS2 early warning (24 h) is.
    const earlyWarning = await clockOf(incident.id, "nis2_early_warning");
    expect(after!.nextDeadlineAt!.getTime()).toBe(
      Math.min(before!.ackDueAt!.getTime(), new Date(earlyWarning.dueAt).getTime()),
    );
  });

  test("the establishment's API key records its own notifications too", async () => {
    const incident = await declare({ personalData: { breach: "yes" } });
    const res = await record(
      incident.id,
      "gdpr_cnil",
      { doneAt: new Date().toISOString(), authority: "CNIL" },
      keyA,
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().state).toBe("done_on_time");
  });

  test("late needs a reason (400 naming /lateReason); with it, the clock is done late", async () => {
    const incident = await declare({
      detectedAt: hoursAgo(100).toISOString(),
      personalData: { breach: "yes", approxPeople: 300 },
    });
    const late = { doneAt: hoursAgo(1).toISOString(), authority: "CNIL", reference: "NOTIF-42" };
    const refused = await record(incident.id, "gdpr_cnil", late);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toEqual([expect.objectContaining({ field: "/lateReason" })]);
    const ok = await record(incident.id, "gdpr_cnil", {
      ...late,
      lateReason: "Périmètre de la fuite établi le quatrième jour",
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      state: "done_late",
      lateReason: "Périmètre de la fuite établi le quatrième jour",
    });
  });

  test("404 for a clock the incident does not have; 400 for a kind that does not exist; a time in the future is refused", async () => {
    const small = await declare({ personalData: { breach: "no" } }, rssiB);
    const body = { doneAt: new Date().toISOString(), authority: "ANSSI / CSIRT" };
    expect((await record(small.id, "nis2_notification", body, rssiB)).statusCode).toBe(404);
    expect((await record(small.id, "gdpr_cnil", body, rssiB)).statusCode).toBe(404);
    expect((await record(small.id, "whatever", body, rssiB)).statusCode).toBe(400);
    const report = await record(small.id, "national_portal", { ...body, report: "progress" }, rssiB);
    expect(report.statusCode).toBe(400);
    expect(report.json().errors).toEqual([expect.objectContaining({ field: "/report" })]);
    const future = await record(
      small.id,
      "national_portal",
      { ...body, doneAt: new Date(Date.now() + 3_600_000).toISOString() },
      rssiB,
    );
    expect(future.statusCode).toBe(400);
    expect(future.json().errors).toEqual([expect.objectContaining({ field: "/doneAt" })]);
  });

  test("the NIS2 notification re-times the final report one calendar month later in the region's zone, no longer provisional", async () => {
    // La Réunion is UTC+4 all year. The most recent 31st, 01:00 there (21:00 UTC on the 30th), of a month
    // followed by a shorter one: the final report is due on the last day of the next month, 01:00 local.
    const local = (y: number, m: number, d: number, h: number) =>
      new Date(Date.UTC(y, m, d, h) - 4 * 3_600_000);
    const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
    let y = new Date().getUTCFullYear();
    let m = new Date().getUTCMonth();
    while (
      !(
        daysIn(y, m) === 31 &&
        daysIn(y, m + 1) < 31 &&
        local(y, m, 31, 1).getTime() < Date.now() - 2 * 86_400_000
      )
    ) {
      m -= 1;
      if (m < 0) [y, m] = [y - 1, 11];
    }
    const notifiedAt = local(y, m, 31, 1);
    const expectedDue = local(y, m + 1, daysIn(y, m + 1), 1);
    const incident = await declare({
      detectedAt: new Date(notifiedAt.getTime() - 2 * 3_600_000).toISOString(),
    });
    expect((await clockOf(incident.id, "nis2_final_report")).provisional).toBe(true);

    const early = await record(incident.id, "nis2_final_report", {
      doneAt: notifiedAt.toISOString(),
      authority: "ANSSI / CSIRT",
    });
    expect(early.statusCode).toBe(409);

    const res = await record(incident.id, "nis2_notification", {
      doneAt: notifiedAt.toISOString(),
      authority: "ANSSI / CSIRT",
      reference: "ANSSI-2026-77",
    });
    expect(res.statusCode).toBe(200);
    const final = await clockOf(incident.id, "nis2_final_report");
    expect(final).toMatchObject({
      provisional: false,
      startsAt: notifiedAt.toISOString(),
      dueAt: expectedDue.toISOString(),
    });
    // Not the naive UTC month: in UTC the notification was on the 30th, so a month later is the 30th too.
    expect(final.dueAt).not.toBe(new Date(Date.UTC(y, m + 1, 30, 21)).toISOString());
  });

  test("a progress report while the incident is open keeps the final report owed; after closure it is due a month after the end", async () => {
    const notifiedAt = hoursAgo(40 * 24);
    const incident = await declare({ detectedAt: new Date(notifiedAt.getTime() - 3_600_000).toISOString() });
    await record(incident.id, "nis2_notification", { doneAt: notifiedAt.toISOString(), authority: "ANSSI" });
    const progressAt = hoursAgo(12 * 24);
    const progress = await record(incident.id, "nis2_final_report", {
      doneAt: progressAt.toISOString(),
      authority: "ANSSI / CSIRT",
      reference: "RI-1",
      report: "progress",
      note: "Chiffrement toujours en cours d'analyse",
    });
    expect(progress.statusCode).toBe(200);
    expect(progress.json()).toMatchObject({
      doneAt: null,
      provisional: true,
      startsAt: progressAt.toISOString(),
      dueAt: addOneMonth(progressAt, ZONE).toISOString(),
      state: "pending",
    });
    const closedAt = hoursAgo(24);
    await t.db.update(incidents).set({ status: "closed", closedAt }).where(eq(incidents.id, incident.id));
    const again = await record(incident.id, "nis2_final_report", {
      doneAt: progressAt.toISOString(),
      authority: "ANSSI",
      report: "progress",
    });
    expect(again.statusCode).toBe(409);
    const finalAt = hoursAgo(1);
    const final = await record(incident.id, "nis2_final_report", {
      doneAt: finalAt.toISOString(),
      authority: "ANSSI / CSIRT",
      reference: "RF-1",
    });
    expect(final.statusCode).toBe(200);
    expect(final.json()).toMatchObject({
      doneAt: finalAt.toISOString(),
      provisional: false,
      startsAt: closedAt.toISOString(),
      dueAt: addOneMonth(closedAt, ZONE).toISOString(),
      state: "done_on_time",
    });
    const exported = (
      await t.app.inject({
        method: "GET",
        url: `/api/v1/incidents/${incident.id}/notifications`,
        headers: analyst,
      })
    ).json();
    const finalReport = exported.notifications.find((n: { kind: string }) => n.kind === "nis2_final_report");
    expect(finalReport.submissions).toMatchObject([
      { report: "progress", reference: "RI-1", note: "Chiffrement toujours en cours d'analyse" },
      { report: "final", reference: "RF-1" },
    ]);
  });
});

test("closing through the lifecycle re-times a final report owed after a progress report", async () => {
  const notifiedAt = hoursAgo(20 * 24);
  const incident = await declare({ detectedAt: new Date(notifiedAt.getTime() - 3_600_000).toISOString() });
  await record(incident.id, "nis2_notification", { doneAt: notifiedAt.toISOString(), authority: "ANSSI" });
  await record(incident.id, "nis2_final_report", {
    doneAt: hoursAgo(2 * 24).toISOString(),
    authority: "ANSSI / CSIRT",
    report: "progress",
  });
  const act = (body: object) =>
    t.app.inject({
      method: "POST",
      url: `/api/v1/incidents/${incident.id}/transitions`,
      headers: analyst,
      payload: body,
    });
  expect((await act({ action: "investigate" })).statusCode).toBeLessThan(300);
  const closed = await act({
    action: "close",
    closure: {
      rsitClass: "malicious-code",
      rsitType: "infected-system",
      rootCause: "VPN non corrigé",
      measures: "Correctif, réinitialisation des comptes",
      lessons: "Inventaire des accès distants",
    },
  });
  expect(closed.statusCode).toBeLessThan(300);
  const view = (
    await t.app.inject({ method: "GET", url: `/api/v1/incidents/${incident.id}`, headers: analyst })
  ).json();
  const report = view.clocks.find((c: { kind: string }) => c.kind === "nis2_final_report");
  const [row] = await t.db
    .select({ closedAt: incidents.closedAt })
    .from(incidents)
    .where(eq(incidents.id, incident.id));
  expect(report).toMatchObject({
    startsAt: row!.closedAt!.toISOString(),
    dueAt: addOneMonth(row!.closedAt!, ZONE).toISOString(),
    provisional: false,
    doneAt: null,
  });
});

describe("the regulator export", () => {
  let incident: { id: string; reference: string };
  beforeAll(async () => {
    incident = await declare({
      detectedAt: hoursAgo(100).toISOString(),
      personalData: { breach: "yes" },
      title: "Fuite <img src=x onerror=alert(1)>",
    });
    await record(incident.id, "national_portal", {
      doneAt: hoursAgo(99).toISOString(),
      authority: "CERT Santé / portail de signalement",
      reference: "CS-<b>9</b>",
    });
    await record(incident.id, "gdpr_cnil", {
      doneAt: hoursAgo(2).toISOString(),
      authority: "CNIL",
      lateReason: "Le DPO était <script>alert('x')</script> absent",
      note: "Notification complémentaire à venir & suivie",
    });
  });

  test("JSON: each obligation with its legal basis, deadline, due and done times, to whom, reference, state and late reason", async () => {
    for (const headers of [analyst, rssiA, keyA]) {
      const res = await t.app.inject({
        method: "GET",
        url: `/api/v1/incidents/${incident.id}/notifications`,
        headers,
      });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        reference: incident.reference,
        establishment: { name: "CH Ouest" },
        timeZone: ZONE,
      });
      const byKind = Object.fromEntries(body.notifications.map((n: { kind: string }) => [n.kind, n]));
      expect(Object.keys(byKind).sort()).toEqual(
        [
          "gdpr_cnil",
          "national_portal",
          "nis2_early_warning",
          "nis2_final_report",
          "nis2_notification",
        ].sort(),
      );
      expect(byKind.gdpr_cnil).toMatchObject({
        obligation: { label: "Notification à la CNIL", basis: "RGPD art. 33", deadline: "72 h" },
        authority: "CNIL",
        state: "done_late",
        stateLabel: "Fait en retard",
        lateReason: "Le DPO était <script>alert('x')</script> absent",
      });
      expect(byKind.national_portal).toMatchObject({
        authority: "CERT Santé / portail de signalement",
        reference: "CS-<b>9</b>",
        state: "done_on_time",
      });
      expect(byKind.nis2_notification).toMatchObject({ doneAt: null, state: "overdue", authority: null });
    }
  });

  test("HTML: a printable French page, everything escaped, times in the region's zone", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${incident.id}/notifications.html`,
      headers: rssiA,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    const html = res.body;
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain(`Notifications réglementaires de l'incident ${incident.reference}`);
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>9</b>");
    expect(html).toContain("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;");
    expect(html).toContain("CS-&lt;b&gt;9&lt;/b&gt;");
    expect(html).toContain("&amp; suivie");
    expect(html).toContain("Fait en retard");
    expect(html).toContain("RGPD art. 33");
    const detail = (
      await t.app.inject({ method: "GET", url: `/api/v1/incidents/${incident.id}`, headers: analyst })
    ).json();
    const cnil = detail.clocks.find((c: { kind: string }) => c.kind === "gdpr_cnil");
    expect(html).toContain(formatInZone(new Date(cnil.dueAt), ZONE));
    expect(html).toContain("TLP:AMBER");
    // What the regulator needs to place the incident, the region named rather than its zone id.
    const field = (name: string) => new RegExp(`data-field="${name}">([^<]*)<`).exec(html)?.[1];
    expect(field("severity")).toBe(SEVERITY_LABELS[detail.severity as Severity]);
    expect(field("status")).toBe(INCIDENT_STATUS_LABELS[detail.status as IncidentStatus]);
    expect(field("declarant")).toContain(detail.declarant.name);
    expect(field("declarant")).toContain(detail.declarant.phone);
    expect(html).toContain("à l'heure de La Réunion");
    expect(html).not.toContain(ZONE);
  });

  test("HTML: printed on A4 within its margins", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${incident.id}/notifications.html`,
      headers: rssiA,
    });
    expect(res.body).toMatch(/@page\s*\{\s*size:\s*A4/);
    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext()).newPage();
      await page.setContent(res.body);
      // The PDF Chromium prints takes the page's own size: A4 is 595 × 842 points.
      const pdf = (await page.pdf({ preferCSSPageSize: true })).toString("latin1");
      const boxes = [...pdf.matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)];
      expect(boxes.length).toBeGreaterThan(0);
      for (const [, w, h] of boxes) {
        expect(Number(w)).toBeCloseTo(595.3, 0);
        expect(Number(h)).toBeCloseTo(841.9, 0);
      }
      // Within the margins: laid out at the printable width (210 − 2 × 15 mm = 180 mm = 680 px),
      // nothing reaches past it.
      await page.emulateMedia({ media: "print" });
      await page.setViewportSize({ width: 680, height: 1000 });
      const overflow = await page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const wider = [...document.querySelectorAll("body *")].filter(
          (e) => e.getBoundingClientRect().right > width + 0.5,
        );
        return { scroll: document.documentElement.scrollWidth, width, wider: wider.map((e) => e.tagName) };
      });
      expect(overflow.wider).toEqual([]);
      expect(overflow.scroll).toBeLessThanOrEqual(overflow.width);
    } finally {
      await browser.close();
    }
  });
});

describe("scope of the clock routes", () => {
  let incident: { id: string };
  beforeAll(async () => {
    incident = await declare({ personalData: { breach: "yes" } });
  });
  const routes = () => [
    { method: "GET" as const, url: `/api/v1/incidents/${incident.id}/notifications` },
    { method: "GET" as const, url: `/api/v1/incidents/${incident.id}/notifications.html` },
    {
      method: "POST" as const,
      url: `/api/v1/incidents/${incident.id}/clocks/gdpr_cnil`,
      payload: { doneAt: new Date().toISOString(), authority: "CNIL" },
    },
  ];

  test("the RSSI of another establishment gets 404, as for an incident that does not exist", async () => {
    for (const route of routes()) {
      const res = await t.app.inject({ ...route, headers: rssiB });
      expect(res.statusCode, route.url).toBe(404);
      expect(res.body).not.toContain("CH Ouest");
      const missing = await t.app.inject({
        ...route,
        url: route.url.replace(incident.id, "01900000-0000-7000-8000-000000000000"),
        headers: rssiB,
      });
      expect(missing.statusCode).toBe(404);
    }
  });

  test("task force, ARS and administrators neither record nor export; nobody without authentication", async () => {
    for (const headers of [taskforce, ars, admin]) {
      for (const route of routes()) {
        expect((await t.app.inject({ ...route, headers })).statusCode, route.url).toBe(403);
      }
    }
    for (const route of routes()) expect((await t.app.inject(route)).statusCode).toBe(401);
  });
});
