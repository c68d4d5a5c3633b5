import { improvementActions, mailDeliveries } from "@pris/db";
import { addDays, dayInZone } from "@pris/domain";
import { renderExerciseMail, startWorker, type WorkerHandle } from "@pris/worker";
import { eq, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEstablishment, createUser, login, type TestApp } from "../support/fixtures.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import type { TestSmtpServer } from "../support/smtp.ts";
import { sleep, waitUntil } from "../support/worker-fixtures.ts";

/**
 * Exercise reminders through the real pieces: the job scheduler scans every 200 ms, deliveries go to
 * the SMTP server in this process. Each reminder arrives once — across scans and across a worker restart.
 */
let stack: FullStack;
let smtp: TestSmtpServer;
let t: TestApp;
let rssiA: string;
let rssiB: string;
let today: string;
let worker: WorkerHandle | undefined;
const workerOptions = {
  tuning: { mailRetryDelayMs: 100, outboxRetryDelayMs: 100 },
  exerciseScanEveryMs: 200,
  sweepEveryMs: 300,
};

beforeAll(async () => {
  const zone = "Indian/Reunion";
  today = dayInZone(new Date(), zone);
  stack = await startFullStack(
    workerOptions,
    // The "plan by" day is today: establishments with nothing planned are reminded today.
    { REGION_TIMEZONE: zone, EXERCISE_PLAN_BY: today.slice(5) },
  );
  ({ smtp, t } = stack);
  // The region is set up before any scan runs: a worker of our own starts once it is.
  await stack.worker.close();
  const A = await createEstablishment(t.db, { name: "CH Alpha" });
  const B = await createEstablishment(t.db, { name: "Clinique Bravo" });
  const userA = await createUser(t.db, { role: "rssi", establishmentId: A.id });
  rssiA = userA.email;
  rssiB = (await createUser(t.db, { role: "rssi", establishmentId: B.id })).email;
  const headers = (await login(t.app, userA.email)).bearer;
  const plan = async (plannedOn: string) => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/exercises",
      headers,
      payload: {
        kind: "degraded_mode",
        level: "beginner",
        title: "Panne de messagerie",
        scenario: "La messagerie est indisponible",
        objectives: [],
        plannedOn,
        participants: "DSI",
        organiser: "Direction",
        establishmentIds: [A.id],
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; participations: { id: string }[] };
  };
  // In seven days: the J-7 reminder is owed today.
  await plan(addDays(today, 7));
  // Held last year, with an action due yesterday: overdue by one day, reminded today.
  const past = await plan(`${Number(today.slice(0, 4)) - 1}-05-10`);
  await t.app.inject({
    method: "POST",
    url: `/api/v1/exercises/${past.id}/hold`,
    headers,
    payload: { heldOn: `${Number(today.slice(0, 4)) - 1}-05-10` },
  });
  const withAction = await t.app.inject({
    method: "POST",
    url: `/api/v1/participations/${past.participations[0]!.id}/actions`,
    headers,
    payload: { title: "Tester la restauration des sauvegardes", owner: "DSI", dueOn: addDays(today, -1) },
  });
  expect(withAction.statusCode, withAction.body).toBe(201);
  worker = await startWorker(t.config, workerOptions);
});

afterAll(async () => {
  await worker?.close();
  await stack?.close();
});

const to = (address: string) => smtp.messages.filter((m) => m.envelopeTo.includes(address));

/**
 * From 25 to 31 December, A's exercise in seven days falls in next year: A has then nothing planned this
 * year and is also reminded to plan one, and the year's digest counts no planned exercise.
 */
const planInAWeekIsNextYear = () => addDays(today, 7).slice(0, 4) !== today.slice(0, 4);
const remindersOfA = () => (planInAWeekIsNextYear() ? 3 : 2);

describe("exercise reminders", () => {
  it("sends the J-7, overdue-action and unplanned reminders, in French", async () => {
    await waitUntil("A's reminders", () => to(rssiA).length >= remindersOfA());
    await waitUntil("B's reminder", () => to(rssiB).length >= 1);
    const subjects = to(rssiA).map((m) => m.parsed.subject ?? "");
    expect(subjects).toEqual(
      expect.arrayContaining([
        expect.stringContaining("Exercice de crise cyber dans 7 jours"),
        expect.stringContaining("Action d'amélioration en retard"),
      ]),
    );
    expect(to(rssiB)[0]!.parsed.subject).toContain("à planifier");
    expect(to(rssiB)[0]!.parsed.text).toContain("Clinique Bravo");
  });

  it("sends each reminder once, across scans and a worker restart", async () => {
    const before = { a: to(rssiA).length, b: to(rssiB).length, total: smtp.messages.length };
    expect(before.a).toBe(remindersOfA());
    expect(before.b).toBe(1);
    await sleep(1_000); // five more scans
    await worker!.close();
    worker = await startWorker(t.config, workerOptions);
    await sleep(1_500);
    expect(smtp.messages.length).toBe(before.total);
    const rows = await t.db.select().from(mailDeliveries).where(like(mailDeliveries.dedupeKey, "exercise-%"));
    const overdue = await t.db
      .select()
      .from(mailDeliveries)
      .where(like(mailDeliveries.dedupeKey, "action-overdue:%"));
    expect(rows.every((r) => r.status === "sent")).toBe(true);
    expect(rows.every((r) => r.dedupeKey.includes(`:${today}:`))).toBe(true);
    expect(overdue).toHaveLength(1);
    // A message per delivery row, never two.
    const ids = smtp.messages.map((m) => m.parsed.messageId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("renders nothing for a reminder whose reason is gone: a closed action is not reminded", async () => {
    await t.db.update(improvementActions).set({ status: "done" });
    const [row] = await t.db
      .insert(mailDeliveries)
      .values({
        dedupeKey: `action-overdue:test:${today}:late`,
        template: "action-overdue",
        subjectId: (await t.db.select().from(improvementActions))[0]!.id,
        toAddress: rssiA,
        messageId: "<late.test@pris.example.re>",
        // Old enough for the sweeper to enqueue it.
        updatedAt: new Date(Date.now() - 3600_000),
      })
      .returning();
    const failed = await waitUntil("the delivery to fail", async () => {
      const [d] = await t.db.select().from(mailDeliveries).where(eq(mailDeliveries.id, row!.id));
      return d?.status === "failed" && d;
    });
    expect(failed.lastError).toContain("nothing to render");
    expect(to(rssiA)).toHaveLength(remindersOfA());
  });
});

describe("reminder e-mails as rendered from the rows", () => {
  it("the ARS's digest gives the year's figures in French", async () => {
    const ars = await createUser(t.db, { role: "ars" });
    const mail = await renderExerciseMail(t.db, t.config, {
      template: "exercise-digest",
      subjectId: ars.id,
      createdAt: new Date(),
    });
    expect(mail).toBeDefined();
    expect(mail!.subject).toMatch(/^Exercices de crise cyber \d{4} : 0 % réalisés — point hebdomadaire$/);
    // Two establishments, both subject; none has held an exercise this year; A's is planned.
    expect(mail!.text).toContain("(0 établissements sur 2 assujettis)");
    expect(mail!.text).toContain(`Exercices planifiés ou réalisés : ${planInAWeekIsNextYear() ? 0 : 1}`);
    expect(mail!.text).toContain("Établissements sans exercice réalisé : 2");
    expect(mail!.html).toContain("https://pris.example.re/exercices/tableau-de-bord");
  });

  it("a reminder about something gone renders nothing", async () => {
    for (const template of ["exercise-due", "exercise-unplanned", "action-overdue"] as const) {
      const mail = await renderExerciseMail(t.db, t.config, {
        template,
        subjectId: "01900000-0000-7000-8000-000000000000",
        createdAt: new Date(),
      });
      expect(mail, template).toBeUndefined();
    }
  });
});
