import { randomBytes } from "node:crypto";
import { establishments, incidentLog, incidents, mailIntake } from "@pris/db";
import { startWorker, type WorkerHandle } from "@pris/worker";
import { and, asc, eq, sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PrivateDovecot, startDovecot } from "../support/dovecot.ts";
import { createEstablishment, createUser, login } from "../support/fixtures.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

const until = (check: () => Promise<boolean> | boolean, timeoutMs = 15_000) =>
  waitUntil("the intake to get there", check, timeoutMs);

/**
 * The pole's mailbox as an entrance, against a real IMAP server (a private Dovecot) and a real SMTP
 * server: a known sender declares and is acknowledged, a reply lands in the main courante, the rest is
 * quarantined for the pole; each message is processed once, by one reader.
 */
let dovecot: PrivateDovecot;
let stack: FullStack;
let alpha: typeof establishments.$inferSelect;
let bravo: typeof establishments.$inferSelect;
const alphaMailbox = `secu-${randomBytes(3).toString("hex")}@ch-alpha.re`;
let rssiA: { id: string; email: string };
let rssiB: { id: string; email: string };
let analyst: Record<string, string>;
let rssiBearer: Record<string, string>;

const MAX_BYTES = 64 * 1024;

function mail(
  headers: Record<string, string>,
  body: string,
  options: { messageId?: string } = {},
): { raw: string; messageId: string } {
  const messageId = options.messageId ?? `<${randomBytes(8).toString("hex")}@mail.test>`;
  const all: Record<string, string> = {
    "Message-ID": messageId,
    Date: new Date().toUTCString(),
    To: "cyber@pole.re",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Transfer-Encoding": "8bit",
    ...headers,
  };
  const head = Object.entries(all)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\r\n");
  return { raw: `${head}\r\n\r\n${body.replace(/\n/g, "\r\n")}\r\n`, messageId };
}

async function intakeRow(messageId: string) {
  let row: typeof mailIntake.$inferSelect | undefined;
  await until(async () => {
    [row] = await stack.t.db.select().from(mailIntake).where(eq(mailIntake.messageId, messageId));
    return row !== undefined;
  }, 15_000);
  return row!;
}

async function seen(uid: number): Promise<boolean> {
  return (await dovecot.flags()).get(uid)?.has("\\Seen") ?? false;
}

beforeAll(async () => {
  dovecot = await startDovecot();
  stack = await startFullStack(
    { intakePollMs: 300 },
    { INTAKE_IMAP_URL: dovecot.url, INTAKE_MAX_MESSAGE_BYTES: String(MAX_BYTES) },
  );
  const db = stack.t.db;
  alpha = await createEstablishment(db, { name: "CH Alpha" });
  await db
    .update(establishments)
    .set({ contacts: { ...alpha.contacts, functionalMailbox: alphaMailbox } })
    .where(eq(establishments.id, alpha.id));
  bravo = await createEstablishment(db, { name: "Clinique Bravo" });
  rssiA = await createUser(db, { role: "rssi", establishmentId: alpha.id, name: "Marie Payet" });
  rssiB = await createUser(db, { role: "rssi", establishmentId: bravo.id });
  analyst = (await login(stack.t.app, (await createUser(db, { role: "analyst" })).email)).bearer;
  rssiBearer = (await login(stack.t.app, rssiA.email)).bearer;
}, 60_000);

afterAll(async () => {
  await stack?.worker.close();
  await stack?.close();
  await dovecot?.stop();
});

let declared: { incidentId: string; reference: string; ackMessageId: string };

describe("a message from an address the directory knows", () => {
  it("declares for its establishment, to complete, and is acknowledged in French", async () => {
    const m = mail(
      { From: `Sécurité CH Alpha <${alphaMailbox}>`, Subject: "Rançongiciel sur les serveurs de l'imagerie" },
      [
        "Bonjour,",
        "",
        "Les serveurs du PACS sont chiffrés depuis 6 h, une note de rançon s'affiche.",
        "",
        "Le lun. 7 déc. 2026 à 06:10, Jean Grondin <jean@ch-alpha.re> a écrit :",
        "> Tu as vu l'écran de l'imagerie ?",
      ].join("\n"),
    );
    const uid = await dovecot.append(m.raw);
    const row = await intakeRow(m.messageId);
    expect(row.outcome).toBe("declared");
    expect(row.establishmentId).toBe(alpha.id);
    const [incident] = await stack.t.db.select().from(incidents).where(eq(incidents.id, row.incidentId!));
    expect(incident).toMatchObject({
      establishmentId: alpha.id,
      status: "new",
      title: "Rançongiciel sur les serveurs de l'imagerie",
      declaredByUserId: null,
      declaredByApiKeyId: null,
      channel: "email",
    });
    const [first] = await stack.t.db
      .select()
      .from(incidentLog)
      .where(eq(incidentLog.incidentId, incident!.id))
      .orderBy(asc(incidentLog.seq))
      .limit(1);
    expect(first!.kind).toBe("declared");
    expect(first!.body).toMatchObject({ channel: "email", toComplete: true, from: alphaMailbox });
    expect(first!.body.text).toContain("Les serveurs du PACS sont chiffrés");
    expect(first!.body.text).not.toContain("a écrit");
    expect(first!.body.text).not.toContain("l'écran de l'imagerie");

    await stack.smtp.waitFor(1, 15_000);
    await until(async () => stack.smtp.messages.some((s) => s.envelopeTo.includes(alphaMailbox)), 15_000);
    const ack = stack.smtp.messages.find((s) => s.envelopeTo.includes(alphaMailbox))!;
    expect(ack.parsed.subject).toContain(incident!.reference);
    expect(ack.parsed.subject).toContain("reçu");
    expect(ack.parsed.text).toContain("Votre signalement a bien été reçu");
    expect(ack.parsed.text).toContain(`https://pris.example.re/incidents/${incident!.id}`);
    expect(ack.parsed.inReplyTo).toBe(m.messageId);
    await until(() => seen(uid), 10_000);
    // The pole's queue has it like any other declaration: the analysts were told.
    const queue = await stack.t.app.inject({
      method: "GET",
      url: `/api/v1/incidents?q=${encodeURIComponent(incident!.reference)}`,
      headers: analyst,
    });
    expect(queue.json().items.map((i: { id: string }) => i.id)).toContain(incident!.id);
    // Declared by a contact without an account: the incident names the sender as its declarant.
    const shown = await stack.t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${incident!.id}`,
      headers: rssiBearer,
    });
    expect(shown.statusCode, shown.body).toBe(200);
    expect(shown.json().declaredBy).toEqual({ kind: "user", name: "Sécurité CH Alpha" });
    expect(shown.json().declarant).toMatchObject({ email: alphaMailbox });
    declared = {
      incidentId: incident!.id,
      reference: incident!.reference,
      ackMessageId: ack.parsed.messageId!,
    };
  });
});

describe("a reply to the service's e-mail", () => {
  async function entries() {
    return stack.t.db
      .select()
      .from(incidentLog)
      .where(and(eq(incidentLog.incidentId, declared.incidentId), eq(incidentLog.kind, "comment")))
      .orderBy(asc(incidentLog.seq));
  }

  it("by the reference in its subject adds a shared entry, quoted history stripped, seen live by the pole", async () => {
    const listener = new pg.Client({ connectionString: stack.t.config.DATABASE_URL });
    await listener.connect();
    const changed: string[] = [];
    listener.on("notification", (n) => {
      const payload = JSON.parse(n.payload ?? "{}") as { op: string; id: string };
      if (payload.op === "changed") changed.push(payload.id);
    });
    await listener.query("LISTEN pris_incidents");
    try {
      const m = mail(
        {
          From: `Marie Payet <${rssiA.email.toUpperCase()}>`,
          Subject: `RE: Signalement ${declared.reference} reçu`,
        },
        [
          "Les sauvegardes de la nuit sont intactes.",
          "",
          "-----Message d'origine-----",
          "De : PRIS <pris@localhost>",
          "Envoyé : lundi 7 décembre 2026 07:00",
          "Votre signalement a bien été reçu",
        ].join("\n"),
      );
      await dovecot.append(m.raw);
      const row = await intakeRow(m.messageId);
      expect(row.outcome).toBe("replied");
      const [entry] = await entries();
      expect(entry).toMatchObject({ visibility: "shared", actorUserId: rssiA.id });
      expect(entry!.body.text).toBe("Les sauvegardes de la nuit sont intactes.");
      await until(async () => changed.includes(declared.incidentId), 5_000);
      const log = await stack.t.app.inject({
        method: "GET",
        url: `/api/v1/incidents/${declared.incidentId}/log`,
        headers: analyst,
      });
      expect(log.json().items.map((e: { id: string }) => e.id)).toContain(entry!.id);
    } finally {
      await listener.end();
    }
  });

  it("by In-Reply-To the acknowledgement's Message-ID adds another, from an establishment contact", async () => {
    const m = mail(
      {
        From: alphaMailbox,
        Subject: "Complément",
        "In-Reply-To": declared.ackMessageId,
        References: declared.ackMessageId,
      },
      "Le prestataire arrive à 10 h.\n\n> Votre signalement a bien été reçu\n> Le pôle régional…",
    );
    await dovecot.append(m.raw);
    expect((await intakeRow(m.messageId)).outcome).toBe("replied");
    const all = await entries();
    expect(all.at(-1)!.body.text).toBe("Le prestataire arrive à 10 h.");
    expect(all.at(-1)!.actorUserId).toBeNull();
  });

  it("with a reference the sender may not speak for attaches to nothing: quarantined", async () => {
    const before = await entries();
    const m = mail(
      { From: rssiB.email, Subject: `Re: Signalement ${declared.reference} reçu` },
      "Je m'invite dans votre incident.",
    );
    await dovecot.append(m.raw);
    const row = await intakeRow(m.messageId);
    expect(row).toMatchObject({
      outcome: "quarantined",
      quarantineReason: "forged_reference",
      incidentId: null,
    });
    expect(await entries()).toHaveLength(before.length);
  });
});

describe("the quarantine", () => {
  let unknownId: string;

  it("takes a message from an unknown address, and one that fails DMARC", async () => {
    const unknown = mail(
      { From: "inconnu@ailleurs.example", Subject: "Alerte virus" },
      "Ouvrez la pièce jointe.",
    );
    await dovecot.append(unknown.raw);
    const row = await intakeRow(unknown.messageId);
    expect(row).toMatchObject({
      outcome: "quarantined",
      quarantineReason: "unknown_sender",
      incidentId: null,
    });
    unknownId = row.id;

    const spoofed = mail(
      {
        // The receiving server's verdict on top; the sender's own (forged) "pass" below is not believed.
        "Authentication-Results": `mx.pole.re; spf=fail smtp.mailfrom=${alphaMailbox}; dkim=none; dmarc=fail (p=reject) header.from=ch-alpha.re`,
        "X-Other": "x",
        From: alphaMailbox,
        Subject: "Urgent : changez vos mots de passe",
      },
      "Cliquez ici.",
    );
    const raw = spoofed.raw.replace(
      "X-Other: x",
      "X-Other: x\r\nAuthentication-Results: forged.example; dmarc=pass; spf=pass; dkim=pass",
    );
    await dovecot.append(raw);
    const failed = await intakeRow(spoofed.messageId);
    expect(failed).toMatchObject({ outcome: "quarantined", quarantineReason: "authentication_failed" });
    expect(failed.authentication).toMatchObject({ dmarc: "fail", spf: "fail" });
  });

  it("takes an automatic answer from a known address instead of declaring and acknowledging it", async () => {
    const away = mail(
      { From: alphaMailbox, Subject: "Absence du bureau", "Auto-Submitted": "auto-replied" },
      "Je suis absent jusqu'au 4 janvier.",
    );
    await dovecot.append(away.raw);
    expect(await intakeRow(away.messageId)).toMatchObject({
      outcome: "quarantined",
      quarantineReason: "automatic",
    });
  });

  it("takes a message too large unread, with its reason", async () => {
    const big = mail({ From: alphaMailbox, Subject: "Journaux" }, "x".repeat(MAX_BYTES + 1024));
    const uid = await dovecot.append(big.raw);
    const row = await intakeRow(big.messageId);
    expect(row).toMatchObject({ outcome: "quarantined", quarantineReason: "too_large", incidentId: null });
    await until(() => seen(uid), 10_000);
  });

  it("is listed for analysts only, and a message attached to an establishment declares", async () => {
    const forbidden = await stack.t.app.inject({
      method: "GET",
      url: "/api/v1/intake/quarantine",
      headers: rssiBearer,
    });
    expect([403, 404]).toContain(forbidden.statusCode);
    expect(forbidden.headers["content-type"]).toContain("application/problem+json");

    const list = await stack.t.app.inject({
      method: "GET",
      url: "/api/v1/intake/quarantine",
      headers: analyst,
    });
    expect(list.statusCode, list.body).toBe(200);
    const item = list.json().items.find((i: { id: string }) => i.id === unknownId);
    expect(item).toMatchObject({
      reason: "unknown_sender",
      from: "inconnu@ailleurs.example",
      subject: "Alerte virus",
    });

    const invalid = await stack.t.app.inject({
      method: "POST",
      url: `/api/v1/intake/quarantine/${unknownId}/attach`,
      headers: analyst,
      payload: { establishmentId: "pas-un-uuid" },
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain("establishmentId");

    const attached = await stack.t.app.inject({
      method: "POST",
      url: `/api/v1/intake/quarantine/${unknownId}/attach`,
      headers: analyst,
      payload: { establishmentId: bravo.id },
    });
    expect(attached.statusCode, attached.body).toBe(201);
    const { incidentId, reference } = attached.json() as { incidentId: string; reference: string };
    expect(reference).toMatch(/-\d{4}-\d+$/);
    const [incident] = await stack.t.db.select().from(incidents).where(eq(incidents.id, incidentId));
    expect(incident).toMatchObject({ establishmentId: bravo.id, title: "Alerte virus", channel: "email" });

    const again = await stack.t.app.inject({
      method: "POST",
      url: `/api/v1/intake/quarantine/${unknownId}/attach`,
      headers: analyst,
      payload: { establishmentId: bravo.id },
    });
    expect(again.statusCode).toBe(409);
  });

  it("answers 404 for a message that is not in quarantine, and an RSSI may not review", async () => {
    const [replied] = await stack.t.db
      .select()
      .from(mailIntake)
      .where(eq(mailIntake.outcome, "replied"))
      .limit(1);
    const notQuarantined = await stack.t.app.inject({
      method: "POST",
      url: `/api/v1/intake/quarantine/${replied!.id}/discard`,
      headers: analyst,
    });
    expect(notQuarantined.statusCode).toBe(404);
    expect(notQuarantined.headers["content-type"]).toContain("application/problem+json");
    const byRssi = await stack.t.app.inject({
      method: "POST",
      url: `/api/v1/intake/quarantine/${replied!.id}/attach`,
      headers: rssiBearer,
      payload: { establishmentId: alpha.id },
    });
    expect([403, 404]).toContain(byRssi.statusCode);
    const badLimit = await stack.t.app.inject({
      method: "GET",
      url: "/api/v1/intake/quarantine?limit=0",
      headers: analyst,
    });
    expect(badLimit.statusCode).toBe(400);
    expect(badLimit.body).toContain("limit");
  });

  it("lets an analyst discard a message", async () => {
    const list = await stack.t.app.inject({
      method: "GET",
      url: "/api/v1/intake/quarantine",
      headers: analyst,
    });
    const target = list.json().items.find((i: { reason: string }) => i.reason === "too_large");
    const discarded = await stack.t.app.inject({
      method: "POST",
      url: `/api/v1/intake/quarantine/${target.id}/discard`,
      headers: analyst,
    });
    expect(discarded.statusCode, discarded.body).toBe(204);
    const after = await stack.t.app.inject({
      method: "GET",
      url: "/api/v1/intake/quarantine",
      headers: analyst,
    });
    expect(after.json().items.map((i: { id: string }) => i.id)).not.toContain(target.id);
  });
});

describe("each message once, by one reader", () => {
  it("a new message a person already opened in their own client is still processed", async () => {
    await until(async () => stack.worker.readingMailbox(), 10_000);
    const m = mail(
      { From: alphaMailbox, Subject: "Déjà lu par l'astreinte" },
      "Ouvert sur le téléphone de garde.",
    );
    const { messageId } = m;
    const raw = m.raw;
    const uid = await dovecot.appendSeen(raw);
    expect(await seen(uid)).toBe(true);
    expect((await intakeRow(messageId)).outcome).toBe("declared");
  });

  it("the same message twice, and again after the reader restarted, is processed once", async () => {
    const m = mail({ From: rssiA.email, Subject: "Panne de la messagerie" }, "La messagerie est coupée.");
    const first = await dovecot.append(m.raw);
    const second = await dovecot.append(m.raw);
    await intakeRow(m.messageId);
    await until(async () => (await seen(first)) && (await seen(second)), 10_000);

    // A reader stopped and another started: the copy put back unseen is found done, only flagged.
    await stack.worker.close();
    const third = await dovecot.append(m.raw);
    stack.worker = await startWorker(stack.t.config, { intakePollMs: 300 });
    await until(() => seen(third), 15_000);
    const rows = await stack.t.db.select().from(mailIntake).where(eq(mailIntake.messageId, m.messageId));
    expect(rows).toHaveLength(1);
    const declaredFor = await stack.t.db
      .select({ id: incidents.id })
      .from(incidents)
      .where(and(eq(incidents.establishmentId, alpha.id), eq(incidents.title, "Panne de la messagerie")));
    expect(declaredFor).toHaveLength(1);
  });

  it("a message committed but not flagged when the reader died is only flagged, not processed again", async () => {
    await stack.worker.close();
    const m = mail({ From: alphaMailbox, Subject: "Validé avant la panne" }, "Déjà enregistré.");
    const uid = await dovecot.append(m.raw);
    const [any] = await stack.t.db.select({ uidValidity: mailIntake.uidValidity }).from(mailIntake).limit(1);
    // What the dead reader committed for this place: a row under another Message-ID, so that only its
    // place in the mailbox says the message is done.
    await stack.t.db.insert(mailIntake).values({
      messageId: `<before-the-crash.${uid}@mail.test>`,
      mailbox: "INBOX",
      uidValidity: any!.uidValidity,
      uid,
      size: m.raw.length,
      outcome: "quarantined",
      quarantineReason: "unknown_sender",
    });
    stack.worker = await startWorker(stack.t.config, { intakePollMs: 300 });
    await until(() => seen(uid), 15_000);
    expect(await stack.t.db.select().from(mailIntake).where(eq(mailIntake.messageId, m.messageId))).toEqual(
      [],
    );
    const declaredFor = await stack.t.db
      .select({ id: incidents.id })
      .from(incidents)
      .where(eq(incidents.title, "Validé avant la panne"));
    expect(declaredFor).toEqual([]);
  });

  it("messages read together: one that fails stays unseen, the others are committed and flagged", async () => {
    await stack.worker.close();
    const before = mail({ From: alphaMailbox, Subject: "Lot, premier" }, "Premier du lot.");
    const refused = mail({ From: alphaMailbox, Subject: "Lot, refusé" }, "Refusé par la base.");
    const after = mail({ From: alphaMailbox, Subject: "Lot, dernier" }, "Dernier du lot.");
    const uids: number[] = [];
    for (const m of [before, refused, after]) uids.push(await dovecot.append(m.raw));
    // A database that refuses one message's row: its batch's transaction fails whole.
    await stack.t.db.execute(sql`
      CREATE FUNCTION refuse_intake() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.subject = 'Lot, refusé' THEN RAISE EXCEPTION 'refused for the test'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_intake BEFORE INSERT ON mail_intake FOR EACH ROW EXECUTE FUNCTION refuse_intake();
    `);
    try {
      stack.worker = await startWorker(stack.t.config, { intakePollMs: 300 });
      expect((await intakeRow(before.messageId)).outcome).toBe("declared");
      expect((await intakeRow(after.messageId)).outcome).toBe("declared");
      await until(async () => (await seen(uids[0]!)) && (await seen(uids[2]!)), 10_000);
      // Read again each round, and refused again: never flagged, never recorded.
      await new Promise((r) => setTimeout(r, 1000));
      expect(await seen(uids[1]!)).toBe(false);
      expect(
        await stack.t.db.select().from(mailIntake).where(eq(mailIntake.messageId, refused.messageId)),
      ).toEqual([]);
    } finally {
      await stack.t.db.execute(sql`DROP TRIGGER refuse_intake ON mail_intake; DROP FUNCTION refuse_intake()`);
    }
    // Once the database takes it, it is processed, once.
    expect((await intakeRow(refused.messageId)).outcome).toBe("declared");
    await until(() => seen(uids[1]!), 10_000);
    const declaredFor = await stack.t.db
      .select({ id: incidents.id })
      .from(incidents)
      .where(and(eq(incidents.establishmentId, alpha.id), eq(incidents.title, "Lot, premier")));
    expect(declaredFor).toHaveLength(1);
  });

  it("the reader's lock session cut: it stops reading, takes the lock again and reads on", async () => {
    await until(async () => stack.worker.readingMailbox(), 10_000);
    const admin = new pg.Client({ connectionString: stack.t.config.DATABASE_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
         WHERE application_name = 'pris-worker-intake-lock' AND datname = current_database()`,
      );
      expect(rows).toEqual([{ ok: true }]);
    } finally {
      await admin.end();
    }
    const m = mail({ From: alphaMailbox, Subject: "Après la coupure" }, "Toujours là.");
    const uid = await dovecot.append(m.raw);
    expect((await intakeRow(m.messageId)).outcome).toBe("declared");
    await until(() => seen(uid), 10_000);
    expect(stack.worker.readingMailbox()).toBe(true);
  });

  it("two workers: only one reads the mailbox", async () => {
    let other: WorkerHandle | undefined;
    try {
      other = await startWorker(stack.t.config, { intakePollMs: 300 });
      await until(async () => stack.worker.readingMailbox(), 10_000);
      await new Promise((r) => setTimeout(r, 800));
      expect([stack.worker.readingMailbox(), other.readingMailbox()]).toEqual([true, false]);
      const m = mail({ From: alphaMailbox, Subject: "Deux lecteurs" }, "Un seul doit lire.");
      const uid = await dovecot.append(m.raw);
      await until(() => seen(uid), 10_000);
      // The reader gone, the other takes over.
      await stack.worker.close();
      await until(async () => other!.readingMailbox(), 10_000);
      const n = mail({ From: alphaMailbox, Subject: "Relève" }, "L'autre lit maintenant.");
      await dovecot.append(n.raw);
      expect((await intakeRow(n.messageId)).outcome).toBe("declared");
    } finally {
      stack.worker = other ?? stack.worker;
    }
  });
});
