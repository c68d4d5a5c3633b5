import { bulletinDeliveries, bulletinRecipients } from "@pris/db";
import { startWorker, type WorkerHandle } from "@pris/worker";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bulletinDraft, seedNetwork } from "../support/bulletin-fixtures.ts";
import { createEstablishment, createUser, login, startTestApp, type TestApp } from "../support/fixtures.ts";
import { type ReceivedMail, startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { sleep, waitUntil } from "../support/worker-fixtures.ts";

/**
 * The fan-out of bulletins against a real SMTP server in the test process, with the API and the worker:
 * one message per recipient carrying its TLP label, retries after a 4xx, no retry after a 5xx, nothing
 * e-mailed under RED, pause and resume, the personal link, and one reminder to those who did not answer.
 */
let t: TestApp;
let smtp: TestSmtpServer;
let worker: WorkerHandle;
let analyst: Record<string, string>;

const startTheWorker = () =>
  startWorker(t.config, {
    tuning: { mailRetryDelayMs: 100, outboxRetryDelayMs: 100 },
    fanoutPollMs: 100,
    remindEveryMs: 300,
  });

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await startTestApp({
    SMTP_URL: smtp.url,
    PUBLIC_URL: "https://pris.example.re",
    BULLETIN_REMINDER_HOURS: "1",
    BULLETIN_BATCH_SIZE: "25",
  });
  worker = await startTheWorker();
  analyst = (await login(t.app, (await createUser(t.db, { role: "analyst" })).email)).bearer;
  await seedNetwork(t.db, { count: 40, territory: "nord", prefix: "nord", finessStart: 1000 });
  await seedNetwork(t.db, { count: 5, territory: "sud", prefix: "sud", finessStart: 2000 });
});
afterAll(async () => {
  await worker?.close();
  await t?.close();
  await smtp?.close();
});

async function publish(body: Record<string, unknown>) {
  const created = await t.app.inject({
    method: "POST",
    url: "/api/v1/bulletins",
    headers: analyst,
    payload: body,
  });
  expect(created.statusCode, created.body).toBe(201);
  const res = await t.app.inject({
    method: "POST",
    url: `/api/v1/bulletins/${created.json().id}/publish`,
    headers: analyst,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    bulletin: { id: string; reference: string };
    recipients: number;
    deliveries: number;
  };
}

const about = (reference: string) => (m: ReceivedMail) => (m.parsed.subject ?? "").includes(reference);

async function deliveries(bulletinId: string) {
  return t.db.select().from(bulletinDeliveries).where(eq(bulletinDeliveries.bulletinId, bulletinId));
}

/** Waits until `count` has not moved for `quietMs` (at most 20 s), and returns it. */
async function quiet(count: () => number, quietMs: number): Promise<number> {
  const deadline = Date.now() + 20_000;
  let last = count();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error(`still moving after 20 s (${count()})`);
    await sleep(50);
    if (count() !== last) {
      last = count();
      since = Date.now();
    }
  }
  return last;
}

describe("fan-out", () => {
  test("one message per recipient, the TLP label in the subject and in the body's header and footer", async () => {
    const { bulletin, recipients } = await publish(bulletinDraft());
    expect(recipients).toBe(80);
    const mine = await waitUntil("80 messages", () => {
      const got = smtp.messages.filter(about(bulletin.reference));
      return got.length >= 80 && got;
    });
    await sleep(300);
    expect(smtp.messages.filter(about(bulletin.reference))).toHaveLength(80);
    const to = mine.map((m) => m.envelopeTo[0]);
    expect(new Set(to).size).toBe(80);
    const rows = await deliveries(bulletin.id);
    expect(
      rows.every((r) => r.status === "sent" && r.attempts === 1 && r.smtpResponse?.startsWith("250")),
    ).toBe(true);
    const byId = new Map(rows.map((r) => [r.messageId, r]));
    for (const m of mine) {
      expect(byId.has(m.parsed.messageId ? `<${m.parsed.messageId.replace(/^<|>$/g, "")}>` : "")).toBe(true);
      expect(m.parsed.subject).toMatch(/^\[TLP:GREEN\] Alerte REU-\d{4}-ALE-\d{3} — /);
      const text = m.parsed.text ?? "";
      expect(text.trimStart().startsWith("TLP:GREEN")).toBe(true);
      expect(text.trimEnd().split("\n").slice(-2)[0]).toContain("TLP:GREEN");
      expect((String(m.parsed.html).match(/TLP:GREEN/g) ?? []).length).toBeGreaterThanOrEqual(2);
      expect(text).toContain("ars-reunion-portail.example");
    }
  });

  test("the personal link in the e-mail answers for its recipient, and the dashboard moves", async () => {
    const { bulletin } = await publish(bulletinDraft({ audience: { territories: ["sud"] } }));
    const mine = await waitUntil("10 messages", () => {
      const got = smtp.messages.filter(about(bulletin.reference));
      return got.length >= 10 && got;
    });
    const message = mine.find((m) => m.envelopeTo[0] === "rssi3@sud.test")!;
    const link = /https:\/\/pris\.example\.re\/reponse\/(\S+)/.exec(message.parsed.text ?? "")![1]!;
    const res = await t.app.inject({
      method: "POST",
      url: `/api/v1/bulletin-acks/${link}`,
      payload: { answer: "concerned" },
    });
    expect(res.statusCode, res.body).toBe(200);
    const board = (
      await t.app.inject({
        method: "GET",
        url: `/api/v1/bulletins/${bulletin.id}/dashboard`,
        headers: analyst,
      })
    ).json();
    expect(board.totals).toMatchObject({ recipients: 10, delivered: 10, acknowledged: 1, concerned: 1 });
    const answered = await t.db
      .select()
      .from(bulletinRecipients)
      .where(
        and(eq(bulletinRecipients.bulletinId, bulletin.id), sql`${bulletinRecipients.answer} IS NOT NULL`),
      );
    expect(answered.map((r) => r.email)).toEqual(["rssi3@sud.test"]);
  });

  test("a 4xx is deferred then sent; a 5xx fails at once, without retry", async () => {
    const one = await createEstablishment(t.db, { territory: "ouest" });
    smtp.failRecipients(451, 1);
    const temporary = await publish(bulletinDraft({ audience: { establishmentIds: [one.id] } }));
    const sent = await waitUntil("the retried delivery", async () => {
      const [row] = await deliveries(temporary.bulletin.id);
      return row?.status === "sent" && row;
    });
    expect(sent.attempts).toBe(2);
    expect(smtp.messages.filter(about(temporary.bulletin.reference))).toHaveLength(1);

    smtp.failRecipients(550, 1);
    const permanent = await publish(bulletinDraft({ audience: { establishmentIds: [one.id] } }));
    const failed = await waitUntil("the failed delivery", async () => {
      const [row] = await deliveries(permanent.bulletin.id);
      return row?.status === "failed" && row;
    });
    await sleep(500);
    const [after] = await deliveries(permanent.bulletin.id);
    expect(after).toMatchObject({ status: "failed", attempts: 1 });
    expect(failed.smtpResponse).toContain("550");
    expect(smtp.messages.filter(about(permanent.bulletin.reference))).toHaveLength(0);
    const board = (
      await t.app.inject({
        method: "GET",
        url: `/api/v1/bulletins/${permanent.bulletin.id}/dashboard`,
        headers: analyst,
      })
    ).json();
    expect(board.failures).toHaveLength(1);
    expect(board.totals.failed).toBe(1);
  });

  test("TLP:RED is never e-mailed; TLP:AMBER+STRICT reaches the named establishments only", async () => {
    const named = await createEstablishment(t.db, { territory: "nord", name: "CH Nommé" });
    await createUser(t.db, { role: "rssi", establishmentId: named.id });
    const before = smtp.messages.length;
    const red = await publish(bulletinDraft({ tlp: "RED", audience: { establishmentIds: [named.id] } }));
    expect(red.deliveries).toBe(0);
    const strict = await publish(
      bulletinDraft({ tlp: "AMBER+STRICT", audience: { establishmentIds: [named.id] } }),
    );
    const got = await waitUntil("the AMBER+STRICT messages", () => {
      const m = smtp.messages.filter(about(strict.bulletin.reference));
      return m.length >= strict.recipients && m;
    });
    await sleep(500);
    expect(smtp.messages.filter(about(red.bulletin.reference))).toHaveLength(0);
    expect(smtp.messages.slice(before).filter((m) => m.raw.includes("TLP:RED"))).toHaveLength(0);
    expect(got.every((m) => m.parsed.subject?.startsWith("[TLP:AMBER+STRICT]"))).toBe(true);
    const namedEmails = (
      await t.db
        .select()
        .from(bulletinRecipients)
        .where(eq(bulletinRecipients.bulletinId, strict.bulletin.id))
    ).map((r) => r.email);
    expect(got.map((m) => m.envelopeTo[0]).sort()).toEqual(namedEmails.sort());
  });

  test("a paused fan-out sends nothing until resumed, then everything once", async () => {
    await worker.close();
    const { bulletin } = await publish(bulletinDraft({ audience: { territories: ["sud"] } }));
    const paused = await t.app.inject({
      method: "POST",
      url: `/api/v1/bulletins/${bulletin.id}/pause`,
      headers: analyst,
    });
    expect(paused.json().paused).toBe(true);
    worker = await startTheWorker();
    await sleep(1000);
    expect(smtp.messages.filter(about(bulletin.reference))).toHaveLength(0);
    await t.app.inject({ method: "POST", url: `/api/v1/bulletins/${bulletin.id}/resume`, headers: analyst });
    await waitUntil("10 messages", () => smtp.messages.filter(about(bulletin.reference)).length >= 10);
    await sleep(300);
    expect(smtp.messages.filter(about(bulletin.reference))).toHaveLength(10);
  });

  test("a pause stops a fan-out in the middle of a batch; resuming sends the rest, each once", async () => {
    await worker.close();
    smtp.slowDown(100);
    // One pooled connection: the batch of 25 is handed to the SMTP pool four e-mails at a time.
    worker = await startWorker(
      { ...t.config, SMTP_POOL_SIZE: 1 },
      { tuning: { mailRetryDelayMs: 100, outboxRetryDelayMs: 100 }, fanoutPollMs: 100, remindEveryMs: 300 },
    );
    try {
      const { bulletin, recipients } = await publish(bulletinDraft({ audience: { territories: ["nord"] } }));
      expect(recipients).toBeGreaterThanOrEqual(40);
      const mine = () => smtp.messages.filter(about(bulletin.reference));
      await waitUntil("3 messages", () => mine().length >= 3);
      await t.app.inject({ method: "POST", url: `/api/v1/bulletins/${bulletin.id}/pause`, headers: analyst });
      // What was already handed to the pool (two lanes of four) may still go: wait until it has (no new
      // message for 700 ms; a loaded machine delivers it slowly), then nothing after.
      const atPause = await quiet(() => mine().length, 700);
      expect(atPause).toBeLessThanOrEqual(3 + 8 + 2);
      await sleep(500);
      expect(mine()).toHaveLength(atPause);
      smtp.slowDown(0);
      await t.app.inject({
        method: "POST",
        url: `/api/v1/bulletins/${bulletin.id}/resume`,
        headers: analyst,
      });
      await waitUntil("every message", () => mine().length >= recipients);
      await sleep(300);
      expect(new Set(mine().map((m) => m.envelopeTo[0])).size).toBe(recipients);
      expect(mine()).toHaveLength(recipients);
    } finally {
      smtp.slowDown(0);
      await worker.close();
      worker = await startTheWorker();
    }
  });

  test("a revision goes to the previous recipients; one reminder to those who have not answered", async () => {
    const { bulletin } = await publish(bulletinDraft({ audience: { territories: ["sud"] } }));
    await waitUntil("10 messages", () => smtp.messages.filter(about(bulletin.reference)).length >= 10);
    const recipients = await t.db
      .select()
      .from(bulletinRecipients)
      .where(eq(bulletinRecipients.bulletinId, bulletin.id));
    const { kind: _k, tlp: _t, audience: _a, ...content } = bulletinDraft();
    const revised = await t.app.inject({
      method: "POST",
      url: `/api/v1/bulletins/${bulletin.id}/revisions`,
      headers: analyst,
      payload: { ...content, severity: "critical", changes: "Gravité relevée : campagne active" },
    });
    expect(revised.statusCode, revised.body).toBe(200);
    const revisions = await waitUntil("10 revision messages", () => {
      const m = smtp.messages.filter(
        (x) => about(bulletin.reference)(x) && x.parsed.subject?.includes("(révision 2)"),
      );
      return m.length >= 10 && m;
    });
    expect(revisions.map((m) => m.envelopeTo[0]).sort()).toEqual(recipients.map((r) => r.email).sort());
    expect(revisions[0]!.parsed.text).toContain("Ce qui a changé : Gravité relevée : campagne active");

    await t.db
      .update(bulletinRecipients)
      .set({ answer: "not_concerned", answeredAt: new Date() })
      .where(eq(bulletinRecipients.id, recipients[0]!.id));
    await t.db
      .update(bulletinDeliveries)
      .set({ sentAt: sql`now() - interval '2 hours'` })
      .where(eq(bulletinDeliveries.bulletinId, bulletin.id));
    const reminders = await waitUntil("9 reminders", () => {
      const m = smtp.messages.filter(
        (x) => about(bulletin.reference)(x) && x.parsed.subject?.includes("Rappel"),
      );
      return m.length >= 9 && m;
    });
    await sleep(1000);
    expect(
      smtp.messages.filter((x) => about(bulletin.reference)(x) && x.parsed.subject?.includes("Rappel")),
    ).toHaveLength(9);
    expect(reminders.map((m) => m.envelopeTo[0])).not.toContain(recipients[0]!.email);
  });
});
