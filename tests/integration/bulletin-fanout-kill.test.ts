import { bulletinDeliveries, bulletinRecipients } from "@pris/db";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bulletinDraft, seedNetwork } from "../support/bulletin-fixtures.ts";
import { createUser, login, startTestApp, type TestApp } from "../support/fixtures.ts";
import { configEnv, startWorkerProcess, type WorkerProcess } from "../support/service-process.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

/**
 * The worker process killed with SIGKILL in the middle of a fan-out, then started again: every recipient
 * has exactly one accepted message, except at most those in flight at the kill (locked in a batch whose
 * transaction died with the worker), whose second copy carries the same Message-ID as the first.
 */
const RECIPIENTS = 2000;
const BATCH = 50;
/** Batches the fan-out has in flight at once (its lanes): what a kill can leave accepted but not recorded. */
const IN_FLIGHT_MAX = 2 * BATCH;

let t: TestApp;
let smtp: TestSmtpServer;
let child: WorkerProcess | undefined;

function startWorker(): WorkerProcess {
  return startWorkerProcess({
    ...configEnv(t.config),
    LOG_LEVEL: "silent",
    SMTP_URL: smtp.url,
    BULLETIN_BATCH_SIZE: String(BATCH),
    OUTBOX_POLL_MS: "100",
  });
}

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await startTestApp({ SMTP_URL: smtp.url });
  await seedNetwork(t.db, { count: RECIPIENTS / 2, territory: "est", prefix: "est", finessStart: 5000 });
});
afterAll(async () => {
  await child?.stop(0);
  await t?.close();
  await smtp?.close();
});

test("killed mid-fan-out and restarted: one message per recipient, duplicates only in flight and recognisable", async () => {
  const analyst = (await login(t.app, (await createUser(t.db, { role: "analyst" })).email)).bearer;
  const created = await t.app.inject({
    method: "POST",
    url: "/api/v1/bulletins",
    headers: analyst,
    payload: bulletinDraft({ audience: { territories: ["est"] } }),
  });
  const bulletinId = created.json().id as string;
  child = startWorker();
  const published = await t.app.inject({
    method: "POST",
    url: `/api/v1/bulletins/${bulletinId}/publish`,
    headers: analyst,
  });
  expect(published.json().deliveries).toBe(RECIPIENTS);

  await waitUntil("a fifth of the fan-out", () => smtp.messages.length >= RECIPIENTS / 5, 60_000);
  child.child.kill("SIGKILL");
  await child.exited;
  const atKill = await t.db
    .select()
    .from(bulletinDeliveries)
    .where(eq(bulletinDeliveries.bulletinId, bulletinId));
  // The killed batches were rolled back: in flight means not recorded as sent (a superset).
  const inFlight = new Set(atKill.filter((d) => d.status !== "sent").map((d) => d.recipientId));
  const sentAtKill = atKill.filter((d) => d.status === "sent").length;
  expect(sentAtKill).toBeGreaterThan(0);
  expect(sentAtKill).toBeLessThan(RECIPIENTS);

  child = startWorker();
  await waitUntil(
    "every delivery sent",
    async () => {
      const rows = await t.db
        .select({ status: bulletinDeliveries.status })
        .from(bulletinDeliveries)
        .where(and(eq(bulletinDeliveries.bulletinId, bulletinId), eq(bulletinDeliveries.status, "sent")));
      return rows.length === RECIPIENTS;
    },
    90_000,
  );
  await child.stop();

  const recipients = await t.db
    .select()
    .from(bulletinRecipients)
    .where(eq(bulletinRecipients.bulletinId, bulletinId));
  const byEmail = new Map(recipients.map((r) => [r.email, r.id]));
  const received = new Map<string, string[]>();
  for (const m of smtp.messages) {
    const to = m.envelopeTo[0]!;
    received.set(to, [...(received.get(to) ?? []), m.parsed.messageId ?? ""]);
  }
  expect(received.size).toBe(RECIPIENTS);
  const duplicated = [...received].filter(([, ids]) => ids.length > 1);
  for (const [email, ids] of duplicated) {
    expect(inFlight.has(byEmail.get(email)!), `${email} was sent twice but was not in flight`).toBe(true);
    expect(new Set(ids).size, `${email}'s copies carry one Message-ID`).toBe(1);
    expect(ids).toHaveLength(2);
  }
  expect(duplicated.length).toBeLessThanOrEqual(IN_FLIGHT_MAX);
  console.info(`kill test: ${sentAtKill} recorded sent at the kill, ${duplicated.length} sent twice`);
  for (const [, ids] of received) expect(ids.length).toBeLessThanOrEqual(2);
}, 180_000);
