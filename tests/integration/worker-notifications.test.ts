import type { Config } from "@pris/config";
import { createDatabase, type Database, type Db, incidentLog, mailDeliveries, outbox } from "@pris/db";
import { createQueues, type Queues, startWorker, type WorkerHandle } from "@pris/worker";
import { and, eq, inArray, sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testConfig } from "../support/env.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import {
  type Directory,
  declareIncident,
  seedDirectory,
  sleep,
  waitUntil,
} from "../support/worker-fixtures.ts";

const PUBLIC_URL = "https://pris.example.re";

let tdb: TestDatabase;
let database: Database;
let smtp: TestSmtpServer;
let config: Config;
let worker: WorkerHandle;
let redis: Redis;
let queues: Queues;
let dir: Directory;

beforeAll(async () => {
  tdb = await createTestDatabase();
  smtp = await startSmtpServer();
  config = testConfig({
    DATABASE_URL: tdb.url,
    SMTP_URL: smtp.url,
    PUBLIC_URL,
    MAIL_FROM: "PRIS Cyber Santé <pris@cyber.example.re>",
  });
  database = createDatabase({ url: tdb.url, max: 4 });
  dir = await seedDirectory(database.db);
  worker = await startWorker(config, {
    tuning: { mailRetryDelayMs: 100, outboxRetryDelayMs: 100 },
    sweepEveryMs: 300,
  });
  redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  queues = createQueues(config, redis);
});

afterAll(async () => {
  await worker?.close();
  if (queues) {
    for (const q of [queues.outbox, queues.sendMail, queues.maintenance]) await q.obliterate({ force: true });
    await queues.close();
  }
  await redis?.quit();
  await database?.close();
  await smtp?.close();
  await tdb?.drop();
});

function mailsFor(reference: string) {
  return smtp.messages.filter((m) => m.parsed.subject?.includes(reference));
}

async function waitForMails(reference: string, count: number) {
  return waitUntil(`${count} e-mails for ${reference}`, () => {
    const found = mailsFor(reference);
    return found.length >= count && found;
  });
}

async function deliveriesOf(incidentId: string) {
  return database.db.select().from(mailDeliveries).where(eq(mailDeliveries.subjectId, incidentId));
}

async function waitForJobs(queue: Queues["sendMail"] | Queues["outbox"], ids: string[]) {
  await waitUntil(`jobs ${ids.join(", ")} to finish`, async () => {
    for (const id of ids) {
      const state = await (await queue.getJob(id))?.getState();
      if (state !== "completed" && state !== "failed") return false;
    }
    return true;
  });
}

/** What the main courante says about notifications: written by the worker, never twice. */
async function notificationEntries(incidentId: string) {
  return database.db
    .select()
    .from(incidentLog)
    .where(and(eq(incidentLog.incidentId, incidentId), eq(incidentLog.kind, "notification")));
}

function analystEmails() {
  return dir.users.analyst.map((u) => u.email).sort();
}

describe("incident.declared e-mails", () => {
  it("e-mails each active analyst once, in French, with the TLP and no forbidden content", async () => {
    const declaredAt = new Date("2026-03-02T10:05:00Z");
    const d = await declareIncident(database.db, dir, { severity: "P3", tlp: "AMBER", declaredAt });

    const mails = await waitForMails(d.reference, 2);
    await sleep(300);
    expect(mailsFor(d.reference)).toHaveLength(2);
    expect(mails.flatMap((m) => m.envelopeTo).sort()).toEqual(analystEmails());

    for (const mail of mails) {
      const user = dir.users.analyst.find((u) => u.email === mail.envelopeTo[0])!;
      expect(mail.parsed.subject).toBe(
        `[TLP:AMBER] [P3] Nouveau signalement ${d.reference} — CH Sud Réunion`,
      );
      // On the sender's domain, not the web app's: the one SPF and DMARC vouch for.
      expect(mail.parsed.messageId).toBe(`<incident-declared.${d.incidentId}.${user.id}@cyber.example.re>`);
      expect(mail.parsed.headers.get("auto-submitted")).toBe("auto-generated");

      const text = mail.parsed.text ?? "";
      expect(text.startsWith("TLP:AMBER")).toBe(true);
      expect(text.trimEnd().split("\n").at(-2)).toContain("TLP:AMBER");
      expect(text).toContain("Nouveau signalement d'incident de cybersécurité");
      expect(text).toContain(`Référence : ${d.reference}`);
      expect(text).toContain("Établissement : CH Sud Réunion");
      expect(text).toContain("Gravité : P3 — incident significatif");
      expect(text).toContain("niveau 2 — Activité non urgente déprogrammée");
      // 10:05 UTC is 14:05 in Réunion.
      expect(text).toContain("lundi 2 mars 2026 à 14:05 (heure de La Réunion)");
      expect(text).toContain(`${PUBLIC_URL}/incidents/${d.incidentId}`);
      expect(text).toContain("Intitulé : Rançongiciel sur le DPI");

      const html = String(mail.parsed.html);
      expect(html).toContain('<html lang="fr">');
      expect(html.match(/TLP:AMBER/g)?.length).toBeGreaterThanOrEqual(3); // title, header, footer
      expect(html).toContain(`href="${PUBLIC_URL}/incidents/${d.incidentId}"`);
      expect(html).toContain("Rançongiciel sur le DPI");

      for (const body of [text, html, mail.raw]) {
        expect(body).not.toContain("SRV-DPI-01");
        expect(body).not.toContain("692 00 00 00");
        expect(body).not.toContain("Jeanne Payet");
      }
    }

    const deliveries = await deliveriesOf(d.incidentId);
    expect(deliveries).toHaveLength(2);
    for (const delivery of deliveries) {
      expect(delivery).toMatchObject({ status: "sent", attempts: 1, template: "incident-declared" });
      expect(delivery.smtpResponse).toMatch(/^250/);
      expect(delivery.sentAt).toBeInstanceOf(Date);
      expect(delivery.dedupeKey).toBe(`incident.declared:${d.incidentId}:${delivery.userId}`);
    }
    const [row] = await database.db.select().from(outbox).where(eq(outbox.id, d.outboxId));
    expect(row?.processedAt).toBeInstanceOf(Date);
    // Taken straight from the outbox: never relayed to a queue.
    expect(row?.dispatchCount).toBe(0);
    expect(await notificationEntries(d.incidentId)).toMatchObject([
      {
        kind: "notification",
        visibility: "internal",
        actorUserId: null,
        body: { channel: "email", template: "incident-declared", roles: ["analyst"], recipients: 2 },
      },
    ]);
  });

  it("also reaches the task force and the ARS for a P1, and keeps RED content out of the e-mail", async () => {
    const d = await declareIncident(database.db, dir, { severity: "P1", tlp: "RED", impactGrade: 4 });

    const mails = await waitForMails(d.reference, 4);
    await sleep(300);
    expect(mailsFor(d.reference)).toHaveLength(4);
    const expected = [...analystEmails(), dir.users.taskforce[0]!.email, dir.users.ars[0]!.email].sort();
    expect(mails.flatMap((m) => m.envelopeTo).sort()).toEqual(expected);
    expect(mails.flatMap((m) => m.envelopeTo)).not.toContain(dir.inactiveAnalystEmail);

    for (const mail of mails) {
      expect(mail.parsed.subject).toBe(`[TLP:RED] [P1] Nouveau signalement ${d.reference} — CH Sud Réunion`);
      const text = mail.parsed.text ?? "";
      expect(text).toContain("INCIDENT MAJEUR : la task force régionale est mobilisée.");
      expect(text).toContain("niveau 4 — Plan blanc déclenché");
      expect(text).toContain("n'est pas transmis par courriel (TLP:RED)");
      expect(mail.raw).not.toContain("Rançongiciel");
      expect(String(mail.parsed.html)).not.toContain("Rançongiciel");
    }
  });

  it("escapes what a declaration holds in the HTML part", async () => {
    const title = 'Chiffrement <img src=x onerror="alert(1)"> & co';
    const d = await declareIncident(database.db, dir, { tlp: "GREEN", title });
    const [mail] = await waitForMails(d.reference, 1);
    const html = String(mail!.parsed.html);
    expect(html).not.toContain("<img");
    expect(html).toContain("Chiffrement &lt;img src&#x3D;x onerror&#x3D;&quot;alert(1)&quot;&gt; &amp; co");
    expect(mail!.parsed.text).toContain(`Intitulé : ${title}`);
  });
});

describe("never the same e-mail twice", () => {
  it("ignores a replayed incident.declared job and duplicated send-mail jobs", async () => {
    const d = await declareIncident(database.db, dir);
    await waitForMails(d.reference, 2);
    // The delivery fan-out sends them in a batch, without a send-mail job each.
    const deliveries = await waitUntil("the deliveries recorded sent", async () => {
      const rows = await deliveriesOf(d.incidentId);
      return rows.every((x) => x.status === "sent") && rows;
    });

    // As if the worker had died before marking the row, and Redis had lost the job's record.
    await database.db.update(outbox).set({ processedAt: null }).where(eq(outbox.id, d.outboxId));
    await queues.outbox.add(
      "incident.declared",
      { outboxId: d.outboxId, aggregateId: d.incidentId },
      { jobId: `${d.outboxId}-replay` },
    );
    const duplicates = deliveries.flatMap((x) =>
      [1, 2, 3].map((i) => ({
        name: "incident-declared" as const,
        data: { deliveryId: x.id },
        opts: { jobId: `${x.id}-dup-${i}`, attempts: 5, backoff: 100 },
      })),
    );
    await queues.sendMail.addBulk(duplicates);
    await waitForJobs(queues.outbox, [`${d.outboxId}-replay`]);
    await waitForJobs(
      queues.sendMail,
      duplicates.map((x) => x.opts.jobId),
    );
    await sleep(300);

    expect(mailsFor(d.reference)).toHaveLength(2);
    const after = await deliveriesOf(d.incidentId);
    expect(after).toHaveLength(2);
    expect(after.every((x) => x.status === "sent" && x.attempts === 1)).toBe(true);
    const [row] = await database.db.select().from(outbox).where(eq(outbox.id, d.outboxId));
    expect(row?.processedAt).toBeInstanceOf(Date);
    expect(await notificationEntries(d.incidentId)).toHaveLength(1);
  });

  it("handles a burst of declarations in a few transactions, each e-mailed and recorded once", async () => {
    // Committed together, they all wait when the worker looks: one batch takes them all.
    const burst = await database.db.transaction(async (tx) => {
      const made = [];
      for (let i = 0; i < 25; i++) made.push(await declareIncident(tx as unknown as Db, dir));
      return made;
    });
    const expected = burst.length * dir.users.analyst.length;
    const ids = new Set(burst.map((d) => d.incidentId));
    await waitUntil(`${expected} e-mails`, () => {
      const sent = smtp.messages.filter((m) => ids.has(m.parsed.messageId?.slice(19, 55) ?? ""));
      return sent.length >= expected;
    });
    await sleep(300);

    const sent = smtp.messages.filter((m) => ids.has(m.parsed.messageId?.slice(19, 55) ?? ""));
    expect(sent).toHaveLength(expected);
    const rows = await database.db
      .select()
      .from(outbox)
      .where(
        inArray(
          outbox.id,
          burst.map((d) => d.outboxId),
        ),
      );
    expect(rows.every((r) => r.processedAt !== null && r.lastError === null && r.dispatchCount === 0)).toBe(
      true,
    );
    // Marked processed by a few transactions (now() is a transaction's start), not one each.
    expect(new Set(rows.map((r) => r.processedAt!.getTime())).size).toBeLessThanOrEqual(3);
    for (const d of burst) expect(await notificationEntries(d.incidentId)).toHaveLength(1);
  });

  it("handles the other declarations when one cannot be handled, and that one once it can", async () => {
    // A fault in one declaration's main courante: its entry is refused, as a damaged chain would.
    await database.db.execute(
      sql.raw(`
        CREATE FUNCTION test_refuse_entry() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.kind = 'notification' AND EXISTS (
            SELECT 1 FROM incidents WHERE id = NEW.incident_id AND title = 'Main courante refusée'
          ) THEN RAISE EXCEPTION 'entry refused for the test'; END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER test_refuse_entry BEFORE INSERT ON incident_log
          FOR EACH ROW EXECUTE FUNCTION test_refuse_entry();`),
    );
    const dropTrigger = () =>
      database.db.execute(
        sql.raw(`DROP TRIGGER IF EXISTS test_refuse_entry ON incident_log;
                 DROP FUNCTION IF EXISTS test_refuse_entry();`),
      );
    try {
      const [before, stuck, after] = await database.db.transaction(async (tx) => [
        await declareIncident(tx as unknown as Db, dir),
        await declareIncident(tx as unknown as Db, dir, { title: "Main courante refusée" }),
        await declareIncident(tx as unknown as Db, dir),
      ]);
      await waitForMails(before!.reference, 2);
      await waitForMails(after!.reference, 2);
      const [row] = await waitUntil("the refusal recorded", async () => {
        const found = await database.db.select().from(outbox).where(eq(outbox.id, stuck!.outboxId));
        return found[0]?.lastError ? found : undefined;
      });
      expect(row).toMatchObject({ processedAt: null, lastError: expect.stringContaining("entry refused") });
      expect(mailsFor(stuck!.reference)).toHaveLength(0);

      await dropTrigger();
      await waitForMails(stuck!.reference, 2);
      const [done] = await database.db.select().from(outbox).where(eq(outbox.id, stuck!.outboxId));
      expect(done).toMatchObject({ lastError: null });
      expect(done!.processedAt).toBeInstanceOf(Date);
    } finally {
      await dropTrigger();
    }
  });

  it("sends once when several jobs of one delivery run at the same time", async () => {
    const d = await declareIncident(database.db, dir);
    await waitForMails(d.reference, 2);
    const user = dir.users.taskforce[0]!;
    const messageId = `<concurrent.${d.incidentId}@pris.example.re>`;
    const [delivery] = await database.db
      .insert(mailDeliveries)
      .values({
        dedupeKey: `test-concurrent:${d.incidentId}`,
        template: "incident-declared",
        subjectId: d.incidentId,
        userId: user.id,
        toAddress: user.email,
        messageId,
      })
      .returning();
    const jobs = [1, 2, 3, 4, 5].map((i) => ({
      name: "incident-declared" as const,
      data: { deliveryId: delivery!.id },
      opts: { jobId: `${delivery!.id}-race-${i}`, attempts: 10, backoff: 50 },
    }));
    await queues.sendMail.addBulk(jobs);
    await waitForJobs(
      queues.sendMail,
      jobs.map((j) => j.opts.jobId),
    );
    await sleep(200);

    expect(smtp.messages.filter((m) => m.parsed.messageId === messageId)).toHaveLength(1);
    const [row] = await database.db.select().from(mailDeliveries).where(eq(mailDeliveries.id, delivery!.id));
    expect(row).toMatchObject({ status: "sent", attempts: 1 });
  });
});

describe("SMTP failures", () => {
  it("retries after a temporary 4xx refusal, then delivers", async () => {
    smtp.failRecipients(451, 1);
    const d = await declareIncident(database.db, dir);
    await waitForMails(d.reference, 2);
    await sleep(300);

    expect(mailsFor(d.reference)).toHaveLength(2);
    const deliveries = await deliveriesOf(d.incidentId);
    expect(deliveries.every((x) => x.status === "sent")).toBe(true);
    expect(deliveries.map((x) => x.attempts).sort()).toEqual([1, 2]);
  });

  it("records a permanent 5xx refusal as failed and does not retry it", async () => {
    smtp.failRecipients(550, 1);
    const d = await declareIncident(database.db, dir);
    await waitForMails(d.reference, 1);
    const failed = await waitUntil("a failed delivery", async () =>
      (await deliveriesOf(d.incidentId)).find((x) => x.status === "failed"),
    );
    // Several retry delays pass: a retry would show up as a second attempt or an e-mail.
    await sleep(1_000);

    expect(mailsFor(d.reference)).toHaveLength(1);
    const [row] = await database.db.select().from(mailDeliveries).where(eq(mailDeliveries.id, failed.id));
    expect(row).toMatchObject({ status: "failed", attempts: 1, sentAt: null });
    expect(row?.lastError).toContain("550");
    // Refused for good in the batch: no retry was queued.
    expect(await queues.sendMail.getJob(failed.id)).toBeUndefined();
  });
});

describe("delivery sweeper", () => {
  it("re-enqueues a delivery Redis knows nothing about", async () => {
    const d = await declareIncident(database.db, dir);
    await waitForMails(d.reference, 2);
    const user = dir.users.ars[0]!;
    const messageId = `<swept.${d.incidentId}@pris.example.re>`;
    // A delivery deferred long ago whose retry job vanished with a Redis wipe.
    await database.db.insert(mailDeliveries).values({
      status: "deferred",
      attempts: 1,
      dedupeKey: `test-sweep:${d.incidentId}`,
      template: "incident-declared",
      subjectId: d.incidentId,
      userId: user.id,
      toAddress: user.email,
      messageId,
      updatedAt: sql`now() - interval '11 minutes'`,
    });

    const [mail] = await waitUntil("the swept e-mail", () => {
      const found = smtp.messages.filter((m) => m.parsed.messageId === messageId);
      return found.length > 0 && found;
    });
    expect(mail!.envelopeTo).toEqual([user.email]);
    await sleep(800);
    expect(smtp.messages.filter((m) => m.parsed.messageId === messageId)).toHaveLength(1);
    const [row] = await database.db
      .select()
      .from(mailDeliveries)
      .where(and(eq(mailDeliveries.dedupeKey, `test-sweep:${d.incidentId}`)));
    expect(row?.status).toBe("sent");
  });
});
