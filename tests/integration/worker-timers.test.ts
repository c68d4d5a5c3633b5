import type { Config } from "@pris/config";
import {
  createDatabase,
  type Database,
  establishments,
  ghts,
  incidentClocks,
  incidentLog,
  incidents,
  mailDeliveries,
  outbox,
  outboxValues,
  timers,
  users,
} from "@pris/db";
import { formatInZone, incidentMessage } from "@pris/domain";
import { createQueues, type StartWorkerOptions, startWorker, type WorkerHandle } from "@pris/worker";
import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testConfig, uniqueQueuePrefix } from "../support/env.ts";
import { freePort } from "../support/redis-server.ts";
import { type ReceivedMail, startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import {
  addClock,
  changeIncident,
  minutesFromNow,
  setOnCall,
  setRota,
  timerDeliveriesOf,
  timerLogEntries,
  timersOf,
} from "../support/timer-fixtures.ts";
import {
  type DeclaredIncident,
  type Directory,
  declareIncident,
  seedDirectory,
  sleep,
  waitUntil,
} from "../support/worker-fixtures.ts";

const PUBLIC_URL = "https://pris.example.re";
const ZONE = "Indian/Reunion";

let tdb: TestDatabase;
let database: Database;
let smtp: TestSmtpServer;
let config: Config;
let dir: Directory;
let db: Database["db"];
/** The on-call roster: analysts[0] is on duty, analysts[1] the backup, analysts[2] neither. */
let primary: { id: string; email: string };
let backup: { id: string; email: string };
let third: { id: string; email: string };
const running = new Set<WorkerHandle>();
const prefixes = new Set<string>();

const FAST: StartWorkerOptions = {
  tuning: { mailRetryDelayMs: 100, outboxRetryDelayMs: 100 },
  sweepEveryMs: 300,
  timerPollMs: 100,
};

async function start(cfg: Config = config, options: StartWorkerOptions = {}): Promise<WorkerHandle> {
  prefixes.add(cfg.QUEUE_PREFIX);
  const handle = await startWorker(cfg, { ...FAST, ...options });
  running.add(handle);
  return handle;
}

async function stop(handle: WorkerHandle): Promise<void> {
  running.delete(handle);
  await handle.close();
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  smtp = await startSmtpServer();
  config = testConfig({ DATABASE_URL: tdb.url, SMTP_URL: smtp.url, PUBLIC_URL });
  database = createDatabase({ url: tdb.url, max: 4 });
  db = database.db;
  dir = await seedDirectory(db);
  [primary, backup] = dir.users.analyst as [typeof primary, typeof backup];
  const [row] = await db
    .insert(users)
    .values({
      email: `analyste3.${Date.now()}@pris.test`,
      displayName: "analyste3",
      role: "analyst",
      passwordHash: "x",
    })
    .returning({ id: users.id, email: users.email });
  third = row!;
  await setOnCall(db, primary.id, backup.id);
  await start();
});

afterAll(async () => {
  for (const handle of running) await handle.close();
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  for (const prefix of prefixes) {
    const queues = createQueues({ QUEUE_PREFIX: prefix }, redis);
    for (const q of [queues.outbox, queues.sendMail, queues.maintenance]) await q.obliterate({ force: true });
    await queues.close();
  }
  await redis.quit();
  await database?.close();
  await smtp?.close();
  await tdb?.drop();
});

/** Timer e-mails of an incident, by kind: their Message-ID says which timer sent them. */
function timerMails(reference: string, kind = ""): ReceivedMail[] {
  return smtp.messages.filter(
    (m) => m.parsed.subject?.includes(reference) && m.parsed.messageId?.startsWith(`<timer.${kind}`),
  );
}

async function waitForTimerMails(reference: string, kind: string, count: number, timeoutMs = 15_000) {
  return waitUntil(
    `${count} ${kind} e-mails for ${reference}`,
    () => {
      const found = timerMails(reference, kind);
      return found.length >= count && found;
    },
    timeoutMs,
  );
}

const recipientsOf = (mails: ReceivedMail[]) => mails.flatMap((m) => m.envelopeTo).sort();
const emails = (...people: { email: string }[]) => people.map((p) => p.email).sort();

async function waitForTimer(
  incidentId: string,
  what: string,
  check: (t: typeof timers.$inferSelect) => boolean,
) {
  return waitUntil(`timer ${what}`, async () => (await timersOf(db, incidentId)).find(check));
}

describe("service-level timers", () => {
  it("reminds the on-duty analyst once before the level is missed, and stops once acknowledged", async () => {
    const d = await declareIncident(db, dir, { severity: "P2", tlp: "AMBER" });
    const ackDueAt = minutesFromNow(3);
    // P2 is acknowledged within 60 min; the reminder comes 5 min ahead: already due.
    await changeIncident(db, d.incidentId, { ackDueAt });

    const [mail] = await waitForTimerMails(d.reference, "sla.remind", 1);
    await sleep(500);
    expect(timerMails(d.reference)).toHaveLength(1);
    expect(mail!.envelopeTo).toEqual([primary.email]);
    expect(mail!.parsed.subject).toBe(
      `[TLP:AMBER] [P2] Rappel : ${d.reference} à prendre en compte — CH Sud Réunion`,
    );
    const text = mail!.parsed.text ?? "";
    const deadline = `${formatInZone(ackDueAt, ZONE)} (heure de La Réunion)`;
    expect(text.startsWith("TLP:AMBER")).toBe(true);
    expect(text.trimEnd().split("\n").at(-2)).toContain("TLP:AMBER");
    expect(text).toContain("Rappel : signalement à prendre en compte");
    expect(text).toContain(`prise en compte sous 1 h) expire le ${deadline}`);
    expect(text).toContain(`Échéance : ${deadline}`);
    expect(text).toContain(`Référence : ${d.reference}`);
    expect(text).toContain("Établissement : CH Sud Réunion");
    expect(text).toContain("Gravité : P2 — incident grave");
    expect(text).toContain("Intitulé : Rançongiciel sur le DPI");
    expect(text).toContain(`${PUBLIC_URL}/incidents/${d.incidentId}`);
    const html = String(mail!.parsed.html);
    expect(html).toContain('<html lang="fr">');
    expect(html.match(/TLP:AMBER/g)?.length).toBeGreaterThanOrEqual(3);
    expect(html).toContain(`href="${PUBLIC_URL}/incidents/${d.incidentId}"`);
    for (const body of [text, html, mail!.raw]) {
      expect(body).not.toContain("SRV-DPI-01");
      expect(body).not.toContain("Jeanne Payet");
    }

    const planned = await timersOf(db, d.incidentId);
    expect(planned.map((t) => [t.kind, Boolean(t.firedAt), Boolean(t.cancelledAt)])).toEqual([
      ["sla.remind", true, false],
      ["sla.missed", false, false],
    ]);
    const remind = planned[0]!;
    // On the sender's domain (MAIL_FROM, here the default), not the web app's.
    expect(mail!.parsed.messageId).toBe(`<timer.sla.remind.${remind.id}.${primary.id}@localhost>`);
    const deliveries = await timerDeliveriesOf(db, d.incidentId);
    expect(deliveries).toMatchObject([
      {
        dedupeKey: `timer:${remind.id}:${primary.id}`,
        template: "sla-reminder",
        status: "sent",
        attempts: 1,
      },
    ]);
    expect(await timerLogEntries(db, d.incidentId)).toMatchObject([
      {
        visibility: "internal",
        actorUserId: null,
        body: {
          channel: "email",
          template: "sla-reminder",
          timer: "sla.remind",
          timerId: remind.id,
          recipients: 1,
        },
      },
    ]);

    // Planned again with nothing changed: the same rows, nothing sent.
    const again = await changeIncident(db, d.incidentId, {});
    await waitUntil("the change processed", async () => {
      const [row] = await db.select().from(outbox).where(eq(outbox.id, again.outboxIds[0]!));
      return row?.processedAt;
    });
    expect(await timersOf(db, d.incidentId)).toHaveLength(2);

    await changeIncident(db, d.incidentId, { status: "acknowledged", acknowledgedAt: new Date() });
    await waitForTimer(
      d.incidentId,
      "sla.missed cancelled",
      (t) => t.kind === "sla.missed" && !!t.cancelledAt,
    );
    expect(timerMails(d.reference)).toHaveLength(1);
  });

  it("alerts the backup and the on-duty analyst when the level is missed, without a late reminder", async () => {
    const d = await declareIncident(db, dir, { severity: "P1", tlp: "RED", impactGrade: 4 });
    const ackDueAt = minutesFromNow(-1);
    await changeIncident(db, d.incidentId, { ackDueAt });

    const mails = await waitForTimerMails(d.reference, "sla.missed", 2);
    await sleep(500);
    expect(timerMails(d.reference)).toHaveLength(2);
    expect(recipientsOf(mails)).toEqual(emails(primary, backup));
    for (const mail of mails) {
      expect(mail.parsed.subject).toBe(
        `[TLP:RED] [P1] Niveau de service dépassé : ${d.reference} non pris en compte — CH Sud Réunion`,
      );
      const text = mail.parsed.text ?? "";
      expect(text).toContain("prise en compte sous 15 min");
      expect(text).toContain(`Échéance dépassée : ${formatInZone(ackDueAt, ZONE)}`);
      expect(text).toContain("n'est pas transmis par courriel (TLP:RED)");
      expect(mail.raw).not.toContain("Rançongiciel");
      expect(String(mail.parsed.html)).not.toContain("Rançongiciel");
    }
    expect((await timersOf(db, d.incidentId)).map((t) => [t.kind, Boolean(t.firedAt)])).toEqual([
      ["sla.missed", true],
    ]);
    expect(await timerLogEntries(db, d.incidentId)).toHaveLength(1);
  });

  it("falls back to every active analyst when nobody is on duty", async () => {
    await setRota(db, []);
    try {
      const d = await declareIncident(db, dir, { severity: "P2" });
      await changeIncident(db, d.incidentId, { ackDueAt: minutesFromNow(-1) });
      const mails = await waitForTimerMails(d.reference, "sla.missed", 3);
      await sleep(300);
      expect(timerMails(d.reference)).toHaveLength(3);
      expect(recipientsOf(mails)).toEqual(emails(primary, backup, third));
      expect(recipientsOf(mails)).not.toContain(dir.inactiveAnalystEmail);
    } finally {
      await setOnCall(db, primary.id, backup.id);
    }
  });

  it("reminds every active analyst when no slot of the rota is in force", async () => {
    await setRota(db, []);
    try {
      const d = await declareIncident(db, dir, { severity: "P2" });
      await changeIncident(db, d.incidentId, { ackDueAt: minutesFromNow(3) });
      const mails = await waitForTimerMails(d.reference, "sla.remind", 3);
      await sleep(300);
      expect(timerMails(d.reference)).toHaveLength(3);
      expect(recipientsOf(mails)).toEqual(emails(primary, backup, third));
      expect(recipientsOf(mails)).not.toContain(dir.inactiveAnalystEmail);
    } finally {
      await setOnCall(db, primary.id, backup.id);
    }
  });

  it("a slot whose analyst left the pole reminds every active analyst, not the departed one", async () => {
    const [gone] = await db
      .insert(users)
      .values({
        email: `parti.${Date.now()}@pris.test`,
        displayName: "parti",
        role: "analyst",
        passwordHash: "x",
      })
      .returning({ id: users.id, email: users.email });
    await setOnCall(db, gone!.id, null);
    await db.update(users).set({ active: false }).where(eq(users.id, gone!.id));
    try {
      const d = await declareIncident(db, dir, { severity: "P2" });
      await changeIncident(db, d.incidentId, { ackDueAt: minutesFromNow(3) });
      const mails = await waitForTimerMails(d.reference, "sla.remind", 3);
      await sleep(300);
      expect(recipientsOf(mails)).toEqual(emails(primary, backup, third));
    } finally {
      await setOnCall(db, primary.id, backup.id);
    }
  });

  it("each reminder goes to whoever the rota has on duty when it fires", async () => {
    // The slot in force: the primary on duty, the backup behind.
    const first = await declareIncident(db, dir, { severity: "P2" });
    await changeIncident(db, first.incidentId, { ackDueAt: minutesFromNow(3) });
    const [before] = await waitForTimerMails(first.reference, "sla.remind", 1);
    expect(before!.envelopeTo).toEqual([primary.email]);

    // The pole hands over: the third analyst takes the slot, the primary becomes the backup.
    await setOnCall(db, third.id, primary.id);
    try {
      const second = await declareIncident(db, dir, { severity: "P2" });
      await changeIncident(db, second.incidentId, { ackDueAt: minutesFromNow(3) });
      const [after] = await waitForTimerMails(second.reference, "sla.remind", 1);
      expect(after!.envelopeTo).toEqual([third.email]);

      // The first incident's level is now missed: its alert follows the rota of this moment too.
      await changeIncident(db, first.incidentId, { ackDueAt: minutesFromNow(-1) });
      const missed = await waitForTimerMails(first.reference, "sla.missed", 2);
      await sleep(300);
      expect(recipientsOf(missed)).toEqual(emails(primary, third));
    } finally {
      await setOnCall(db, primary.id, backup.id);
    }
  });

  it("sends nothing for an incident acknowledged before its timers fire", async () => {
    const d = await declareIncident(db, dir, { severity: "P3" });
    await changeIncident(db, d.incidentId, { ackDueAt: minutesFromNow(60) });
    await waitUntil("two pending timers", async () => (await timersOf(db, d.incidentId)).length === 2);
    await changeIncident(db, d.incidentId, { status: "acknowledged", acknowledgedAt: new Date() });
    await waitUntil("both cancelled", async () =>
      (await timersOf(db, d.incidentId)).every((t) => t.cancelledAt && !t.firedAt),
    );
    expect(timerMails(d.reference)).toHaveLength(0);
  });

  it("cancels a due timer whose reason is gone when it fires, before the change is even planned", async () => {
    const d = await declareIncident(db, dir, { severity: "P3" });
    const ackDueAt = minutesFromNow(-1);
    // Acknowledged, but the timer planned earlier is still there and due.
    await db
      .update(incidents)
      .set({ ackDueAt, status: "acknowledged", acknowledgedAt: new Date() })
      .where(eq(incidents.id, d.incidentId));
    const [timer] = await db
      .insert(timers)
      .values({
        kind: "sla.missed",
        subjectId: d.incidentId,
        dueAt: ackDueAt,
        payload: { incidentId: d.incidentId, deadline: ackDueAt.toISOString() },
      })
      .returning();
    await waitForTimer(d.incidentId, "cancelled by the runner", (t) => t.id === timer!.id && !!t.cancelledAt);
    await sleep(300);
    const [row] = await db.select().from(timers).where(eq(timers.id, timer!.id));
    expect(row?.firedAt).toBeNull();
    expect(timerMails(d.reference)).toHaveLength(0);
    expect(await timerDeliveriesOf(db, d.incidentId)).toHaveLength(0);
    expect(await timerLogEntries(db, d.incidentId)).toHaveLength(0);
  });
  it("does not let a broken timer hold the others back", async () => {
    // Due before everything else, and failing every time it is tried (its incident id is not one).
    const [broken] = await db
      .insert(timers)
      .values({
        kind: "sla.missed",
        subjectId: crypto.randomUUID(),
        dueAt: new Date(Date.now() - 86_400_000),
        payload: { incidentId: "not-a-uuid", deadline: new Date().toISOString() },
      })
      .returning();
    const d = await declareIncident(db, dir, { severity: "P2" });
    await changeIncident(db, d.incidentId, { ackDueAt: minutesFromNow(-1) });
    await waitForTimerMails(d.reference, "sla.missed", 2);
    const [row] = await db.select().from(timers).where(eq(timers.id, broken!.id));
    expect(row).toMatchObject({ firedAt: null, cancelledAt: null });
    expect(row!.attempts).toBeGreaterThanOrEqual(1);
    await db.update(timers).set({ cancelledAt: new Date() }).where(eq(timers.id, broken!.id));
  });
});

describe("follow-up timers", () => {
  it("reminds the assignee when the follow-up date of a waiting incident comes", async () => {
    const d = await declareIncident(db, dir, { severity: "P3", tlp: "GREEN" });
    const followUpAt = minutesFromNow(-1);
    await changeIncident(db, d.incidentId, {
      status: "waiting_third_party",
      previousStatus: "investigating",
      acknowledgedAt: new Date(),
      assigneeUserId: third.id,
      followUpAt,
    });
    const [mail] = await waitForTimerMails(d.reference, "followup.due", 1);
    await sleep(300);
    expect(timerMails(d.reference)).toHaveLength(1);
    expect(mail!.envelopeTo).toEqual([third.email]);
    expect(mail!.parsed.subject).toBe(`[TLP:GREEN] [P3] Relance à faire : ${d.reference} — CH Sud Réunion`);
    const text = mail!.parsed.text ?? "";
    expect(text).toContain(
      `est en attente d'un tiers. La date de relance prévue est arrivée : ${formatInZone(followUpAt, ZONE)}`,
    );
    expect(text).toContain("Statut : En attente d'un tiers");
  });

  it("reminds every analyst when nobody is assigned, and nobody once work resumed", async () => {
    const d = await declareIncident(db, dir, { severity: "P3" });
    await changeIncident(db, d.incidentId, {
      status: "waiting_establishment",
      previousStatus: "investigating",
      acknowledgedAt: new Date(),
      followUpAt: minutesFromNow(-1),
    });
    const mails = await waitForTimerMails(d.reference, "followup.due", 3);
    expect(recipientsOf(mails)).toEqual(emails(primary, backup, third));
    expect(mails[0]!.parsed.text).toContain("est en attente de l'établissement");

    const later = await declareIncident(db, dir, { severity: "P3" });
    await changeIncident(db, later.incidentId, {
      status: "waiting_establishment",
      previousStatus: "investigating",
      acknowledgedAt: new Date(),
      followUpAt: minutesFromNow(30),
    });
    await waitForTimer(later.incidentId, "follow-up planned", (t) => t.kind === "followup.due");
    await changeIncident(db, later.incidentId, { status: "investigating", followUpAt: null });
    await waitForTimer(later.incidentId, "follow-up cancelled", (t) => !!t.cancelledAt);
  });
});

describe("regulatory clock timers", () => {
  let other: { email: string };
  let ghtRssi: { email: string };
  let rssiEmail: string;

  beforeAll(async () => {
    // The establishment belongs to a GHT whose RSSI covers it; another establishment's RSSI does not.
    const [ght] = await db
      .insert(ghts)
      .values({ code: `GHT-T-${Date.now()}`, name: "GHT Sud" })
      .returning();
    await db.update(establishments).set({ ghtId: ght!.id }).where(eq(establishments.id, dir.establishmentId));
    const [est] = await db.select().from(establishments).where(eq(establishments.id, dir.establishmentId));
    const [elsewhere] = await db
      .insert(establishments)
      .values({
        finess: "974999998",
        name: "Clinique ailleurs",
        category: "ch",
        sector: "es",
        territory: est!.territory,
      })
      .returning();
    const user = async (name: string, values: Partial<typeof users.$inferInsert>) => {
      const [row] = await db
        .insert(users)
        .values({
          email: `${name}.${Date.now()}@pris.test`,
          displayName: name,
          role: "rssi",
          passwordHash: "x",
          ...values,
        })
        .returning({ email: users.email });
      return row!;
    };
    ghtRssi = await user("rssi-ght", { ghtId: ght!.id });
    other = await user("rssi-ailleurs", { establishmentId: elsewhere!.id });
    await user("rssi-parti", { establishmentId: dir.establishmentId, active: false });
    const [rssi] = await db.select({ email: users.email }).from(users).where(eq(users.id, dir.rssiId));
    rssiEmail = rssi!.email;
  });

  it("reminds the establishment's RSSIs and the assignee before a deadline and when it passes", async () => {
    const d = await declareIncident(db, dir, { severity: "P3", tlp: "GREEN" });
    // The assignee before the clocks: their reminders are due at once, and the worker may plan and send
    // them before the change below (it did 0.25 s after the clocks, the change held back 0.4 s), to
    // whoever is assigned then.
    await changeIncident(db, d.incidentId, {
      status: "investigating",
      acknowledgedAt: new Date(),
      assigneeUserId: third.id,
    });
    const now = Date.now();
    const h = 3_600_000;
    const portalDue = new Date(now + 30 * 60_000);
    const cnilDue = new Date(now - h);
    await addClock(db, d.incidentId, "national_portal", {
      startsAt: new Date(now - 23.5 * h),
      dueAt: portalDue,
    });
    await addClock(db, d.incidentId, "gdpr_cnil", { startsAt: new Date(now - 73 * h), dueAt: cnilDue });
    // Planned again, as the API commits a change when it records a clock.
    await changeIncident(db, d.incidentId, {});

    const expected = [rssiEmail, ghtRssi.email, third.email].sort();
    const reminders = await waitForTimerMails(d.reference, "clock.remind", 3);
    const overdue = await waitForTimerMails(d.reference, "clock.overdue", 3);
    await sleep(500);
    expect(timerMails(d.reference)).toHaveLength(6);
    expect(recipientsOf(reminders)).toEqual(expected);
    expect(recipientsOf(overdue)).toEqual(expected);
    expect(recipientsOf(timerMails(d.reference))).not.toContain(other.email);

    const reminder = reminders[0]!;
    expect(reminder.parsed.subject).toBe(
      `[TLP:GREEN] [P3] Échéance réglementaire proche : ${d.reference} — CH Sud Réunion`,
    );
    expect(reminder.parsed.text).toContain("À faire : Déclaration sur le portail national");
    expect(reminder.parsed.text).toContain("Base : CSP art. L.1111-8-2 — délai : sans délai");
    expect(reminder.parsed.text).toContain(
      `Échéance : ${formatInZone(portalDue, ZONE)} (heure de La Réunion)`,
    );
    const late = overdue[0]!;
    expect(late.parsed.subject).toBe(
      `[TLP:GREEN] [P3] Échéance réglementaire dépassée : ${d.reference} — CH Sud Réunion`,
    );
    expect(late.parsed.text).toContain("À faire : Notification à la CNIL");
    expect(late.parsed.text).toContain(`Échéance dépassée : ${formatInZone(cnilDue, ZONE)}`);
    expect(late.parsed.text).toContain("doit indiquer les motifs du retard (RGPD art. 33)");

    const entries = await timerLogEntries(db, d.incidentId);
    expect(entries.map((e) => [e.body.timer, e.body.clock, e.body.recipients]).sort()).toEqual([
      ["clock.overdue", "gdpr_cnil", 3],
      ["clock.remind", "national_portal", 3],
    ]);

    // The portal declaration is recorded as done: its overdue timer goes.
    await db
      .update(incidentClocks)
      .set({ doneAt: new Date() })
      .where(and(eq(incidentClocks.incidentId, d.incidentId), eq(incidentClocks.kind, "national_portal")));
    await changeIncident(db, d.incidentId, {});
    await waitForTimer(
      d.incidentId,
      "portal overdue cancelled",
      (t) => t.kind === "clock.overdue" && !!t.cancelledAt,
    );
  });

  it("does not name a clock that would reveal what a RED declaration holds", async () => {
    const d = await declareIncident(db, dir, { severity: "P2", tlp: "RED" });
    await addClock(db, d.incidentId, "gdpr_cnil", {
      startsAt: new Date(Date.now() - 80 * 3_600_000),
      dueAt: new Date(Date.now() - 8 * 3_600_000),
    });
    await changeIncident(db, d.incidentId, { status: "investigating", acknowledgedAt: new Date() });
    const mails = await waitForTimerMails(d.reference, "clock.overdue", 2);
    expect(recipientsOf(mails)).toEqual([rssiEmail, ghtRssi.email].sort());
    for (const mail of mails) {
      expect(mail.parsed.subject).toBe(
        `[TLP:RED] [P2] Échéance réglementaire dépassée : ${d.reference} — CH Sud Réunion`,
      );
      expect(mail.parsed.text).toContain("À faire : Échéance réglementaire (le détail est dans PRIS)");
      for (const body of [mail.raw, mail.parsed.text ?? "", String(mail.parsed.html)]) {
        expect(body).not.toMatch(/CNIL|RGPD|Rançongiciel/);
      }
    }
  });
});

describe("escalation", () => {
  it("e-mails the task force and the ARS once when an incident is raised to P1", async () => {
    const d = await declareIncident(db, dir, { severity: "P3", tlp: "AMBER+STRICT" });
    const escalatedAt = new Date();
    const { outboxIds } = await changeIncident(
      db,
      d.incidentId,
      { severity: "P1", crisisCell: true, escalatedAt },
      ["incident.escalated"],
    );
    const escalated = outboxIds[1]!;
    const mobilised = () =>
      smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<incident-escalated.${escalated}.`));
    const mails = await waitUntil("the mobilisation e-mails", () => mobilised().length >= 2 && mobilised());
    expect(recipientsOf(mails)).toEqual(emails(dir.users.taskforce[0]!, dir.users.ars[0]!));
    for (const mail of mails) {
      expect(mail.parsed.subject).toBe(
        `[TLP:AMBER+STRICT] [P1] Mobilisation de la task force : ${d.reference} — CH Sud Réunion`,
      );
      const text = mail.parsed.text ?? "";
      expect(text).toContain("Mobilisation de la task force régionale");
      expect(text).toContain(
        `élevé en incident majeur le ${formatInZone(escalatedAt, ZONE)} (heure de La Réunion)`,
      );
      expect(text).toContain("Gravité : P1 — incident majeur");
      expect(text).toContain("n'est pas transmis par courriel (TLP:AMBER+STRICT)");
      expect(text).toContain(`${PUBLIC_URL}/incidents/${d.incidentId}`);
      expect(String(mail.parsed.html).match(/TLP:AMBER\+STRICT/g)?.length).toBeGreaterThanOrEqual(3);
      expect(mail.raw).not.toContain("Rançongiciel");
      expect(mail.raw).not.toContain("SRV-DPI-01");
    }

    // The escalation replayed (outbox row re-dispatched after a lost acknowledgement): nothing new.
    await db
      .update(outbox)
      .set({ processedAt: null, dispatchedAt: null, dispatchCount: 0 })
      .where(eq(outbox.id, escalated));
    await waitUntil("the replay processed", async () => {
      const [row] = await db.select().from(outbox).where(eq(outbox.id, escalated));
      return row?.processedAt && row.dispatchCount > 0;
    });
    await sleep(500);
    expect(mobilised()).toHaveLength(2);
    const entries = await db
      .select()
      .from(incidentLog)
      .where(
        and(
          eq(incidentLog.incidentId, d.incidentId),
          sql`${incidentLog.body}->>'template' = 'incident-escalated'`,
        ),
      );
    expect(entries).toMatchObject([
      { kind: "notification", visibility: "internal", body: { roles: ["taskforce", "ars"], recipients: 2 } },
    ]);
  });
});

describe("once per recipient, whatever happens to the workers", () => {
  let deadSmtp: string;
  beforeAll(async () => {
    deadSmtp = `smtp://127.0.0.1:${await freePort()}`;
  });
  afterEach(async () => {
    // Later tests find a worker running.
    if (running.size === 0) await start();
  });

  it("sends each reminder once across a worker stopped right after firing and a Redis that lost its jobs", async () => {
    for (const handle of [...running]) await stop(handle);
    // First worker: its SMTP relay is unreachable, so it fires the timer and cannot send.
    const first = await start({ ...config, SMTP_URL: deadSmtp });
    const d = await declareIncident(db, dir, { severity: "P2" });
    await changeIncident(db, d.incidentId, { ackDueAt: minutesFromNow(-1) });
    const fired = await waitForTimer(d.incidentId, "fired", (t) => !!t.firedAt);
    await stop(first);
    expect(timerMails(d.reference)).toHaveLength(0);
    expect((await timerDeliveriesOf(db, d.incidentId)).map((x) => x.status).sort()).not.toContain("sent");

    // Redis loses every job of the queue; the next worker starts with a working relay.
    const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
    const queues = createQueues(config, redis);
    await queues.sendMail.obliterate({ force: true });
    await queues.close();
    await redis.quit();
    const second = await start(config, { sweepEveryMs: 200 });

    const mails = await waitForTimerMails(d.reference, "sla.missed", 2, 20_000);
    expect(recipientsOf(mails)).toEqual(emails(primary, backup));

    // The same timer fired a second time (a replay): it finds its deliveries and adds nothing.
    await db.update(timers).set({ firedAt: null }).where(eq(timers.id, fired.id));
    await waitForTimer(d.incidentId, "fired again", (t) => t.id === fired.id && !!t.firedAt);
    await sleep(1_000);
    expect(timerMails(d.reference)).toHaveLength(2);
    const deliveries = await timerDeliveriesOf(db, d.incidentId);
    expect(deliveries.map((x) => x.status)).toEqual(["sent", "sent"]);
    expect(await timerLogEntries(db, d.incidentId)).toHaveLength(1);
    expect(running.has(second)).toBe(true);
  });

  it("sends each reminder once when the worker is stopped at once and another takes over", async () => {
    const d = await declareIncident(db, dir, { severity: "P2" });
    await changeIncident(db, d.incidentId, { ackDueAt: minutesFromNow(-1) });
    await waitForTimer(d.incidentId, "fired", (t) => !!t.firedAt);
    for (const handle of [...running]) await stop(handle);
    await start(config, { sweepEveryMs: 200 });
    const mails = await waitForTimerMails(d.reference, "sla.missed", 2);
    await sleep(1_000);
    expect(timerMails(d.reference)).toHaveLength(2);
    expect(recipientsOf(mails)).toEqual(emails(primary, backup));
  });

  it("fires each timer once with two workers polling at the same time, sharing nothing but PostgreSQL", async () => {
    for (const handle of [...running]) await stop(handle);
    const one = { ...config, QUEUE_PREFIX: uniqueQueuePrefix() };
    const two = { ...config, QUEUE_PREFIX: uniqueQueuePrefix() };
    await start(one, { timerPollMs: 10 });
    await start(two, { timerPollMs: 10 });

    const declared: DeclaredIncident[] = [];
    for (let i = 0; i < 6; i += 1) declared.push(await declareIncident(db, dir, { severity: "P2" }));
    await db.transaction(async (tx) => {
      const ids = declared.map((d) => d.incidentId);
      await tx
        .update(incidents)
        .set({ ackDueAt: minutesFromNow(-1) })
        .where(inArray(incidents.id, ids));
      // Two changes per incident: planned by both workers at once, planned once.
      await tx
        .insert(outbox)
        .values(
          ids.flatMap((id) => [
            outboxValues(incidentMessage("incident.changed", id)),
            outboxValues(incidentMessage("incident.changed", id)),
          ]),
        );
    });

    for (const d of declared) await waitForTimerMails(d.reference, "sla.missed", 2, 20_000);
    await sleep(1_000);
    for (const d of declared) {
      const mails = timerMails(d.reference);
      expect(mails).toHaveLength(2);
      expect(recipientsOf(mails)).toEqual(emails(primary, backup));
      const planned = await timersOf(db, d.incidentId);
      expect(planned).toHaveLength(1);
      expect(planned[0]).toMatchObject({ kind: "sla.missed", attempts: 1, cancelledAt: null });
      expect(await timerLogEntries(db, d.incidentId)).toHaveLength(1);
    }
    const ids = new Set(smtp.messages.map((m) => m.parsed.messageId));
    expect(ids.size).toBe(smtp.messages.length);
  });
});

describe("changes made while no worker runs", () => {
  it("are planned and fired once a worker starts: the outbox kept them", async () => {
    for (const handle of [...running]) await stop(handle);
    const d = await declareIncident(db, dir, { severity: "P2" });
    await changeIncident(db, d.incidentId, { ackDueAt: minutesFromNow(-1) });
    await sleep(500);
    const [pending] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(outbox)
      .where(and(eq(outbox.aggregateId, d.incidentId), isNotNull(outbox.processedAt)));
    expect(pending?.n).toBe(0);
    await start(config, { ...FAST });
    const mails = await waitForTimerMails(d.reference, "sla.missed", 2);
    expect(recipientsOf(mails)).toEqual(emails(primary, backup));
    // The relay may take the message a moment before the worker records it sent.
    const key = `timer:${(await timersOf(db, d.incidentId))[0]!.id}:${primary.id}`;
    await expect
      .poll(async () => {
        const [delivery] = await db.select().from(mailDeliveries).where(eq(mailDeliveries.dedupeKey, key));
        return delivery?.status;
      })
      .toBe("sent");
  });
});
