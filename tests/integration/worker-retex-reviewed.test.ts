import { mailDeliveries, outbox } from "@pris/db";
import { createQueues, type Queues } from "@pris/worker";
import { eq, like } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEstablishment, createGht, createUser, login, type TestApp } from "../support/fixtures.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import type { TestSmtpServer } from "../support/smtp.ts";
import { sleep, waitUntil } from "../support/worker-fixtures.ts";

/**
 * The ARS's decision on a RETEX reaches the establishment: one e-mail per RSSI (its own and its GHT's),
 * through the outbox, the worker and a real SMTP server — and never twice, even when the job is replayed.
 */
let stack: FullStack;
let smtp: TestSmtpServer;
let t: TestApp;
let redis: Redis;
let queues: Queues;
let recipients: string[];
let outsider: string;
let participationId: string;
let rssiHeaders: Record<string, string>;
let arsHeaders: Record<string, string>;

beforeAll(async () => {
  stack = await startFullStack({ sweepEveryMs: 300 });
  ({ smtp, t } = stack);
  redis = new Redis(stack.redis.url, { maxRetriesPerRequest: null });
  queues = createQueues(t.config, redis);
  const ght = await createGht(t.db);
  const A = await createEstablishment(t.db, { name: "CH Alpha", ghtId: ght.id });
  const B = await createEstablishment(t.db, { name: "Clinique Bravo", ghtId: ght.id });
  const a1 = await createUser(t.db, { role: "rssi", establishmentId: A.id });
  const a2 = await createUser(t.db, { role: "rssi", establishmentId: A.id });
  const g = await createUser(t.db, { role: "rssi", ghtId: ght.id });
  await createUser(t.db, { role: "rssi", establishmentId: A.id, active: false });
  outsider = (await createUser(t.db, { role: "rssi", establishmentId: B.id })).email;
  recipients = [a1.email, a2.email, g.email];
  rssiHeaders = (await login(t.app, a1.email)).bearer;
  arsHeaders = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;

  const created = await t.app.inject({
    method: "POST",
    url: "/api/v1/exercises",
    headers: rssiHeaders,
    payload: {
      kind: "degraded_mode",
      level: "beginner",
      title: "Panne du DPI",
      scenario: "Le dossier patient est indisponible",
      objectives: [],
      plannedOn: "2026-03-10",
      participants: "",
      organiser: "Direction des soins",
      establishmentIds: [A.id],
    },
  });
  expect(created.statusCode, created.body).toBe(201);
  const exercise = created.json() as { id: string; participations: { id: string }[] };
  participationId = exercise.participations[0]!.id;
  const steps: [string, string, object | undefined][] = [
    ["POST", `/api/v1/exercises/${exercise.id}/hold`, { heldOn: "2026-03-10" }],
    ["PUT", `/api/v1/participations/${participationId}/retex`, { hotSummary: "Bascule lente" }],
    [
      "POST",
      `/api/v1/participations/${participationId}/findings`,
      { phase: "hot", theme: "alerting", polarity: "negative", text: "Astreinte prévenue tard" },
    ],
    ["POST", `/api/v1/participations/${participationId}/submit`, undefined],
  ];
  for (const [method, url, payload] of steps) {
    const res = await t.app.inject({ method: method as "POST", url, headers: rssiHeaders, payload });
    expect([200, 201], res.body).toContain(res.statusCode);
  }
});

afterAll(async () => {
  await queues?.close();
  await redis?.quit();
  await stack?.close();
});

const withSubject = (text: string) => smtp.messages.filter((m) => m.parsed.subject?.includes(text));

describe("the ARS's decision on a RETEX is e-mailed to the establishment", () => {
  it("sent back: one e-mail per active RSSI of the establishment and its GHT, with the comment", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: `/api/v1/participations/${participationId}/return`,
      headers: arsHeaders,
      payload: { comment: "Détaillez les échanges avec la Préfecture." },
    });
    expect(res.statusCode, res.body).toBe(200);
    const mails = await waitUntil("three e-mails", () => {
      const found = withSubject("RETEX renvoyé");
      return found.length >= 3 && found;
    });
    expect(mails.flatMap((m) => m.envelopeTo).sort()).toEqual([...recipients].sort());
    expect(mails[0]!.parsed.subject).toBe("RETEX renvoyé par l'ARS : Panne du DPI — CH Alpha");
    expect(mails[0]!.parsed.text).toContain("Détaillez les échanges avec la Préfecture.");
    expect(mails[0]!.parsed.html).toContain(
      `https://pris.example.re/exercices/participations/${participationId}`,
    );
    expect(smtp.messages.some((m) => m.envelopeTo.includes(outsider))).toBe(false);
  });

  it("validated after a new submission: each RSSI hears it too", async () => {
    const again = await t.app.inject({
      method: "POST",
      url: `/api/v1/participations/${participationId}/submit`,
      headers: rssiHeaders,
    });
    expect(again.statusCode, again.body).toBe(200);
    const res = await t.app.inject({
      method: "POST",
      url: `/api/v1/participations/${participationId}/validate`,
      headers: arsHeaders,
    });
    expect(res.statusCode, res.body).toBe(200);
    const mails = await waitUntil("three e-mails", () => {
      const found = withSubject("RETEX validé");
      return found.length >= 3 && found;
    });
    expect(mails.flatMap((m) => m.envelopeTo).sort()).toEqual([...recipients].sort());
    expect(mails[0]!.parsed.text).toContain("a été validé par l'ARS");
  });

  it("a replayed job creates and sends nothing more", async () => {
    const rows = await t.db.select().from(outbox).where(eq(outbox.topic, "retex.reviewed"));
    expect(rows).toHaveLength(2);
    await waitUntil("the outbox rows processed", async () => {
      const now = await t.db.select().from(outbox).where(eq(outbox.topic, "retex.reviewed"));
      return now.every((r) => r.processedAt !== null);
    });
    const before = smtp.messages.length;
    // As if the worker had died before marking the rows, and Redis had lost the jobs' records.
    await t.db.update(outbox).set({ processedAt: null }).where(eq(outbox.topic, "retex.reviewed"));
    for (const r of rows) {
      await queues.outbox.add(
        "retex.reviewed",
        { outboxId: r.id, aggregateId: r.aggregateId },
        { jobId: `${r.id}-replay` },
      );
    }
    await waitUntil("the replays processed", async () => {
      const now = await t.db.select().from(outbox).where(eq(outbox.topic, "retex.reviewed"));
      return now.every((r) => r.processedAt !== null);
    });
    await sleep(800);
    expect(smtp.messages.length).toBe(before);
    const deliveries = await t.db
      .select()
      .from(mailDeliveries)
      .where(like(mailDeliveries.dedupeKey, "retex-reviewed:%"));
    expect(deliveries).toHaveLength(6);
    expect(deliveries.every((d) => d.status === "sent" && d.attempts === 1)).toBe(true);
    const ids = smtp.messages.map((m) => m.parsed.messageId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
