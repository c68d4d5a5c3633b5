import { randomUUID } from "node:crypto";
import { QUEUE_NAMES } from "@pris/domain";
import {
  createQueues,
  DEFAULT_RETRY_TUNING,
  enqueueDeliveries,
  outboxJobOptions,
  type Queues,
} from "@pris/worker";
import { type Job, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testConfig } from "../support/env.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

/** The order one consumer takes a queue's jobs in, with nothing else running. */
async function takenOrder(queue: string, prefix: string, redisUrl: string, count: number): Promise<string[]> {
  const names: string[] = [];
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker(queue, async (job: Job) => void names.push(job.name), {
    connection,
    prefix,
    concurrency: 1,
  });
  try {
    await waitUntil(`${count} jobs`, () => names.length >= count, 10_000);
  } finally {
    await worker.close();
    await connection.quit();
  }
  return names;
}

describe("incident alerts ahead of bulk work", () => {
  const config = testConfig();
  let redis: Redis;
  let queues: Queues;

  beforeAll(() => {
    redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
    queues = createQueues(config, redis);
  });

  afterAll(async () => {
    for (const q of [queues.outbox, queues.sendMail, queues.maintenance]) await q.obliterate({ force: true });
    await queues.close();
    await redis.quit();
  });

  it("sends a declaration's e-mails before an exercise campaign queued earlier", async () => {
    const campaign = Array.from({ length: 50 }, () => ({
      id: randomUUID(),
      template: "exercise-digest" as const,
    }));
    await enqueueDeliveries(queues.sendMail, campaign, DEFAULT_RETRY_TUNING);
    await enqueueDeliveries(
      queues.sendMail,
      [{ id: randomUUID(), template: "incident-declared" }],
      DEFAULT_RETRY_TUNING,
    );
    const order = await takenOrder(QUEUE_NAMES.sendMail, config.QUEUE_PREFIX, config.REDIS_URL, 51);
    expect(order[0]).toBe("incident-declared");
  });

  it("handles a declaration's outbox row before an invitation campaign's", async () => {
    const job = (topic: "invitation.sent" | "incident.declared") => {
      const id = randomUUID();
      return {
        name: topic,
        data: { outboxId: id, aggregateId: randomUUID() },
        opts: outboxJobOptions(id, DEFAULT_RETRY_TUNING, topic),
      };
    };
    await queues.outbox.addBulk(Array.from({ length: 50 }, () => job("invitation.sent")));
    await queues.outbox.addBulk([job("incident.declared")]);
    const order = await takenOrder(QUEUE_NAMES.outbox, config.QUEUE_PREFIX, config.REDIS_URL, 51);
    expect(order[0]).toBe("incident.declared");
  });
});
