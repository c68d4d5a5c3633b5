import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createDatabase, type Database, outbox, users } from "@pris/db";
import { createQueues } from "@pris/worker";
import { eq } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { createTestDatabase, type TestDatabase, testConfig } from "../support/env.ts";
import { createApiKey, createEstablishment, createUser, declaration } from "../support/fixtures.ts";
import { freePort } from "../support/redis-server.ts";
import { startServiceProcess, type WorkerProcess } from "../support/service-process.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

/**
 * Traces as an operator turns them on: the API and the worker as processes of their own, exporting OTLP
 * over HTTP to a collector — here a plain HTTP server in the test that keeps what it is sent. One
 * declaration must make one trace, from the POST to the e-mail handed to the SMTP server.
 */

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  /** Every attribute's value, as text. */
  values: string[];
}

interface OtlpCollector {
  url: string;
  requests: number;
  spans: ExportedSpan[];
  close(): Promise<void>;
}

/** OTLP/HTTP with JSON bodies (what @opentelemetry/exporter-trace-otlp-http sends), POST /v1/traces. */
async function startCollector(): Promise<OtlpCollector> {
  const collector: OtlpCollector = { url: "", requests: 0, spans: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      collector.requests += 1;
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: {
            spans: (Omit<ExportedSpan, "service" | "values"> & {
              attributes?: { key: string; value: unknown }[];
            })[];
          }[];
        }[];
      };
      for (const rs of body.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue ?? "";
        for (const ss of rs.scopeSpans)
          for (const s of ss.spans)
            collector.spans.push({
              service,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? "",
              name: s.name,
              kind: s.kind,
              values: (s.attributes ?? []).map((a) => JSON.stringify(a.value)),
            });
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  collector.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  collector.close = () => new Promise((resolve) => server.close(() => resolve()));
  return collector;
}

let database: TestDatabase;
let db: Database;
let smtp: TestSmtpServer;
let collector: OtlpCollector;
let apiKey: string;
let analystId: string;
const config = testConfig();
const running: WorkerProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, max: 2, applicationName: "pris-test" });
  smtp = await startSmtpServer();
  collector = await startCollector();
  const establishment = await createEstablishment(db.db, { name: "Clinique des Flamboyants" });
  apiKey = (await createApiKey(db.db, establishment.id)).key;
  analystId = (await createUser(db.db, { role: "analyst" })).id;
}, 60_000);

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  await db?.close();
  await database?.drop();
  await smtp?.close();
  await collector?.close();
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const queues = createQueues(config, redis);
  for (const q of [queues.outbox, queues.sendMail, queues.maintenance]) await q.obliterate({ force: true });
  await queues.close();
  await redis.quit();
});

/** The API and a worker, as server.ts and worker.ts run them, with these extra settings. */
async function startStack(extra: Record<string, string>) {
  const port = await freePort();
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: config.REDIS_URL,
    QUEUE_PREFIX: config.QUEUE_PREFIX,
    SMTP_URL: smtp.url,
    PUBLIC_URL: "https://pris.example.re",
    MIGRATE_ON_START: "false",
    OUTBOX_POLL_MS: "100",
    LOG_LEVEL: "info",
    ...extra,
  };
  const api = startServiceProcess("services/api/src/server.ts", {
    ...env,
    HOST: "127.0.0.1",
    PORT: String(port),
  });
  const worker = startServiceProcess("services/worker/src/worker.ts", env);
  running.push(api, worker);
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    "the API listening",
    () =>
      fetch(`${url}/health/live`).then(
        (r) => r.ok,
        () => false,
      ),
    60_000,
  );
  await waitUntil("the worker started", () => worker.logs.some((l) => l.msg === "worker started"), 60_000);
  return {
    api,
    worker,
    url,
    async declare(title: string) {
      const res = await fetch(`${url}/api/v1/incidents`, {
        method: "POST",
        headers: { authorization: `ApiKey ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(declaration({ title })),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; reference: string };
    },
    async stop() {
      await Promise.all([api.stop(), worker.stop()]);
    },
  };
}

function mailsFor(reference: string) {
  return smtp.messages.filter((m) => m.parsed.subject?.includes(reference));
}

describe("traces", () => {
  it("follow a declaration in one trace from the HTTP request to the SMTP send, and the logs carry its id", async () => {
    const stack = await startStack({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    // Stopped whatever happens: a traced worker left running would take the next test's jobs.
    onTestFinished(() => stack.stop());
    const incident = await stack.declare("Rançongiciel tracé de bout en bout");
    await waitUntil("the e-mail", () => mailsFor(incident.reference).length >= 1, 30_000);

    const [row] = await db.db
      .select({ traceContext: outbox.traceContext })
      .from(outbox)
      .where(eq(outbox.aggregateId, incident.id));
    const traceparent = row?.traceContext?.traceparent ?? "";
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const traceId = traceparent.split("-")[1]!;

    // Walking up from the SMTP send reaches the request, through the declarations' batch. Each process
    // exports in batches about every second, in no set order: waited for until the walk ends at a root.
    const traceSpans = () =>
      new Map(collector.spans.filter((s) => s.traceId === traceId).map((s) => [s.spanId, s]));
    const chainFrom = (byId: Map<string, ExportedSpan>) => {
      const chain: ExportedSpan[] = [];
      let s = [...byId.values()].find((x) => x.name === "smtp send");
      for (; s; s = byId.get(s.parentSpanId)) chain.unshift(s);
      return chain;
    };
    const chain = await waitUntil(
      "the SMTP span, and every span above it",
      () => {
        const found = chainFrom(traceSpans());
        return found.length > 0 && found[0]!.parentSpanId === "" ? found : undefined;
      },
      60_000,
    );
    const named = chain.map((s) => `${s.service}: ${s.name}`);
    expect(named[0]).toBe("pris-api: POST /api/v1/incidents");
    expect(chain[0]!.parentSpanId).toBe("");
    // The worker takes declarations straight from the outbox, in batches continuing their first one's trace;
    // the analysts' e-mails leave in a batch of many declarations' e-mails, each send in its own trace.
    expect(named.at(-1)).toBe("pris-worker: smtp send");
    expect(named.at(-2)).toBe("pris-worker: declarations");
    expect(named.filter((n) => n.startsWith("pris-worker"))).toHaveLength(2);

    // A link's token is in no span: requests are recorded by their route's pattern, never their URL.
    const secret = "Zk3vQ9xLr2mW7tYp4sHd8nCb";
    const link = await fetch(`${stack.url}/api/v1/auth/password-reset/${secret}?from=${secret}`);
    expect(link.status).toBeLessThan(500);
    await waitUntil(
      "the link's span",
      () => collector.spans.some((s) => s.name === "GET /api/v1/auth/password-reset/:token"),
      30_000,
    );
    const leaks = collector.spans.filter((s) => `${s.name} ${s.values.join(" ")}`.includes(secret));
    expect(leaks).toEqual([]);

    // The lines written while the request ran name its trace and the span they were written in.
    const traced = stack.api.logs.filter((l) => l.trace_id === traceId);
    expect(traced.map((l) => l.msg)).toContain("incident declared");
    await waitUntil(
      "the spans the request's lines name",
      () => traced.every((line) => traceSpans().has(String(line.span_id))),
      30_000,
    );

    // So do the worker's, written while a batch of the trace runs: a declaration nobody can be told of.
    await db.db.update(users).set({ active: false }).where(eq(users.id, analystId));
    try {
      const unheard = await stack.declare("Rançongiciel sans destinataire");
      const line = await waitUntil(
        "the worker's warning",
        () =>
          stack.worker.logs.find(
            (l) => l.msg === "no active recipient for a declared incident" && l.incidentId === unheard.id,
          ),
        30_000,
      );
      const [unheardRow] = await db.db
        .select({ traceContext: outbox.traceContext })
        .from(outbox)
        .where(eq(outbox.aggregateId, unheard.id));
      expect(line.trace_id).toBe(unheardRow?.traceContext?.traceparent?.split("-")[1]);
      expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
    } finally {
      await db.db.update(users).set({ active: true }).where(eq(users.id, analystId));
    }
  }, 180_000);

  it("are off when no endpoint is configured: nothing exported, nothing stored, nothing in the logs", async () => {
    const before = collector.requests;
    const stack = await startStack({});
    onTestFinished(() => stack.stop());
    const incident = await stack.declare("Rançongiciel sans traces");
    await waitUntil("the e-mail", () => mailsFor(incident.reference).length >= 1, 30_000);
    const [row] = await db.db
      .select({ traceContext: outbox.traceContext })
      .from(outbox)
      .where(eq(outbox.aggregateId, incident.id));
    expect(row?.traceContext).toBeNull();
    await stack.stop();
    expect(collector.requests).toBe(before);
    const logs = [...stack.worker.logs, ...stack.api.logs];
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((l) => "trace_id" in l)).toEqual([]);
    expect(logs.filter((l) => l.level >= 50)).toEqual([]);
  }, 180_000);
});
