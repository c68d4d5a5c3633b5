import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { LocalEvidenceStorage, mailIntake } from "@pris/db";
import { MAINTENANCE_JOBS } from "@pris/domain";
import { createQueues, type Queues } from "@pris/worker";
import { eq } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

/**
 * The worker's daily retention job (purge-closed-incidents) also blanks the quarantined e-mails never
 * attached and deletes the store's orphan bytes: run here through the queue, as its scheduler runs it.
 */
let stack: FullStack;
let redis: Redis;
let queues: Queues;
let evidenceDir: string;

beforeAll(async () => {
  evidenceDir = mkdtempSync(path.join(tmpdir(), "pris-retention-job-"));
  stack = await startFullStack({}, { EVIDENCE_DIR: evidenceDir });
  redis = new Redis(stack.redis.url, { maxRetriesPerRequest: null });
  queues = createQueues(stack.t.config, redis);
});
afterAll(async () => {
  await queues?.close();
  redis?.disconnect();
  await stack?.close();
  if (evidenceDir) rmSync(evidenceDir, { recursive: true, force: true });
});

describe("the daily retention job", () => {
  test("blanks old quarantined e-mails and deletes old orphan bytes, beside the closed incidents' purge", async () => {
    const [mail] = await stack.t.db
      .insert(mailIntake)
      .values({
        messageId: `<job-${randomUUID()}@ailleurs.example>`,
        mailbox: "INBOX",
        uidValidity: 1,
        uid: 1,
        fromAddress: "inconnu@ailleurs.example",
        subject: "Facture",
        size: 100,
        outcome: "quarantined",
        quarantineReason: "unknown_sender",
        bodyText: "Réglez la facture ci-jointe.",
        receivedAt: new Date(Date.now() - 100 * 86_400_000),
      })
      .returning();
    const storage = new LocalEvidenceStorage(evidenceDir);
    const orphan = randomUUID();
    await storage.put(orphan, Readable.from([randomBytes(32)]));
    const file = path.join(evidenceDir, orphan.slice(-2), orphan);
    const dayAndMore = new Date(Date.now() - 25 * 3_600_000);
    utimesSync(file, dayAndMore, dayAndMore);

    await queues.maintenance.add(MAINTENANCE_JOBS.purgeClosedIncidents, {});
    await waitUntil("the job", async () => {
      const [row] = await stack.t.db.select().from(mailIntake).where(eq(mailIntake.id, mail!.id));
      return row?.purgedAt != null && !existsSync(file);
    });
    const [row] = await stack.t.db.select().from(mailIntake).where(eq(mailIntake.id, mail!.id));
    expect(row).toMatchObject({ bodyText: "", subject: "", fromAddress: null });
  });
});
