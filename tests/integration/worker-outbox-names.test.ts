import type { Config } from "@pris/config";
import { createDatabase, type Database, mailDeliveries, outbox } from "@pris/db";
import type { MailDeliveryTemplate, OutboxTopic } from "@pris/domain";
import { createLogger, createQueues, type Queues, startWorker, type WorkerHandle } from "@pris/worker";
import { eq, inArray, sql } from "drizzle-orm";
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

/** Log lines the worker wrote, parsed: what an operator would read. */
function captureLogs() {
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(JSON.parse(line)) } };
}
const ERROR = 50;

let tdb: TestDatabase;
let database: Database;
let smtp: TestSmtpServer;
let dir: Directory;
let config: Config;
let worker: WorkerHandle;
let redis: Redis;
let queues: Queues;
const logs = captureLogs();

beforeAll(async () => {
  tdb = await createTestDatabase();
  smtp = await startSmtpServer();
  database = createDatabase({ url: tdb.url, max: 4 });
  dir = await seedDirectory(database.db);
  config = testConfig({
    DATABASE_URL: tdb.url,
    SMTP_URL: smtp.url,
    LOG_LEVEL: "info",
    OUTBOX_POLL_MS: "50",
    OUTBOX_UNKNOWN_TOPIC_SECONDS: "60",
  });
  worker = await startWorker(config, {
    logger: createLogger(config, logs.stream),
    outboxWatchEveryMs: 100,
    tuning: { outboxRetryDelayMs: 50, mailRetryDelayMs: 50 },
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

function errorsSaying(text: string) {
  return logs.lines.filter((l) => l.level >= ERROR && JSON.stringify(l).includes(text));
}

/** Rows written by something the types do not hold: another version, a hand-made SQL insert. */
async function insertRow(values: {
  topic: string;
  payload: Record<string, unknown>;
  ageSeconds?: number;
}): Promise<string> {
  const [row] = await database.db
    .insert(outbox)
    .values({
      topic: values.topic as OutboxTopic,
      aggregateId: dir.establishmentId,
      payload: values.payload,
      createdAt: sql`now() - make_interval(secs => ${values.ageSeconds ?? 0})`,
    })
    .returning({ id: outbox.id });
  return row!.id;
}

describe("outbox rows the worker cannot handle are reported, not left pending in silence", () => {
  it("a payload that is not its topic's: the row is marked processed with the problems, and an error logged", async () => {
    const declared = await insertRow({ topic: "incident.declared", payload: {} });
    const reviewed = await insertRow({
      topic: "retex.reviewed",
      payload: { participationId: dir.establishmentId, decision: "refused", comment: null },
    });

    const rows = await waitUntil("both rows processed", async () => {
      const found = await database.db
        .select()
        .from(outbox)
        .where(inArray(outbox.id, [declared, reviewed]));
      return found.every((r) => r.processedAt !== null) && new Map(found.map((r) => [r.id, r]));
    });
    expect(rows.get(declared)!.lastError).toMatch(
      /^invalid incident\.declared outbox row payload: .*incidentId/,
    );
    expect(rows.get(reviewed)!.lastError).toMatch(/^invalid retex\.reviewed outbox row payload: \/decision /);
    for (const id of [declared, reviewed]) {
      expect(errorsSaying(id).map((l) => l.msg)).toContain(
        "outbox row's payload does not match its topic; not handled",
      );
    }
    // Nothing was done on its behalf.
    const deliveries = await database.db
      .select()
      .from(mailDeliveries)
      .where(inArray(mailDeliveries.subjectId, [dir.establishmentId, reviewed]));
    expect(deliveries).toEqual([]);
  });

  it("a topic this worker does not handle: left for a worker that does, then flagged and logged once stranded", async () => {
    const stranded = await insertRow({ topic: "incident.archived", payload: {}, ageSeconds: 120 });
    const recent = await insertRow({ topic: "incident.archived", payload: {} });

    const row = await waitUntil("the stranded row flagged", async () => {
      const [found] = await database.db.select().from(outbox).where(eq(outbox.id, stranded));
      return found?.lastError ? found : undefined;
    });
    expect(row).toMatchObject({
      processedAt: null,
      dispatchCount: 0,
      lastError: "no running worker handles outbox topic incident.archived; the row waits for one that does",
    });
    const reported = await waitUntil("the error logged", () => {
      const found = errorsSaying("incident.archived");
      return found.length > 0 && found;
    });
    expect(reported[0]).toMatchObject({
      msg: "outbox rows wait for a topic this worker does not handle",
      topics: [expect.objectContaining({ topic: "incident.archived", rows: 1 })],
    });
    // Still within its grace period: a newer worker may be about to take it.
    const [young] = await database.db.select().from(outbox).where(eq(outbox.id, recent));
    expect(young).toMatchObject({ processedAt: null, dispatchCount: 0, lastError: null });

    // Reported at every look while it waits, not once and forgotten.
    const count = reported.length;
    await waitUntil("reported again", () => errorsSaying("incident.archived").length > count);
  });

  it("a delivery naming a template no renderer knows fails, saying so, and the worker goes on", async () => {
    const [delivery] = await database.db
      .insert(mailDeliveries)
      .values({
        dedupeKey: `unknown-template:${dir.rssiId}`,
        template: "incident-archived" as MailDeliveryTemplate,
        subjectId: dir.establishmentId,
        userId: dir.rssiId,
        toAddress: "rssi@pris.test",
        messageId: "<unknown-template@pris.test>",
      })
      .returning({ id: mailDeliveries.id });
    await queues.sendMail.add("incident-archived" as MailDeliveryTemplate, { deliveryId: delivery!.id });

    const failed = await waitUntil("the delivery failed", async () => {
      const [row] = await database.db
        .select()
        .from(mailDeliveries)
        .where(eq(mailDeliveries.id, delivery!.id));
      return row?.status === "failed" && row;
    });
    expect(failed.lastError).toBe('unknown mail template "incident-archived"');
    expect(errorsSaying(delivery!.id).map((l) => l.msg)).toContain(
      "e-mail delivery names an unknown template",
    );
    expect(smtp.messages.filter((m) => m.envelopeTo.includes("rssi@pris.test"))).toEqual([]);

    const d = await declareIncident(database.db, dir);
    await waitUntil("the next declaration's e-mails", () =>
      smtp.messages.some((m) => m.parsed.subject?.includes(d.reference)),
    );
    await sleep(100);
  });
});
