import { generateKeyPairSync } from "node:crypto";
import { auditLog, establishments, mailDeliveries, outbox } from "@pris/db";
import { startWorker, type WorkerHandle } from "@pris/worker";
import { and, eq } from "drizzle-orm";
// @ts-expect-error mailauth 4 ships no types
import { dkimVerify } from "mailauth/lib/dkim/verify.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bulletinDraft, seedNetwork } from "../support/bulletin-fixtures.ts";
import { createUser, declaration, login, startTestApp, type TestApp } from "../support/fixtures.ts";
import { type ReceivedMail, startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { sleep, waitUntil } from "../support/worker-fixtures.ts";

/**
 * What a receiving mail server checks, on the real messages the worker sends to the test SMTP server: the
 * Message-ID on the sender's domain, a DKIM signature that verifies against the published key, the list
 * headers of bulletins (one-click unsubscribe for functional mailboxes only), links as links, the pole's
 * emergency phone; then the one-click unsubscribe itself and the RSSI told of it.
 */
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const DNS: Record<string, string> = {
  "pris2026._domainkey.cyber.example.re": `v=DKIM1; k=rsa; p=${publicKey.export({ type: "spki", format: "der" }).toString("base64")}`,
};
const resolver = async (name: string, type: string) => {
  const record = type === "TXT" ? DNS[name] : undefined;
  if (!record) throw Object.assign(new Error(`no ${type} for ${name}`), { code: "ENOTFOUND" });
  return [[record]];
};
/** A header as sent, unfolded; undefined when absent. */
function headerOf(m: ReceivedMail, name: string): string | undefined {
  const head = m.raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, " ");
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

async function dkimResult(m: ReceivedMail) {
  const { results } = await dkimVerify(Buffer.from(m.raw), { resolver });
  return results as { status: { result: string }; signingDomain: string; selector: string }[];
}

let t: TestApp;
let smtp: TestSmtpServer;
let worker: WorkerHandle;
let analyst: Record<string, string>;
let rssiEmail: string;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await startTestApp({
    SMTP_URL: smtp.url,
    PUBLIC_URL: "https://pris.example.re",
    MAIL_FROM: "PRIS Cyber Santé <pris@cyber.example.re>",
    MAIL_DKIM_SELECTOR: "pris2026",
    MAIL_DKIM_PRIVATE_KEY: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    POLE_EMERGENCY_PHONE: "0262 99 00 00",
  });
  worker = await startWorker(t.config, {
    tuning: { mailRetryDelayMs: 100, outboxRetryDelayMs: 100 },
    fanoutPollMs: 100,
  });
  analyst = (await login(t.app, (await createUser(t.db, { role: "analyst" })).email)).bearer;
  await seedNetwork(t.db, { count: 2, territory: "est", prefix: "est", finessStart: 3000 });
  const [first] = await t.db.select().from(establishments).where(eq(establishments.name, "est 1"));
  rssiEmail = (await createUser(t.db, { role: "rssi", establishmentId: first!.id })).email;
});
afterAll(async () => {
  await worker?.close();
  await t?.close();
  await smtp?.close();
});

async function publish() {
  const created = await t.app.inject({
    method: "POST",
    url: "/api/v1/bulletins",
    headers: analyst,
    payload: bulletinDraft({
      audience: { territories: ["est"] },
      links: ["https://cert.ssi.gouv.fr/alerte/"],
    }),
  });
  expect(created.statusCode, created.body).toBe(201);
  const res = await t.app.inject({
    method: "POST",
    url: `/api/v1/bulletins/${created.json().id}/publish`,
    headers: analyst,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { bulletin: { id: string; reference: string }; recipients: number };
}

const about = (reference: string) => (m: ReceivedMail) => (m.parsed.subject ?? "").includes(reference);
let mailboxMessage: ReceivedMail;

describe("what a receiving mail server checks", () => {
  test("bulletins: Message-ID on the sender's domain, DKIM passes, List-Id, one-click unsubscribe for mailboxes only", async () => {
    const { bulletin, recipients } = await publish();
    // Per establishment: the RSSI and the functional mailbox of the directory; the first has an account too.
    expect(recipients).toBe(5);
    const mine = await waitUntil("5 messages", () => {
      const got = smtp.messages.filter(about(bulletin.reference));
      return got.length >= 5 && got;
    });
    for (const m of mine) {
      expect(m.parsed.messageId).toMatch(/^<bulletin\.[^@>]+@cyber\.example\.re>$/);
      expect(m.envelopeFrom).toBe("pris@cyber.example.re");
      const [dkim] = await dkimResult(m);
      expect(dkim).toMatchObject({
        status: { result: "pass" },
        signingDomain: "cyber.example.re",
        selector: "pris2026",
      });
      expect(headerOf(m, "List-Id")).toBe("Bulletins d'alerte PRIS <bulletins.cyber.example.re>");
      const html = String(m.parsed.html);
      expect(html).toMatch(/<a href="https:\/\/pris\.example\.re\/reponse\/[\w.-]+">https:\/\/pris/);
      expect(html).toContain(
        '<a href="https://cert.ssi.gouv.fr/alerte/">https://cert.ssi.gouv.fr/alerte/</a>',
      );
      expect(html).toContain('<a href="tel:0262990000"');
      expect(m.parsed.text).toContain("Appelez directement le pôle régional cyber : 0262 99 00 00");
      const mailbox = m.envelopeTo[0]!.startsWith("ssi");
      const unsubscribe = headerOf(m, "List-Unsubscribe")?.match(/^<([^>]+)>$/)?.[1];
      if (mailbox) {
        expect(unsubscribe).toMatch(/^https:\/\/pris\.example\.re\/desabonnement\/[\w.-]+$/);
        expect(headerOf(m, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
        // RFC 8058 §3: the signature covers both headers.
        expect(headerOf(m, "DKIM-Signature")).toMatch(/h=[^;]*list-unsubscribe:list-unsubscribe-post/i);
      } else {
        expect(unsubscribe).toBeUndefined();
        expect(headerOf(m, "List-Unsubscribe-Post")).toBeUndefined();
      }
    }
    mailboxMessage = mine.find((m) => m.envelopeTo[0] === "ssi1@est.test")!;
    expect(mailboxMessage).toBeDefined();
  });

  test("incident e-mails, their parts encoded once for every recipient: DKIM passes, text and HTML read as written", async () => {
    const second = await createUser(t.db, { role: "analyst" });
    const rssi = await login(t.app, rssiEmail);
    const title = "Rançongiciel : « dossiers patients » chiffrés — ÉCHEC des sauvegardes";
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: rssi.cookie,
      payload: declaration({ title }),
    });
    expect(res.statusCode, res.body).toBe(201);
    const { id, reference } = res.json() as { id: string; reference: string };
    const both = await waitUntil("both analysts' e-mails", () => {
      const got = smtp.messages.filter((m) => m.parsed.messageId?.startsWith(`<incident-declared.${id}.`));
      return got.length >= 2 && got;
    });
    expect(new Set(both.flatMap((m) => m.envelopeTo))).toContain(second.email);
    for (const m of both) {
      const [dkim] = await dkimResult(m);
      expect(dkim?.status.result).toBe("pass");
      expect(m.parsed.subject).toContain(reference);
      expect(m.parsed.text).toContain(title);
      expect(String(m.parsed.html)).toContain("Rançongiciel : « dossiers patients » chiffrés");
      // The same body for both; each message its own headers.
      expect(m.parsed.text).toBe(both[0]!.parsed.text);
      expect(m.parsed.html).toBe(both[0]!.parsed.html);
    }
    expect(both[0]!.parsed.messageId).not.toBe(both[1]!.parsed.messageId);
  });

  test("a message altered on the way fails DKIM: the check can fail", async () => {
    const tampered = { ...mailboxMessage, raw: mailboxMessage.raw.replace(/^Subject: /m, "Subject: RE: ") };
    const [dkim] = await dkimResult(tampered);
    expect(dkim!.status.result).toBe("fail");
  });
});

describe("one-click unsubscribe of a functional mailbox", () => {
  const linkOf = (m: ReceivedMail) => headerOf(m, "List-Unsubscribe")!.slice(1, -1);
  const pathOf = (url: string) => new URL(url).pathname;

  test("opening the link changes nothing and shows a French page that asks first", async () => {
    const res = await t.app.inject({ method: "GET", url: pathOf(linkOf(mailboxMessage)) });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toContain("Confirmer le désabonnement");
    expect(res.body).toContain("ssi1@est.test");
    const [e] = await t.db.select().from(establishments).where(eq(establishments.name, "est 1"));
    expect(e!.contacts.functionalMailbox).toBe("ssi1@est.test");
  });

  test("altered, or an acknowledgement link passed off as one: 404 page, nothing changes", async () => {
    const path = pathOf(linkOf(mailboxMessage));
    const altered = `${path.slice(0, -3)}AAA`;
    for (const url of [altered, "/desabonnement/not-a-token-at-all"]) {
      const res = await t.app.inject({
        method: "POST",
        url,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: "List-Unsubscribe=One-Click",
      });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).toContain("Lien non valable");
    }
    const ack = /https:\/\/pris\.example\.re\/reponse\/(\S+)/.exec(mailboxMessage.parsed.text ?? "")![1]!;
    const res = await t.app.inject({
      method: "POST",
      url: `/desabonnement/${ack}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: "List-Unsubscribe=One-Click",
    });
    expect(res.statusCode).toBe(404);
  });

  test("the one-click POST unsubscribes this mailbox only, audited, and the RSSIs are told once", async () => {
    const before = smtp.messages.length;
    const post = () =>
      t.app.inject({
        method: "POST",
        url: pathOf(linkOf(mailboxMessage)),
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: "List-Unsubscribe=One-Click",
      });
    const res = await post();
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain("Désabonnement enregistré");
    const [e1] = await t.db.select().from(establishments).where(eq(establishments.name, "est 1"));
    const [e2] = await t.db.select().from(establishments).where(eq(establishments.name, "est 2"));
    expect(e1!.contacts.functionalMailbox).toBeUndefined();
    expect(e1!.contacts.rssi?.email).toBe("rssi1@est.test");
    expect(e2!.contacts.functionalMailbox).toBe("ssi2@est.test");
    const trail = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.objectId, e1!.id), eq(auditLog.action, "establishment.contacts")));
    expect(trail).toHaveLength(1);
    expect(trail[0]!.actorLabel).toBe("lien reçu par e-mail");

    const told = await waitUntil("the RSSIs told", () => {
      const got = smtp.messages.slice(before).filter((m) => (m.parsed.subject ?? "").includes("désabonnée"));
      return got.length >= 2 && got;
    });
    expect(told.map((m) => m.envelopeTo[0]).sort()).toEqual([rssiEmail, "rssi1@est.test"].sort());
    for (const m of told) {
      expect(m.parsed.subject).toBe(
        "[PRIS] Bulletins d'alerte : la boîte ssi1@est.test s'est désabonnée — est 1",
      );
      expect(m.parsed.text).toContain("indiquez de nouveau une boîte fonctionnelle");
      expect(String(m.parsed.html)).toContain('<a href="https://pris.example.re/mon-etablissement">');
      expect(m.parsed.messageId).toMatch(/@cyber\.example\.re>$/);
      expect((await dkimResult(m))[0]!.status.result).toBe("pass");
    }

    // A second click (a provider retrying) changes nothing and tells nobody again.
    expect((await post()).statusCode).toBe(200);
    await sleep(500);
    const rows = await t.db.select().from(outbox).where(eq(outbox.topic, "bulletin.mailbox_unsubscribed"));
    expect(rows).toHaveLength(1);
    const mails = await t.db
      .select()
      .from(mailDeliveries)
      .where(eq(mailDeliveries.template, "mailbox-unsubscribed"));
    expect(mails).toHaveLength(2);
  });

  test("the next bulletin no longer goes to the unsubscribed mailbox", async () => {
    const { bulletin, recipients } = await publish();
    expect(recipients).toBe(4);
    const mine = await waitUntil("4 messages", () => {
      const got = smtp.messages.filter(about(bulletin.reference));
      return got.length >= 4 && got;
    });
    expect(mine.map((m) => m.envelopeTo[0])).not.toContain("ssi1@est.test");
  });
});
