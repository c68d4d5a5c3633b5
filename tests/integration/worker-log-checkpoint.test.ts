import { createHash, verify as verifySignature } from "node:crypto";
import { logCheckpoints, mailDeliveries } from "@pris/db";
import { MAINTENANCE_JOBS } from "@pris/domain";
import { createQueues, type Queues } from "@pris/worker";
import { desc, eq } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApiKey, createEstablishment, createUser, type TestApp } from "../support/fixtures.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import type { TestSmtpServer } from "../support/smtp.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

/**
 * The daily checkpoint leaves PRIS: the worker issues it on its schedule (at a fixed hour in the region's
 * zone) and e-mails every active ARS user the signed file, which checks out with the public key alone.
 */
let stack: FullStack;
let smtp: TestSmtpServer;
let t: TestApp;
let redis: Redis;
let queues: Queues;
let arsEmails: string[];

const latest = async () =>
  (await t.db.select().from(logCheckpoints).orderBy(desc(logCheckpoints.seq)).limit(1))[0];

beforeAll(async () => {
  stack = await startFullStack({}, { LOG_CHECKPOINT_TIME: "06:30" });
  ({ smtp, t } = stack);
  redis = new Redis(stack.redis.url, { maxRetriesPerRequest: null });
  queues = createQueues(t.config, redis);
  arsEmails = [
    (await createUser(t.db, { role: "ars" })).email,
    (await createUser(t.db, { role: "ars" })).email,
  ];
  await createUser(t.db, { role: "ars", active: false });
});
afterAll(async () => {
  await queues?.close();
  redis?.disconnect();
  await stack?.close();
});

describe("the daily checkpoint", () => {
  test("is scheduled at LOG_CHECKPOINT_TIME in the region's zone, with an hourly catch-up", async () => {
    await waitUntil(
      "the schedulers",
      async () => (await queues.maintenance.getJobScheduler("log-checkpoint-daily")) ?? false,
    );
    const daily = await queues.maintenance.getJobScheduler("log-checkpoint-daily");
    expect(daily).toMatchObject({ pattern: "30 6 * * *", tz: "Indian/Reunion" });
    const catchUp = await queues.maintenance.getJobScheduler("log-checkpoint-catch-up");
    expect(catchUp).toMatchObject({ every: 3_600_000 });
    // The traces of access are pruned daily too, in the region's night.
    expect(await queues.maintenance.getJobScheduler("prune-access-traces")).toMatchObject({
      pattern: "30 3 * * *",
      tz: "Indian/Reunion",
    });
    // And the sign-in throttle's old failures, hourly.
    expect(await queues.maintenance.getJobScheduler("prune-sign-in-records")).toMatchObject({
      every: 3_600_000,
    });
    // And the evidence and e-mails of incidents closed over RETENTION_CLOSED_DAYS ago, daily.
    expect(await queues.maintenance.getJobScheduler("purge-closed-incidents")).toMatchObject({
      pattern: "45 3 * * *",
      tz: "Indian/Reunion",
    });
  });

  test("reaches every active ARS user, in French, with the signed file attached", async () => {
    // The hourly catch-up fires when the worker starts and issues the first checkpoint: the declaration
    // comes after it, or that first checkpoint may take the incident's head before this one does.
    await waitUntil("the first checkpoint", async () => (await latest()) !== undefined);
    const establishment = await createEstablishment(t.db);
    const { id } = await stack.declare((await createApiKey(t.db, establishment.id)).key);
    const before = (await latest())?.seq ?? 0;
    await queues.maintenance.add(MAINTENANCE_JOBS.logCheckpoint, {});
    await waitUntil("the checkpoint", async () => ((await latest())?.seq ?? 0) > before);
    const checkpoint = (await latest())!;
    const subject = `[PRIS] Point de contrôle n° ${checkpoint.seq} des mains courantes — ${t.config.REGION_NAME}`;
    const ours = () => smtp.messages.filter((m) => m.parsed.subject === subject);
    await waitUntil("the e-mails", () => ours().length >= 2 || false);
    const mails = ours();
    expect(mails.flatMap((m) => m.envelopeTo).sort()).toEqual([...arsEmails].sort());
    for (const mail of mails) {
      expect(mail.parsed.text).toContain(`Empreinte SHA-256 du document : ${checkpoint.digest}`);
      const [attachment] = mail.parsed.attachments;
      expect(attachment?.contentType).toBe("application/json");
      const file = JSON.parse(attachment!.content.toString("utf8")) as {
        document: string;
        signature: string;
        publicKey: string;
      };
      // What the ARS can check on its own: the digest quoted in the e-mail, the signature, the heads.
      expect(createHash("sha256").update(file.document).digest("hex")).toBe(checkpoint.digest);
      expect(
        verifySignature(
          null,
          Buffer.from(file.document),
          file.publicKey,
          Buffer.from(file.signature, "base64"),
        ),
      ).toBe(true);
      expect(JSON.parse(file.document).heads).toContainEqual(
        expect.objectContaining({ incidentId: id, headSeq: 1 }),
      );
    }
    const deliveries = () =>
      t.db
        .select({ status: mailDeliveries.status })
        .from(mailDeliveries)
        .where(eq(mailDeliveries.subjectId, checkpoint.id));
    await waitUntil("the deliveries recorded", async () =>
      (await deliveries()).every((d) => d.status === "sent"),
    );
    expect(await deliveries()).toHaveLength(2);
  });

  test("the catch-up issues nothing when a checkpoint is less than a day old", async () => {
    const before = (await latest())!.seq;
    const job = await queues.maintenance.add(MAINTENANCE_JOBS.logCheckpointCatchUp, {});
    await waitUntil("the catch-up job", async () => (await job.getState()) === "completed");
    expect((await latest())!.seq).toBe(before);
  });
});
