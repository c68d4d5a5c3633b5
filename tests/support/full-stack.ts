import { type StartWorkerOptions, startWorker, type WorkerHandle } from "@pris/worker";
import { expect } from "vitest";
import { declaration, startTestApp, type TestApp } from "./fixtures.ts";
import { type PrivateRedis, startPrivateRedis } from "./redis-server.ts";
import { startSmtpServer, type TestSmtpServer } from "./smtp.ts";

/** The API and a worker beside it, on a private Redis the test can stop and a real SMTP server. */
export interface FullStack {
  redis: PrivateRedis;
  smtp: TestSmtpServer;
  t: TestApp;
  worker: WorkerHandle;
  /** Declares through the API with an establishment's API key; expects the 201. */
  declare(
    apiKey: string,
    overrides?: Parameters<typeof declaration>[0],
  ): Promise<{
    id: string;
    reference: string;
    severity: string;
  }>;
  close(): Promise<void>;
}

export async function startFullStack(
  workerOptions: StartWorkerOptions = {},
  configOverrides: Record<string, string> = {},
): Promise<FullStack> {
  const redis = await startPrivateRedis();
  const smtp = await startSmtpServer();
  const t = await startTestApp({
    REDIS_URL: redis.url,
    SMTP_URL: smtp.url,
    PUBLIC_URL: "https://pris.example.re",
    ...configOverrides,
  });
  const worker = await startWorker(t.config, {
    tuning: { mailRetryDelayMs: 100, outboxRetryDelayMs: 100 },
    ...workerOptions,
  });
  return {
    redis,
    smtp,
    t,
    worker,
    async declare(apiKey, overrides = {}) {
      const res = await t.app.inject({
        method: "POST",
        url: "/api/v1/incidents",
        headers: { authorization: `ApiKey ${apiKey}` },
        payload: declaration(overrides),
      });
      expect(res.statusCode).toBe(201);
      return res.json();
    },
    async close() {
      await worker.close();
      await t.close();
      await smtp.close();
      await redis.stop();
    },
  };
}
