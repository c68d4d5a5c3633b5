import { incidentClocks, incidents, timers } from "@pris/db";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createApiKey,
  createEstablishment,
  createUser,
  type declaration,
  login,
  type TestApp,
} from "../support/fixtures.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import type { PrivateRedis } from "../support/redis-server.ts";
import type { TestSmtpServer } from "../support/smtp.ts";
import { setOnCall, timerLogEntries, timersOf } from "../support/timer-fixtures.ts";
import { sleep, waitUntil } from "../support/worker-fixtures.ts";

/**
 * Timers as they come from a real declaration: posted to the API, planned by the worker from the
 * service level and the regulatory clocks the API computed. Redis is a private one the test can kill.
 */
let stack: FullStack;
let redis: PrivateRedis;
let smtp: TestSmtpServer;
let t: TestApp;
let apiKey: string;
let onDuty: string;
let backup: string;
let analystEmail: string;
let mobilised: string[];

beforeAll(async () => {
  stack = await startFullStack({ sweepEveryMs: 300, timerPollMs: 100 });
  ({ redis, smtp, t } = stack);
  const establishment = await createEstablishment(t.db, { name: "CH Ouest", nis2Status: "essential" });
  apiKey = (await createApiKey(t.db, establishment.id)).key;
  const primary = await createUser(t.db, { role: "analyst" });
  const second = await createUser(t.db, { role: "analyst" });
  await createUser(t.db, { role: "analyst" });
  await setOnCall(t.db, primary.id, second.id);
  onDuty = primary.email;
  backup = second.email;
  analystEmail = primary.email;
  mobilised = [
    (await createUser(t.db, { role: "taskforce" })).email,
    (await createUser(t.db, { role: "ars" })).email,
  ].sort();
});

afterAll(() => stack?.close());

const declare = (overrides: Parameters<typeof declaration>[0] = {}) => stack.declare(apiKey, overrides);

describe("timers of a declaration made through the API", () => {
  it("plans the service level and every regulatory clock of the incident", async () => {
    const d = await declare({ impactGrade: 2 });
    const planned = await waitUntil("the timers", async () => {
      const rows = await timersOf(t.db, d.id);
      return rows.length >= 8 && rows;
    });
    const [incident] = await t.db.select().from(incidents).where(eq(incidents.id, d.id));
    const clocks = await t.db.select().from(incidentClocks).where(eq(incidentClocks.incidentId, d.id));
    const ackDue = incident!.ackDueAt!.getTime();
    const remindBefore = Math.min(t.config.SLA_REMIND_BEFORE_MINUTES, t.config.SLA_ACK_MINUTES_P3 / 2);
    expect(incident!.severity).toBe("P3");

    const byKind = (kind: string) => planned.filter((p) => p.kind === kind);
    expect(byKind("sla.remind").map((p) => p.dueAt.getTime())).toEqual([ackDue - remindBefore * 60_000]);
    expect(byKind("sla.missed").map((p) => p.dueAt.getTime())).toEqual([ackDue]);
    // National portal and the three NIS2 clocks (an essential entity); no CNIL clock (breach unknown).
    expect(clocks.map((c) => c.kind).sort()).toEqual([
      "national_portal",
      "nis2_early_warning",
      "nis2_final_report",
      "nis2_notification",
    ]);
    for (const clock of clocks) {
      const overdue = planned.filter((p) => p.kind === "clock.overdue" && p.subjectId === clock.id);
      expect(overdue.map((p) => p.dueAt.getTime())).toEqual([clock.dueAt.getTime()]);
      expect(planned.filter((p) => p.kind === "clock.remind" && p.subjectId === clock.id)).toHaveLength(1);
    }
    expect(planned.every((p) => !p.firedAt && !p.cancelledAt)).toBe(true);
    expect(planned).toHaveLength(2 + 2 * clocks.length);
  });

  it("waits while Redis is down, and fires a due timer once when Redis comes back empty", async () => {
    const d = await declare({ impactGrade: 2 });
    await waitUntil("the timers", async () => (await timersOf(t.db, d.id)).length >= 2);

    await redis.kill();
    // Time passes: the service level is now a minute behind. Its timers move with it, as planning
    // would have placed them.
    const missedAt = new Date(Date.now() - 60_000);
    await t.db.transaction(async (tx) => {
      await tx.update(incidents).set({ ackDueAt: missedAt }).where(eq(incidents.id, d.id));
      await tx
        .update(timers)
        .set({ dueAt: missedAt })
        .where(and(eq(timers.subjectId, d.id), eq(timers.kind, "sla.missed")));
      await tx
        .update(timers)
        .set({ dueAt: sql`${missedAt.toISOString()}::timestamptz - interval '5 minutes'` })
        .where(and(eq(timers.subjectId, d.id), eq(timers.kind, "sla.remind")));
    });
    await sleep(1_000);
    expect((await timersOf(t.db, d.id)).filter((p) => p.firedAt || p.cancelledAt)).toEqual([]);

    await redis.start();
    const subject = (m: (typeof smtp.messages)[number]) => m.parsed.subject?.includes(d.reference);
    const mails = await waitUntil(
      "the missed service level e-mails",
      () => {
        const found = smtp.messages.filter((m) => subject(m) && m.parsed.messageId?.startsWith("<timer."));
        return found.length >= 2 && found;
      },
      30_000,
    );
    await sleep(500);
    expect(smtp.messages.filter((m) => subject(m) && m.parsed.messageId?.startsWith("<timer."))).toHaveLength(
      2,
    );
    expect(mails.flatMap((m) => m.envelopeTo).sort()).toEqual([onDuty, backup].sort());
    expect(mails[0]!.parsed.subject).toContain("Niveau de service dépassé");
    // The reminder came due after its deadline: the miss says it, the reminder is not sent.
    const rows = await timersOf(t.db, d.id);
    expect(rows.find((r) => r.kind === "sla.remind")).toMatchObject({ firedAt: null });
    expect(rows.find((r) => r.kind === "sla.remind")?.cancelledAt).toBeInstanceOf(Date);
    expect(rows.find((r) => r.kind === "sla.missed")?.firedAt).toBeInstanceOf(Date);
    expect(await timerLogEntries(t.db, d.id)).toHaveLength(1);
  });
});

describe("timers following the pole's work through the API", () => {
  it("cancels the service level on claim, mobilises the task force on P1, plans and drops a follow-up", async () => {
    const d = await declare({ impactGrade: 2 });
    await waitUntil(
      "the service-level timers",
      async () =>
        (await timersOf(t.db, d.id)).filter((p) => p.kind.startsWith("sla.")).length === 2 || undefined,
    );
    const { bearer } = await login(t.app, analystEmail);
    const call = async (method: "POST" | "PATCH", url: string, payload?: object) => {
      const res = await t.app.inject({
        method,
        url: `/api/v1/incidents/${d.id}${url}`,
        headers: bearer,
        payload,
      });
      expect(res.statusCode, res.body).toBe(200);
    };
    const sla = async () => (await timersOf(t.db, d.id)).filter((p) => p.kind.startsWith("sla."));

    await call("POST", "/claim");
    await waitUntil("the service level cancelled", async () =>
      (await sla()).every((p) => p.cancelledAt && !p.firedAt),
    );

    await call("PATCH", "/qualification", { severity: "P1", reason: "Plan blanc déclenché" });
    const isMobilisation = (m: (typeof smtp.messages)[number]) =>
      m.parsed.subject?.includes(`Mobilisation de la task force : ${d.reference}`);
    const mails = await waitUntil("the mobilisation e-mails", () => {
      const found = smtp.messages.filter(isMobilisation);
      return found.length >= 2 && found;
    });
    // Acknowledged already: raising the severity plans no new service level.
    expect((await sla()).every((p) => p.cancelledAt)).toBe(true);

    await call("POST", "/transitions", { action: "investigate" });
    const followUpAt = new Date(Date.now() + 3_600_000);
    await call("POST", "/transitions", {
      action: "wait_establishment",
      followUpAt: followUpAt.toISOString(),
    });
    const followUp = await waitUntil("the follow-up timer", async () =>
      (await timersOf(t.db, d.id)).find((p) => p.kind === "followup.due" && !p.cancelledAt),
    );
    expect(followUp.dueAt.getTime()).toBe(followUpAt.getTime());
    await call("POST", "/transitions", { action: "resume" });
    await waitUntil("the follow-up cancelled", async () =>
      (await timersOf(t.db, d.id)).find((p) => p.id === followUp.id && p.cancelledAt),
    );

    await sleep(300);
    expect(smtp.messages.filter(isMobilisation)).toHaveLength(2);
    expect(mails.flatMap((m) => m.envelopeTo).sort()).toEqual(mobilised);
    expect(mails[0]!.parsed.subject).toBe(
      `[TLP:AMBER] [P1] Mobilisation de la task force : ${d.reference} — CH Ouest`,
    );
    expect(
      smtp.messages.filter(
        (m) => m.parsed.subject?.includes(d.reference) && m.parsed.messageId?.startsWith("<timer."),
      ),
    ).toHaveLength(0);
  });
});
