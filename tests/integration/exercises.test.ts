import { establishments } from "@pris/db";
import { dayInZone, yearInZone } from "@pris/domain";
import { parse } from "csv-parse/sync";
import { eq } from "drizzle-orm";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createEstablishment,
  createGht,
  createUser,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * Exercises end to end through the API: an RSSI plans and records an exercise, writes its RETEX and
 * actions, the ARS validates it and the completion rate moves; the rules of the rate (pooled, cancelled,
 * year boundaries, establishments joining and leaving); the exports parsed back.
 */
let t: TestApp;
let ars: Record<string, string>;
let analyst: Record<string, string>;
let rssiGht: Record<string, string>;
let rssiSmall: Record<string, string>;
let chA: { id: string };
let chB: { id: string };
let clinic: { id: string };
let ehpad: { id: string };
/** Last year in the region: deactivating an establishment records today's date, so the years follow today. */
const YEAR = yearInZone(new Date(), "Indian/Reunion") - 1;

const call = async (
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  url: string,
  headers: Record<string, string>,
  payload?: unknown,
) => t.app.inject({ method, url, headers, payload: payload as string | undefined });

function exerciseBody(establishmentIds: string[], overrides: Record<string, unknown> = {}) {
  return {
    kind: "degraded_mode",
    level: "beginner",
    title: "Panne du DPI un lundi matin",
    scenario: "Le dossier patient est indisponible pendant 6 h à la suite d'un rançongiciel.",
    objectives: ["Basculer en procédures dégradées", "Prévenir l'ARS"],
    plannedOn: `${YEAR}-03-10`,
    participants: "Direction, DSI, urgences",
    organiser: "Direction des soins",
    establishmentIds,
    ...overrides,
  };
}

async function plan(headers: Record<string, string>, body: Record<string, unknown>) {
  const res = await call("POST", "/api/v1/exercises", headers, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as {
    id: string;
    status: string;
    pooled: boolean;
    participations: { id: string; establishmentId: string; status: string }[];
  };
}

async function hold(headers: Record<string, string>, id: string, heldOn: string) {
  const res = await call("POST", `/api/v1/exercises/${id}/hold`, headers, { heldOn });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function completion(year = YEAR) {
  const res = await call("GET", `/api/v1/exercises/completion?year=${year}`, ars);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    total: { subject: number; held: number; planned: number; rate: number | null; retexSubmitted: number };
    rows: {
      territory: string;
      territoryName: string;
      category: string;
      subject: number;
      held: number;
      rate: number | null;
    }[];
    trend: { year: number; subject: number; held: number }[];
  };
}

const row = (c: Awaited<ReturnType<typeof completion>>, territory: string, category: string) =>
  c.rows.find((r) => r.territory === territory && r.category === category);

beforeAll(async () => {
  t = await startTestApp();
  const ght = await createGht(t.db);
  chA = await createEstablishment(t.db, {
    category: "ch",
    territory: "sud",
    ghtId: ght.id,
    name: "CH Alpha",
  });
  chB = await createEstablishment(t.db, {
    category: "ch",
    territory: "sud",
    ghtId: ght.id,
    name: "CH Bravo",
  });
  clinic = await createEstablishment(t.db, {
    category: "private_clinic",
    territory: "nord",
    name: "Clinique",
  });
  ehpad = await createEstablishment(t.db, { category: "ehpad", territory: "nord", name: "EHPAD" });
  ars = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;
  analyst = (await login(t.app, (await createUser(t.db, { role: "analyst" })).email)).bearer;
  rssiGht = (await login(t.app, (await createUser(t.db, { role: "rssi", ghtId: ght.id })).email)).bearer;
  rssiSmall = (
    await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: ehpad.id })).email)
  ).bearer;
});
afterAll(() => t.close());

describe("an RSSI's exercise, its RETEX and the ARS's validation", () => {
  let participationId: string;

  test("planning and holding it moves the establishment from late to done", async () => {
    const before = await completion();
    expect(before.total).toMatchObject({ subject: 4, held: 0, planned: 0, rate: 0 });
    const exercise = await plan(rssiSmall, exerciseBody([ehpad.id], { level: "light" }));
    expect(exercise.status).toBe("planned");
    expect(exercise.pooled).toBe(false);
    expect((await completion()).total).toMatchObject({ planned: 1, held: 0 });

    await hold(rssiSmall, exercise.id, `${YEAR}-03-12`);
    const after = await completion();
    expect(after.total).toMatchObject({ subject: 4, held: 1, rate: 0.25 });
    expect(row(after, "nord", "ehpad")).toMatchObject({ subject: 1, held: 1, rate: 1 });
    participationId = exercise.participations[0]!.id;
  });

  test("the RETEX: summaries, findings, actions; submission needs a finding", async () => {
    const url = `/api/v1/participations/${participationId}`;
    let res = await call("PUT", `${url}/retex`, rssiSmall, {
      hotSummary: "Bascule papier en 20 minutes ; l'annuaire téléphonique papier était périmé.",
      hotOn: `${YEAR}-03-12`,
    });
    expect(res.statusCode, res.body).toBe(200);
    res = await call("POST", `${url}/submit`, rssiSmall);
    expect(res.statusCode).toBe(409);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual(["/findings"]);

    res = await call("POST", `${url}/findings`, rssiSmall, {
      phase: "hot",
      theme: "communication",
      polarity: "negative",
      text: "Numéro de l'ARS introuvable",
    });
    expect(res.statusCode, res.body).toBe(201);
    const findingId = res.json().findings[0].id;
    res = await call("POST", `${url}/actions`, rssiSmall, {
      title: "Mettre à jour l'annuaire de crise",
      owner: "Cadre de santé",
      dueOn: `${YEAR}-06-30`,
      findingId,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().actions).toHaveLength(1);

    res = await call("POST", `${url}/submit`, rssiSmall);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe("retex_submitted");
    expect((await completion()).total.retexSubmitted).toBe(1);
  });

  test("only the ARS validates; a sent-back RETEX returns to the establishment with the comment", async () => {
    const url = `/api/v1/participations/${participationId}`;
    expect((await call("POST", `${url}/validate`, rssiSmall)).statusCode).toBe(403);
    expect((await call("POST", `${url}/validate`, analyst)).statusCode).toBe(403);
    let res = await call("POST", `${url}/return`, ars, { comment: "Ajoutez le RETEX à froid" });
    expect(res.json()).toMatchObject({
      status: "held",
      retex: { returnComment: "Ajoutez le RETEX à froid" },
    });
    res = await call("PUT", `${url}/retex`, rssiSmall, {
      coldSummary: "Annuaire refait",
      coldOn: `${YEAR}-04-20`,
    });
    expect(res.statusCode).toBe(200);
    expect((await call("POST", `${url}/submit`, rssiSmall)).statusCode).toBe(200);
    res = await call("POST", `${url}/validate`, ars);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: "validated", retex: { returnComment: null } });
  });

  test("closing the last action closes the participation; reopening one reopens it", async () => {
    const url = `/api/v1/participations/${participationId}`;
    const actionId = (await call("GET", url, rssiSmall)).json().actions[0].id;
    let res = await call("PATCH", `${url}/actions/${actionId}`, rssiSmall, { status: "done" });
    expect(res.json()).toMatchObject({ status: "actions_closed" });
    expect(res.json().actions[0].closedAt).toEqual(expect.any(String));
    res = await call("PATCH", `${url}/actions/${actionId}`, rssiSmall, { status: "in_progress" });
    expect(res.json()).toMatchObject({ status: "validated" });
    res = await call("PATCH", `${url}/actions/${actionId}`, rssiSmall, { status: "done" });
    expect(res.json().status).toBe("actions_closed");
  });

  test("shared with the network anonymised, then named when the establishment agrees", async () => {
    const url = `/api/v1/participations/${participationId}/share`;
    expect((await call("PUT", url, ars, { shared: true, tlp: "GREEN" })).statusCode).toBe(403);
    const noTlp = await call("PUT", url, rssiSmall, { shared: true });
    expect(noTlp.statusCode).toBe(400);
    expect(noTlp.json().errors[0].field).toBe("/tlp");
    expect((await call("PUT", url, rssiSmall, { shared: true, tlp: "GREEN" })).statusCode).toBe(200);
    let shared = (await call("GET", "/api/v1/retex/shared", rssiGht)).json();
    expect(shared.items).toHaveLength(1);
    expect(shared.items[0]).toMatchObject({ establishment: null, category: "ehpad", tlp: "GREEN" });
    expect(JSON.stringify(shared)).not.toContain('EHPAD"');
    await call("PUT", url, rssiSmall, { shared: true, tlp: "GREEN", named: true });
    shared = (await call("GET", "/api/v1/retex/shared", rssiGht)).json();
    expect(shared.items[0].establishment).toBe("EHPAD");
  });

  test("recurring findings of the year, most negative first", async () => {
    const res = await call("GET", `/api/v1/exercises/findings?year=${YEAR}`, analyst);
    expect(res.statusCode).toBe(200);
    expect(res.json().retexCount).toBe(1);
    expect(res.json().themes[0]).toEqual({ theme: "communication", negative: 1, positive: 0, retex: 1 });
  });
});

describe("completion rules", () => {
  test("a GHT-pooled exercise counts for each participant; a cancelled one never", async () => {
    const pooled = await plan(rssiGht, exerciseBody([chA.id, chB.id], { kind: "tabletop" }));
    expect(pooled.pooled).toBe(true);
    const cancelled = await plan(analyst, exerciseBody([clinic.id]));
    const res = await call("POST", `/api/v1/exercises/${cancelled.id}/cancel`, analyst, {
      reason: "Cyberattaque réelle la même semaine",
    });
    expect(res.json()).toMatchObject({
      status: "cancelled",
      cancelReason: "Cyberattaque réelle la même semaine",
    });
    expect(
      (await call("POST", `/api/v1/exercises/${cancelled.id}/hold`, analyst, { heldOn: `${YEAR}-03-10` }))
        .statusCode,
    ).toBe(409);
    await hold(rssiGht, pooled.id, `${YEAR}-05-02`);
    const c = await completion();
    expect(row(c, "sud", "ch")).toMatchObject({ subject: 2, held: 2, rate: 1 });
    expect(row(c, "nord", "private_clinic")).toMatchObject({ subject: 1, held: 0, rate: 0 });
    expect(c.total).toMatchObject({ subject: 4, held: 3, rate: 0.75 });
  });

  test("the year is the held day's: planned in December, held in January counts for January's year", async () => {
    const late = await plan(analyst, exerciseBody([clinic.id], { plannedOn: `${YEAR}-12-31` }));
    expect((await completion()).total.planned).toBe(4);
    await hold(analyst, late.id, `${YEAR + 1}-01-01`);
    expect(row(await completion(), "nord", "private_clinic")).toMatchObject({ held: 0 });
    expect(row(await completion(YEAR + 1), "nord", "private_clinic")).toMatchObject({ held: 1 });
    const trend = (await completion(YEAR + 1)).trend;
    expect(trend.map((y) => y.year)).toEqual([YEAR - 3, YEAR - 2, YEAR - 1, YEAR, YEAR + 1]);
    expect(trend.at(-2)).toMatchObject({ year: YEAR, held: 3 });
    expect(trend.at(-1)).toMatchObject({ year: YEAR + 1, held: 1 });
  });

  test("joining after 30 June owes from next year; leaving during the year owes nothing for it", async () => {
    const joiner = await createEstablishment(t.db, { category: "ch", territory: "sud" });
    await t.db
      .update(establishments)
      .set({ activeFrom: `${YEAR}-07-01` })
      .where(eq(establishments.id, joiner.id));
    const early = await createEstablishment(t.db, { category: "ch", territory: "sud" });
    await t.db
      .update(establishments)
      .set({ activeFrom: `${YEAR}-06-30` })
      .where(eq(establishments.id, early.id));
    expect(row(await completion(), "sud", "ch")).toMatchObject({ subject: 3, held: 2 });
    expect(row(await completion(YEAR + 1), "sud", "ch")?.subject).toBe(4);

    // Deactivating records the day it left, the region's today (trigger): this year it is no longer
    // subject — unless it left on 31 December, having been there all year —, last year it was.
    await t.db.update(establishments).set({ active: false }).where(eq(establishments.id, chB.id));
    const [left] = await t.db.select().from(establishments).where(eq(establishments.id, chB.id));
    expect(left!.activeUntil).toBe(dayInZone(new Date(), "Indian/Reunion"));
    const leftOnYearEnd = left!.activeUntil === `${YEAR + 1}-12-31`;
    expect(row(await completion(YEAR + 1), "sud", "ch")?.subject).toBe(leftOnYearEnd ? 4 : 3);
    expect(row(await completion(), "sud", "ch")).toMatchObject({ subject: 3, held: 2 });
    // Left before the end of a year: not subject, and its exercise of that year leaves the count too.
    await t.db
      .update(establishments)
      .set({ activeUntil: `${YEAR}-09-30` })
      .where(eq(establishments.id, chB.id));
    expect(row(await completion(), "sud", "ch")).toMatchObject({ subject: 2, held: 1 });
    await t.db.update(establishments).set({ active: true }).where(eq(establishments.id, chB.id));
    const [back] = await t.db.select().from(establishments).where(eq(establishments.id, chB.id));
    expect(back!.activeUntil).toBeNull();
    expect(row(await completion(), "sud", "ch")).toMatchObject({ subject: 3, held: 2 });
  });

  test("the late list names the subject establishments without a held exercise, with their RSSI", async () => {
    const res = await call("GET", `/api/v1/exercises/completion/late?year=${YEAR}&limit=1`, ars);
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json();
    expect(page.total).toBe(2);
    expect(page.items).toHaveLength(1);
    expect(page.items[0].rssiEmail).toMatch(/@pris\.test$/);
    const next = (
      await call("GET", `/api/v1/exercises/completion/late?year=${YEAR}&cursor=${page.nextCursor}`, ars)
    ).json();
    expect(next.items).toHaveLength(1);
    expect(next.nextCursor).toBeNull();
    const names = [page.items[0].name, next.items[0].name];
    expect(names).toContain("Clinique");
  });
});

describe("exports", () => {
  test("the CSV and the XLSX hold the dashboard's numbers", async () => {
    const data = await completion();
    const csv = await call("GET", `/api/v1/exercises/completion.csv?year=${YEAR}`, ars);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toContain("text/csv");
    const records = parse(csv.body.replace(/^\uFEFF/, ""), { delimiter: ";", columns: true }) as Record<
      string,
      string
    >[];
    expect(records).toHaveLength(data.rows.length + 1);
    const total = records.at(-1)!;
    expect(total.Territoire).toBe("Total");
    expect(Number(total.Assujettis)).toBe(data.total.subject);
    expect(Number(total["Exercice réalisé"])).toBe(data.total.held);
    // A decimal comma, which a French spreadsheet reads as a number ("12.5" would be text there).
    expect(total["Taux de réalisation (%)"]).toMatch(/^\d+(,\d)?$/);
    expect(Number(total["Taux de réalisation (%)"]!.replace(",", "."))).toBeCloseTo(
      (data.total.rate ?? 0) * 100,
      1,
    );
    expect(records.some((r) => /^\d+,\d$/.test(r["Taux de réalisation (%)"]!))).toBe(true);
    // Territories by their names, as on the dashboard.
    expect(records.map((r) => r.Territoire)).toContain(data.rows[0]!.territoryName);

    const xlsx = await call("GET", `/api/v1/exercises/completion.xlsx?year=${YEAR}`, ars);
    expect(xlsx.statusCode).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.rowCount).toBe(data.rows.length + 2);
    const last = sheet.getRow(sheet.rowCount);
    expect(last.getCell(2).value).toBe("Total");
    expect(last.getCell(4).value).toBe(data.total.subject);
    expect(last.getCell(6).value).toBe(data.total.held);
    // The rate is a number shown as a percentage, not text.
    expect(last.getCell(7).value).toBeCloseTo(data.total.rate ?? 0, 6);
    expect(last.getCell(7).numFmt).toBe("0.0%");
    expect(sheet.getRow(1).getCell(7).value).toBe("Taux de réalisation");
    const late = workbook.getWorksheet("En retard")!;
    expect(late.rowCount).toBe(1 + 2);
    const names = new Set(data.rows.map((r) => r.territoryName));
    for (let i = 2; i <= late.rowCount; i++) expect(names).toContain(late.getRow(i).getCell(3).value);
  });
});

describe("validation and roles", () => {
  test("a wrong body names the field", async () => {
    const res = await call(
      "POST",
      "/api/v1/exercises",
      rssiSmall,
      exerciseBody([ehpad.id], { level: "expert" }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(JSON.stringify(res.json().errors)).toContain("/level");
  });

  test("a held day in the future is refused", async () => {
    const exercise = await plan(rssiSmall, exerciseBody([ehpad.id], { plannedOn: "2099-01-10" }));
    const res = await call("POST", `/api/v1/exercises/${exercise.id}/hold`, rssiSmall, {
      heldOn: "2099-01-10",
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe("/heldOn");
  });

  test("an RSSI cannot create the regional exercise; the dashboard is the ARS's and the pole's", async () => {
    expect(
      (await call("POST", "/api/v1/exercises", rssiSmall, exerciseBody([ehpad.id], { kind: "regional" })))
        .statusCode,
    ).toBe(403);
    for (const url of [
      "/api/v1/exercises/completion",
      "/api/v1/exercises/findings",
      "/api/v1/exercises/completion.csv",
    ]) {
      expect((await call("GET", url, rssiSmall)).statusCode).toBe(403);
    }
    const taskforce = (await login(t.app, (await createUser(t.db, { role: "taskforce" })).email)).bearer;
    expect((await call("GET", "/api/v1/exercises", taskforce)).statusCode).toBe(403);
  });

  test("the regional exercise: the ARS plans it for many, each participant progresses on its own", async () => {
    const regional = await plan(
      ars,
      exerciseBody([chA.id, clinic.id, ehpad.id], {
        kind: "regional",
        level: "confirmed",
        plannedOn: `${YEAR}-10-15`,
      }),
    );
    expect(regional.participations).toHaveLength(3);
    await hold(ars, regional.id, `${YEAR}-10-15`);
    const detail = (await call("GET", `/api/v1/exercises/${regional.id}`, ars)).json();
    expect(detail.participations.map((p: { status: string }) => p.status)).toEqual(["held", "held", "held"]);
    // The EHPAD's RSSI sees their own part only, and cannot run the regional exercise.
    const mine = (await call("GET", `/api/v1/exercises/${regional.id}`, rssiSmall)).json();
    expect(mine.participations.map((p: { establishmentId: string }) => p.establishmentId)).toEqual([
      ehpad.id,
    ]);
    expect(mine.participantCount).toBe(1);
    expect(
      (await call("POST", `/api/v1/exercises/${regional.id}/cancel`, rssiSmall, { reason: "x" })).statusCode,
    ).toBe(403);
  });
});

describe("participants after creation", () => {
  const Y = 2023;
  const participants = async (id: string, headers = ars) =>
    (await call("GET", `/api/v1/exercises/${id}`, headers)).json().participations as {
      id: string;
      establishmentId: string;
      status: string;
    }[];
  const add = (headers: Record<string, string>, id: string, establishmentIds: string[]) =>
    call("POST", `/api/v1/exercises/${id}/participations`, headers, { establishmentIds });
  const remove = (headers: Record<string, string>, id: string, participationId: string) =>
    call("DELETE", `/api/v1/exercises/${id}/participations/${participationId}`, headers);

  test("a GHT RSSI adds a member of the GHT, and only of it; adding one twice changes nothing", async () => {
    const x = await plan(rssiGht, exerciseBody([chA.id], { plannedOn: `${Y}-04-01` }));
    expect(x.pooled).toBe(false);
    const res = await add(rssiGht, x.id, [chB.id, chA.id]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ pooled: true, participantCount: 2 });
    expect((await participants(x.id)).map((p) => p.status)).toEqual(["planned", "planned"]);
    const outside = await add(rssiGht, x.id, [chB.id, clinic.id]);
    expect(outside.statusCode).toBe(400);
    expect(outside.json().errors.map((e: { field: string }) => e.field)).toEqual(["/establishmentIds/1"]);
    expect(await participants(x.id)).toHaveLength(2);
  });

  test("the ARS adds to the regional exercise, even once held; a newcomer to a held one has held it", async () => {
    const regional = await plan(
      ars,
      exerciseBody([chA.id, clinic.id], { kind: "regional", plannedOn: `${Y}-10-15` }),
    );
    expect((await add(ars, regional.id, [ehpad.id])).json().participantCount).toBe(3);
    await hold(ars, regional.id, `${Y}-10-15`);
    const before = row(await completion(Y), "sud", "ch")?.held ?? 0;
    const late = await createEstablishment(t.db, {
      category: "ch",
      territory: "sud",
      name: "CH Retardataire",
    });
    const res = await add(ars, regional.id, [late.id]);
    expect(res.statusCode, res.body).toBe(200);
    const joined = (await participants(regional.id)).find((p) => p.establishmentId === late.id);
    expect(joined?.status).toBe("held");
    expect(row(await completion(Y), "sud", "ch")?.held).toBe(before + 1);
  });

  test("a participant leaves until its RETEX is submitted, never the last one; others' are 404", async () => {
    const x = await plan(ars, exerciseBody([chA.id, ehpad.id, clinic.id], { plannedOn: `${Y}-06-01` }));
    const byEstablishment = new Map(x.participations.map((p) => [p.establishmentId, p.id]));
    // The EHPAD's RSSI sees its own participation only: the clinic's is not found.
    const notMine = await remove(rssiSmall, x.id, byEstablishment.get(clinic.id)!);
    expect(notMine.statusCode).toBe(404);
    expect(notMine.body).not.toContain("Clinique");
    const gone = await remove(ars, x.id, byEstablishment.get(clinic.id)!);
    expect(gone.statusCode, gone.body).toBe(204);
    expect(await participants(x.id)).toHaveLength(2);

    await hold(ars, x.id, `${Y}-06-01`);
    const ehpadPart = byEstablishment.get(ehpad.id)!;
    await call("PUT", `/api/v1/participations/${ehpadPart}/retex`, rssiSmall, {
      hotSummary: "Bascule correcte",
    });
    await call("POST", `/api/v1/participations/${ehpadPart}/findings`, rssiSmall, {
      phase: "hot",
      theme: "communication",
      polarity: "positive",
      text: "Cellule de crise réunie en 20 minutes",
    });
    expect((await call("POST", `/api/v1/participations/${ehpadPart}/submit`, rssiSmall)).statusCode).toBe(
      200,
    );
    const submitted = await remove(ars, x.id, ehpadPart);
    expect(submitted.statusCode).toBe(409);
    expect(submitted.json().code).toBe("participation_status");

    // chA held with a draft finding: it leaves with it.
    const chAPart = byEstablishment.get(chA.id)!;
    await call("POST", `/api/v1/participations/${chAPart}/findings`, rssiGht, {
      phase: "hot",
      theme: "technical",
      polarity: "negative",
      text: "Sauvegardes non testées",
    });
    const left = await remove(rssiGht, x.id, chAPart);
    expect(left.statusCode, left.body).toBe(204);
    // chA was the GHT RSSI's only part of it: the exercise is gone from their view.
    expect((await call("GET", `/api/v1/exercises/${x.id}`, rssiGht)).statusCode).toBe(404);
    expect((await call("GET", `/api/v1/participations/${chAPart}`, ars)).statusCode).toBe(404);
    const last = await remove(ars, x.id, ehpadPart);
    expect(last.statusCode).toBe(409);
  });

  test("the last participant stays, and a cancelled exercise takes no one", async () => {
    const x = await plan(ars, exerciseBody([clinic.id], { plannedOn: `${Y}-07-01` }));
    const last = await remove(ars, x.id, x.participations[0]!.id);
    expect(last.statusCode).toBe(409);
    expect(last.json().code).toBe("last_participant");
    await call("POST", `/api/v1/exercises/${x.id}/cancel`, ars, { reason: "Reporté" });
    const res = await add(ars, x.id, [ehpad.id]);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe("exercise_cancelled");
  });
});
