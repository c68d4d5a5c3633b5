import { mailDomain } from "@pris/config";
import { mailDeliveries } from "@pris/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createApiKey,
  createEstablishment,
  createUser,
  type declaration,
  type TestApp,
} from "../support/fixtures.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import type { PrivateRedis } from "../support/redis-server.ts";
import type { TestSmtpServer } from "../support/smtp.ts";
import { sleep, waitUntil } from "../support/worker-fixtures.ts";

/**
 * The whole path as an establishment lives it: a declaration posted to the API with its API key,
 * the worker beside it, the e-mails at the SMTP server. Redis is a private one the test can stop.
 */
let stack: FullStack;
let redis: PrivateRedis;
let smtp: TestSmtpServer;
let t: TestApp;
let apiKey: string;
const pole: { analysts: string[]; taskforce: string[]; ars: string[] } = {
  analysts: [],
  taskforce: [],
  ars: [],
};

beforeAll(async () => {
  stack = await startFullStack();
  ({ redis, smtp, t } = stack);
  const establishment = await createEstablishment(t.db, { name: "Clinique des Flamboyants" });
  apiKey = (await createApiKey(t.db, establishment.id)).key;
  for (const _ of [1, 2]) pole.analysts.push((await createUser(t.db, { role: "analyst" })).email);
  pole.taskforce.push((await createUser(t.db, { role: "taskforce" })).email);
  pole.ars.push((await createUser(t.db, { role: "ars" })).email);
  await createUser(t.db, { role: "analyst", active: false });
  await createUser(t.db, { role: "rssi", establishmentId: establishment.id });
});

afterAll(() => stack?.close());

const declare = (overrides: Parameters<typeof declaration>[0] = {}) => stack.declare(apiKey, overrides);

function mailsFor(reference: string) {
  return smtp.messages.filter((m) => m.parsed.subject?.includes(reference));
}

describe("a declaration through the API", () => {
  it("reaches the analysts, and for a P1 the task force and the ARS, once each", async () => {
    const p3 = await declare({ impactGrade: 2 });
    const p1 = await declare({ impactGrade: 4, tlp: "AMBER+STRICT" });
    expect(p1.severity).toBe("P1");

    await waitUntil(
      "all e-mails",
      () => mailsFor(p3.reference).length >= 2 && mailsFor(p1.reference).length >= 4,
    );
    await sleep(300);
    expect(
      mailsFor(p3.reference)
        .flatMap((m) => m.envelopeTo)
        .sort(),
    ).toEqual([...pole.analysts].sort());
    expect(
      mailsFor(p1.reference)
        .flatMap((m) => m.envelopeTo)
        .sort(),
    ).toEqual([...pole.analysts, ...pole.taskforce, ...pole.ars].sort());

    const [mail] = mailsFor(p1.reference);
    expect(mail!.parsed.subject).toBe(
      `[TLP:AMBER+STRICT] [P1] Nouveau signalement ${p1.reference} — Clinique des Flamboyants`,
    );
    // On the sender's domain (MAIL_FROM), which SPF and DMARC vouch for.
    const domain = mailDomain(stack.t.config).replaceAll(".", "\\.");
    expect(mail!.parsed.messageId).toMatch(
      new RegExp(`^<incident-declared\\.${p1.id}\\.[0-9a-f-]{36}@${domain}>$`),
    );
    expect(mail!.parsed.text).toContain(`https://pris.example.re/incidents/${p1.id}`);
    // AMBER+STRICT: the title stays in the application, and so do description, phone and observables.
    for (const secret of [
      "Rançongiciel",
      "Écrans de rançon",
      "692 12 34 56",
      "185.220.101.7",
      "Rita Payet",
    ]) {
      expect(mail!.raw).not.toContain(secret);
    }
    expect(mailsFor(p3.reference)[0]!.parsed.text).toContain(
      "Intitulé : Rançongiciel sur les serveurs du DPI",
    );
  });

  it("made while Redis is stopped, still gets its 201 and its e-mails: alerts do not need Redis", async () => {
    await redis.kill();
    const during = await declare();
    try {
      await waitUntil("the e-mails", () => mailsFor(during.reference).length >= 2, 30_000);
    } finally {
      await redis.start();
    }
    await sleep(300);
    expect(
      mailsFor(during.reference)
        .flatMap((m) => m.envelopeTo)
        .sort(),
    ).toEqual([...pole.analysts].sort());
    const deliveries = await t.db
      .select()
      .from(mailDeliveries)
      .where(eq(mailDeliveries.subjectId, during.id));
    expect(deliveries.map((d) => [d.status, d.attempts])).toEqual([
      ["sent", 1],
      ["sent", 1],
    ]);
  });
});
