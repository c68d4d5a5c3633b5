import { mailDeliveries, outbox } from "@pris/db";
import { createQueues, type Queues } from "@pris/worker";
import { eq, like } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEstablishment,
  createGht,
  createUser,
  declaration,
  login,
  type TestApp,
} from "../support/fixtures.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import type { TestSmtpServer } from "../support/smtp.ts";
import { sleep, waitUntil } from "../support/worker-fixtures.ts";

/**
 * When the pole writes to an establishment — a shared entry of the main courante, or a question (waiting
 * on the establishment) — the RSSIs who may read the incident get one e-mail each, through the outbox and
 * a real SMTP server; its content follows the incident's TLP; another establishment's RSSI gets nothing.
 */
let stack: FullStack;
let smtp: TestSmtpServer;
let t: TestApp;
let redis: Redis;
let queues: Queues;
let recipients: string[];
let outsider: string;
let rssi: Record<string, string>;
let analyst: Record<string, string>;
let amber: { id: string; reference: string };
let strict: { id: string; reference: string };

async function declare(tlp: "AMBER" | "AMBER+STRICT") {
  const res = await t.app.inject({
    method: "POST",
    url: "/api/v1/incidents",
    headers: rssi,
    payload: declaration({ tlp }),
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; reference: string };
}

async function write(id: string, headers: Record<string, string>, payload: object) {
  const res = await t.app.inject({ method: "POST", url: `/api/v1/incidents/${id}/log`, headers, payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}

const about = (reference: string) =>
  smtp.messages.filter(
    (m) =>
      m.parsed.subject?.includes(reference) &&
      /Nouveau message du pôle régional|Le pôle régional attend votre réponse/.test(m.parsed.subject),
  );

beforeAll(async () => {
  stack = await startFullStack({ sweepEveryMs: 300 });
  ({ smtp, t } = stack);
  redis = new Redis(stack.redis.url, { maxRetriesPerRequest: null });
  queues = createQueues(t.config, redis);
  const ght = await createGht(t.db);
  const A = await createEstablishment(t.db, { name: "CH Alpha", ghtId: ght.id });
  const B = await createEstablishment(t.db, { name: "Clinique Bravo" });
  const a1 = await createUser(t.db, { role: "rssi", establishmentId: A.id });
  const g = await createUser(t.db, { role: "rssi", ghtId: ght.id });
  await createUser(t.db, { role: "rssi", establishmentId: A.id, active: false });
  outsider = (await createUser(t.db, { role: "rssi", establishmentId: B.id })).email;
  recipients = [a1.email, g.email];
  rssi = (await login(t.app, a1.email)).bearer;
  analyst = (await login(t.app, (await createUser(t.db, { role: "analyst", name: "Léa Hoarau" })).email))
    .bearer;
  amber = await declare("AMBER");
  strict = await declare("AMBER+STRICT");
});

afterAll(async () => {
  await queues?.close();
  await redis?.quit();
  await stack?.close();
});

describe("the pole writing to the establishment is e-mailed to its RSSIs", () => {
  it("a shared comment at TLP:AMBER: one e-mail per RSSI of the establishment and its GHT, with the words", async () => {
    await write(amber.id, analyst, {
      kind: "comment",
      text: "Pouvez-vous isoler le serveur PACS du réseau ?",
      visibility: "shared",
    });
    const mails = await waitUntil("two e-mails", () => {
      const found = about(amber.reference);
      return found.length >= 2 && found;
    });
    expect(mails.flatMap((m) => m.envelopeTo).sort()).toEqual([...recipients].sort());
    const mail = mails[0]!;
    expect(mail.parsed.subject).toBe(
      `[TLP:AMBER] Nouveau message du pôle régional : ${amber.reference} — CH Alpha`,
    );
    expect(mail.parsed.text).toContain("Pouvez-vous isoler le serveur PACS du réseau ?");
    expect(mail.parsed.text).toContain("Message de Léa Hoarau");
    expect(mail.parsed.html).toContain(`https://pris.example.re/incidents/${amber.id}`);
    expect(smtp.messages.some((m) => m.envelopeTo.includes(outsider))).toBe(false);
  });

  it("an internal entry and the establishment's own entries e-mail nobody", async () => {
    await write(amber.id, analyst, { kind: "comment", text: "Note interne : piste du prestataire" });
    await write(amber.id, rssi, { kind: "comment", text: "Serveur isolé à 10 h." });
    await sleep(1500);
    expect(about(amber.reference)).toHaveLength(2);
    expect(smtp.messages.some((m) => m.parsed.text?.includes("Note interne"))).toBe(false);
  });

  it("at TLP:AMBER+STRICT the e-mail says a message is waiting, never what it says", async () => {
    await write(strict.id, analyst, {
      kind: "call",
      with: "Directeur des soins",
      summary: "Le prestataire VPN confirme la compromission du compte admin",
      visibility: "shared",
    });
    const mails = await waitUntil("two e-mails", () => {
      const found = about(strict.reference);
      return found.length >= 2 && found;
    });
    for (const m of mails) {
      expect(m.parsed.text).toContain("Un nouveau message vous attend dans PRIS");
      expect(m.parsed.text).not.toContain("compromission");
      expect(m.parsed.html).not.toContain("compromission");
      expect(m.parsed.text).not.toContain("Rançongiciel");
      expect(m.parsed.html).toContain(`https://pris.example.re/incidents/${strict.id}`);
    }
  });

  it("a question (waiting on the establishment) is e-mailed with what is awaited and the follow-up", async () => {
    const ack = await t.app.inject({
      method: "POST",
      url: `/api/v1/incidents/${amber.id}/transitions`,
      headers: analyst,
      payload: { action: "acknowledge" },
    });
    expect(ack.statusCode, ack.body).toBeLessThan(300);
    const res = await t.app.inject({
      method: "POST",
      url: `/api/v1/incidents/${amber.id}/transitions`,
      headers: analyst,
      payload: {
        action: "wait_establishment",
        followUpAt: new Date(Date.now() + 86_400_000).toISOString(),
        reason: "Envoyez-nous les journaux du pare-feu de la nuit.",
      },
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    const mails = await waitUntil("two questions", () => {
      const found = about(amber.reference).filter((m) => m.parsed.subject?.includes("attend votre réponse"));
      return found.length >= 2 && found;
    });
    expect(mails.flatMap((m) => m.envelopeTo).sort()).toEqual([...recipients].sort());
    expect(mails[0]!.parsed.text).toContain("Envoyez-nous les journaux du pare-feu de la nuit.");
    expect(mails[0]!.parsed.text).toContain("Le pôle reviendra vers vous le");
  });

  it("once per entry and person: a replayed outbox row sends nothing more", async () => {
    const rows = await t.db.select().from(outbox).where(eq(outbox.topic, "incident.message_shared"));
    expect(rows).toHaveLength(3);
    await waitUntil("the outbox rows processed", async () => {
      const now = await t.db.select().from(outbox).where(eq(outbox.topic, "incident.message_shared"));
      return now.every((r) => r.processedAt !== null);
    });
    const before = smtp.messages.length;
    await t.db.update(outbox).set({ processedAt: null }).where(eq(outbox.topic, "incident.message_shared"));
    for (const r of rows) {
      await queues.outbox.add(
        "incident.message_shared",
        { outboxId: r.id, aggregateId: r.aggregateId },
        { jobId: `${r.id}-replay` },
      );
    }
    await waitUntil("the replays processed", async () => {
      const now = await t.db.select().from(outbox).where(eq(outbox.topic, "incident.message_shared"));
      return now.every((r) => r.processedAt !== null);
    });
    await sleep(800);
    expect(smtp.messages.length).toBe(before);
    const deliveries = await t.db
      .select()
      .from(mailDeliveries)
      .where(like(mailDeliveries.dedupeKey, "incident.message_shared:%"));
    expect(deliveries).toHaveLength(6);
    expect(deliveries.every((d) => d.status === "sent" && d.attempts === 1)).toBe(true);
  });
});
