import { auditLog, onCallAt, onCallSlots } from "@pris/db";
import { instantOfWeekMinute, nextRotaChange, weekMinuteAt } from "@pris/domain";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { expectTrailInFrench } from "../support/audit-fixtures.ts";
import { createEstablishment, createUser, login, startTestApp, type TestApp } from "../support/fixtures.ts";
import { setRota } from "../support/timer-fixtures.ts";

let t: TestApp;
let admin: Record<string, string>;
let analystHeaders: Record<string, string>;
let taskforce: Record<string, string>;
let rssi: Record<string, string>;
let camille: Awaited<ReturnType<typeof createUser>>;
let mickael: Awaited<ReturnType<typeof createUser>>;
let nadia: Awaited<ReturnType<typeof createUser>>;

const H = 60;
const DAY = 1440;

beforeAll(async () => {
  t = await startTestApp();
  camille = await createUser(t.db, { role: "analyst", name: "Camille Hoarau" });
  mickael = await createUser(t.db, { role: "analyst", name: "Mickaël Payet" });
  nadia = await createUser(t.db, { role: "analyst", name: "Nadia Grondin" });
  admin = (await login(t.app, (await createUser(t.db, { role: "admin" })).email)).bearer;
  analystHeaders = (await login(t.app, camille.email)).bearer;
  taskforce = (await login(t.app, (await createUser(t.db, { role: "taskforce" })).email)).bearer;
  const establishment = await createEstablishment(t.db);
  rssi = (
    await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: establishment.id })).email)
  ).bearer;
});
afterAll(() => t.close());
beforeEach(() => setRota(t.db, []));

const call = (
  headers: Record<string, string>,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  url: string,
  payload?: object,
) => t.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

const slot = (start: number, end: number, primary: { id: string }, backup?: { id: string } | null) => ({
  startMinute: start,
  endMinute: end,
  primaryUserId: primary.id,
  ...(backup !== undefined ? { backupUserId: backup?.id ?? null } : {}),
});

describe("the rota through the API", () => {
  test("the pole plans its week: create, list in order, update, delete, each audited", async () => {
    const day = await call(analystHeaders, "POST", "/on-call/slots", {
      ...slot(8 * H, 18 * H, camille, mickael),
      note: "Journée",
    });
    expect(day.statusCode).toBe(201);
    expect(day.json()).toMatchObject({
      startMinute: 480,
      endMinute: 1080,
      primary: { id: camille.id, displayName: "Camille Hoarau" },
      backup: { id: mickael.id },
      note: "Journée",
    });
    const night = await call(admin, "POST", "/on-call/slots", slot(18 * H, DAY + 8 * H, nadia));
    expect(night.statusCode).toBe(201);
    expect(night.json().backup).toBeNull();

    const list = await call(taskforce, "GET", "/on-call/slots");
    expect(list.statusCode).toBe(200);
    expect(list.json().timeZone).toBe(t.config.REGION_TIMEZONE);
    expect(list.json().slots.map((s: { id: string }) => s.id)).toEqual([day.json().id, night.json().id]);

    const moved = await call(analystHeaders, "PATCH", `/on-call/slots/${night.json().id}`, {
      backupUserId: camille.id,
      endMinute: DAY + 7 * H,
    });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ endMinute: DAY + 7 * H, backup: { id: camille.id } });

    expect((await call(analystHeaders, "DELETE", `/on-call/slots/${day.json().id}`)).statusCode).toBe(204);
    expect((await call(analystHeaders, "DELETE", `/on-call/slots/${day.json().id}`)).statusCode).toBe(404);
    expect((await call(analystHeaders, "GET", "/on-call/slots")).json().slots).toHaveLength(1);

    const trail = await t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.objectKind, "oncall"))
      .orderBy(auditLog.at);
    expect(trail.map((a) => [a.action, a.objectId])).toEqual([
      ["oncall.create", day.json().id],
      ["oncall.create", night.json().id],
      ["oncall.update", night.json().id],
      ["oncall.delete", day.json().id],
    ]);
    expectTrailInFrench(trail);
    expect(trail[0]).toMatchObject({
      objectLabel: "lundi 08:00 – lundi 18:00",
      actorUserId: camille.id,
      before: null,
      after: { primary: "Camille Hoarau", backup: "Mickaël Payet", startMinute: 480, note: "Journée" },
    });
    expect(trail[2]).toMatchObject({
      objectLabel: "lundi 18:00 – mardi 07:00",
      before: { endMinute: DAY + 8 * H, backup: null, backupUserId: null, slot: "lundi 18:00 – mardi 08:00" },
      after: { endMinute: DAY + 7 * H, backup: "Camille Hoarau", backupUserId: camille.id },
    });
    expect(trail[3]).toMatchObject({ after: null, before: { primary: "Camille Hoarau" } });
  });

  test("an overlapping slot is refused with a 409 naming the slot it overlaps, never a 500", async () => {
    const day = (await call(admin, "POST", "/on-call/slots", slot(8 * H, 18 * H, camille))).json();
    const overlap = await call(admin, "POST", "/on-call/slots", slot(17 * H, 20 * H, nadia));
    expect(overlap.statusCode).toBe(409);
    expect(overlap.headers["content-type"]).toContain("application/problem+json");
    expect(overlap.json()).toMatchObject({ code: "on_call_overlap" });
    expect(overlap.json().detail).toContain(day.id);
    expect(overlap.json().detail).toContain("lundi 08:00 – lundi 18:00");

    // Moving another slot onto it is refused the same way; touching ends are fine.
    const evening = (await call(admin, "POST", "/on-call/slots", slot(18 * H, 20 * H, nadia))).json();
    expect(evening.id).toBeDefined();
    const moved = await call(admin, "PATCH", `/on-call/slots/${evening.id}`, { startMinute: 9 * H });
    expect(moved.statusCode).toBe(409);
    expect(moved.json().detail).toContain(day.id);
    // A slot may be stretched over its own minutes.
    expect(
      (await call(admin, "PATCH", `/on-call/slots/${evening.id}`, { endMinute: 22 * H })).statusCode,
    ).toBe(200);
    expect(await t.db.select().from(onCallSlots)).toHaveLength(2);
  });

  test("two editors adding overlapping slots at once: one wins, the other gets the 409", async () => {
    const answers = await Promise.all(
      [camille, mickael, nadia].map((p, i) =>
        call(admin, "POST", "/on-call/slots", slot(2 * DAY + i * 30, 2 * DAY + 600 + i * 30, p)),
      ),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409, 409]);
    const winner = answers.find((a) => a.statusCode === 201)!.json();
    for (const lost of answers.filter((a) => a.statusCode === 409)) {
      expect(lost.json()).toMatchObject({ code: "on_call_overlap" });
      expect(lost.json().detail).toContain(winner.id);
    }
  });

  test("bad slots are refused with a 400 naming the field", async () => {
    const cases: [object, string][] = [
      [slot(600, 600, camille), "/endMinute"],
      [slot(700, 600, camille), "/endMinute"],
      [slot(0, 10081, camille), "/endMinute"],
      [slot(-1, 60, camille), "/startMinute"],
      [slot(0, 60, camille, camille), "/backupUserId"],
      [{ ...slot(0, 60, camille), primaryUserId: "0190a0b0-0000-7000-8000-000000000000" }, "/primaryUserId"],
      [slot(0, 60, { id: (await createUser(t.db, { role: "taskforce" })).id }), "/primaryUserId"],
      [
        slot(0, 60, { id: (await createUser(t.db, { role: "analyst", active: false })).id }),
        "/primaryUserId",
      ],
      [slot(0, 60, camille, { id: (await createUser(t.db, { role: "admin" })).id }), "/backupUserId"],
    ];
    for (const [payload, field] of cases) {
      const res = await call(admin, "POST", "/on-call/slots", payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const ok = (await call(admin, "POST", "/on-call/slots", slot(0, 60, camille))).json();
    const bad = await call(admin, "PATCH", `/on-call/slots/${ok.id}`, { startMinute: 120 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([{ field: "/endMinute", message: "must be after startMinute" }]);
    expect((await call(admin, "PATCH", `/on-call/slots/${ok.id}`, {})).statusCode).toBe(400);
    expect(
      (await call(admin, "PATCH", "/on-call/slots/0190a0b0-0000-7000-8000-000000000000", { note: "x" }))
        .statusCode,
    ).toBe(404);
  });

  test("the pole edits, the task force reads, others are refused", async () => {
    const ars = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;
    expect((await call(taskforce, "GET", "/on-call/now")).statusCode).toBe(200);
    expect((await call(taskforce, "POST", "/on-call/slots", slot(0, 60, camille))).statusCode).toBe(403);
    expect((await call(taskforce, "GET", "/on-call/candidates")).statusCode).toBe(403);
    for (const headers of [ars, rssi]) {
      expect((await call(headers, "GET", "/on-call/slots")).statusCode).toBe(403);
      expect((await call(headers, "POST", "/on-call/slots", slot(0, 60, camille))).statusCode).toBe(403);
    }
    const candidates = await call(analystHeaders, "GET", "/on-call/candidates");
    expect(candidates.json().map((p: { id: string }) => p.id)).toEqual(
      expect.arrayContaining([camille.id, mickael.id, nadia.id]),
    );
  });

  test("/on-call/now says who is on duty, who backs them up, and the next change", async () => {
    const zone = t.config.REGION_TIMEZONE;
    const now = new Date();
    const m = weekMinuteAt(now, zone);
    // A slot around now (inside the week), and the next one right after it.
    const start = Math.max(0, m - 10);
    const end = Math.min(10080, m + 30);
    const current = (await call(admin, "POST", "/on-call/slots", slot(start, end, mickael, nadia))).json();
    const res = await call(taskforce, "GET", "/on-call/now");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      slot: { id: current.id },
      primary: { id: mickael.id },
      backup: { id: nadia.id },
      nextChange: { slot: null },
    });
    expect(Date.parse(res.json().nextChange.at)).toBe(instantOfWeekMinute(now, end, zone).getTime());

    // No slot in force: nobody, whatever was marked on the users before the rota (every analyst is reminded).
    await setRota(t.db, []);
    expect((await call(taskforce, "GET", "/on-call/now")).json()).toMatchObject({
      slot: null,
      primary: null,
      backup: null,
      nextChange: null,
    });
  });
});

describe("who is on duty at an instant, in the region's zone", () => {
  test("reads the week in Paris wall-clock time across both changes of hour", async () => {
    const paris = "Europe/Paris";
    const sunday = 6 * DAY;
    // Sunday night 01:00–03:00 and 03:00–04:00 local; the slot after Saturday.
    await setRota(t.db, [
      slot(sunday + 1 * H, sunday + 3 * H, camille, mickael),
      slot(sunday + 3 * H, sunday + 4 * H, nadia, null),
    ]);
    // 29 March 2026: 02:00 CET becomes 03:00 CEST. 01:30 UTC is 03:30 local: Nadia's slot.
    expect((await onCallAt(t.db, new Date("2026-03-29T01:30:00Z"), paris)).primary?.id).toBe(nadia.id);
    // 00:30 UTC is 01:30 CET: Camille's.
    expect((await onCallAt(t.db, new Date("2026-03-29T00:30:00Z"), paris)).primary?.id).toBe(camille.id);
    // 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 local happens twice, both Camille's;
    // 02:30 UTC is 03:30 CET: Nadia's.
    expect((await onCallAt(t.db, new Date("2026-10-25T00:30:00Z"), paris)).primary?.id).toBe(camille.id);
    expect((await onCallAt(t.db, new Date("2026-10-25T01:30:00Z"), paris)).primary?.id).toBe(camille.id);
    expect((await onCallAt(t.db, new Date("2026-10-25T02:30:00Z"), paris)).primary?.id).toBe(nadia.id);
    // The same instant in La Réunion (UTC+4, no summer time) is 06:30 Sunday: nobody.
    expect((await onCallAt(t.db, new Date("2026-10-25T02:30:00Z"), "Indian/Reunion")).slot).toBeUndefined();

    // The change after Camille's slot on the short night comes at 03:00 CEST = 01:00 UTC.
    const slots = [
      { startMinute: sunday + 1 * H, endMinute: sunday + 3 * H },
      { startMinute: sunday + 3 * H, endMinute: sunday + 4 * H },
    ];
    expect(nextRotaChange(slots, new Date("2026-03-29T00:30:00Z"), paris)?.at.toISOString()).toBe(
      "2026-03-29T01:00:00.000Z",
    );
    // After the last slot of the week, the next change is next Sunday 01:00 CEST.
    expect(nextRotaChange(slots, new Date("2026-03-29T03:00:00Z"), paris)?.at.toISOString()).toBe(
      "2026-04-04T23:00:00.000Z",
    );
  });
});
