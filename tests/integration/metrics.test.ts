import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createDatabase, incidents } from "@pris/db";
import { QUEUE_NAMES } from "@pris/domain";
import { createRegistry, registerWorkMetrics } from "@pris/metrics";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";
import { createApiKey, createEstablishment, createUser, login, type TestApp } from "../support/fixtures.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

/**
 * Prometheus metrics of the API and the worker, each on a listener of its own behind a bearer token:
 * what operators scrape, what a stranger gets (401, nothing else), and the example alert rules of
 * infra/prometheus, checked against the names the endpoints really expose (promtool is not installed).
 */
const TOKEN = "metrics-token-for-the-test-0123456789abcdef";
let stack: FullStack;
let t: TestApp;
let apiKey: string;
let analyst: string;

beforeAll(async () => {
  stack = await startFullStack({}, { METRICS_PORT: "0", METRICS_TOKEN: TOKEN, LOGIN_RATE_LIMIT_MAX: "2" });
  t = stack.t;
  const establishment = await createEstablishment(t.db, { name: "Clinique des Filaos" });
  apiKey = (await createApiKey(t.db, establishment.id)).key;
  analyst = (await createUser(t.db, { role: "analyst" })).email;
});
afterAll(() => stack?.close());

const apiMetricsUrl = () => t.app.metrics.server!.url;
const workerMetricsUrl = () => stack.worker.metricsUrl!;

async function scrape(url: string): Promise<string> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return res.text();
}

/** The value of one sample, written as in the exposition format: `name{labels}`, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("the API's metrics", () => {
  test("count requests per route pattern, never per URL, with the work waiting in PostgreSQL", async () => {
    const declared = await stack.declare(apiKey, { impactGrade: 4, tlp: "AMBER+STRICT" });
    expect(declared.severity).toBe("P1");
    const session = await login(t.app, analyst);
    const read = await t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${declared.id}`,
      headers: session.bearer,
    });
    expect(read.statusCode).toBe(200);
    const wrong = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { email: analyst, password: "not the password at all" },
    });
    expect(wrong.statusCode).toBe(401);
    // A third wrong guess for one account from one address is throttled (LOGIN_RATE_LIMIT_MAX 2).
    const guess = () =>
      t.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        payload: { email: "nobody@example.fr", password: "not the password at all" },
      });
    expect((await guess()).statusCode).toBe(401);
    expect((await guess()).statusCode).toBe(401);
    expect((await guess()).statusCode).toBe(429);
    // Past its service level and still not acknowledged: what the P1 alert watches.
    await t.db
      .update(incidents)
      .set({ ackDueAt: sql`now() - interval '1 minute'` })
      .where(eq(incidents.id, declared.id));

    const text = await scrape(apiMetricsUrl());
    const requests = (route: string, method: string, status: number) =>
      sample(
        text,
        `pris_http_request_duration_seconds_count{method="${method}",route="${route}",status_code="${status}"}`,
      );
    expect(requests("/api/v1/incidents", "POST", 201)).toBe(1);
    expect(requests("/api/v1/incidents/:id", "GET", 200)).toBe(1);
    expect(requests("/api/v1/auth/login", "POST", 401)).toBe(3);
    expect(requests("/api/v1/auth/login", "POST", 429)).toBe(1);
    expect(text).not.toContain(declared.id);
    expect(sample(text, 'pris_sign_in_failures_total{step="password"}')).toBe(3);
    expect(sample(text, 'pris_sign_in_failures_total{step="throttled"}')).toBe(1);
    expect(sample(text, 'pris_sign_in_failures_total{step="sso"}')).toBe(0);
    expect(sample(text, "pris_work_state_up")).toBe(1);
    expect(sample(text, "pris_outbox_pending")).toEqual(expect.any(Number));
    expect(sample(text, "pris_outbox_oldest_age_seconds")).toBeGreaterThanOrEqual(0);
    expect(sample(text, "pris_timers_due")).toBe(0);
    expect(sample(text, "pris_timers_late")).toBe(0);
    expect(sample(text, 'pris_incidents_unacknowledged_past_sla{severity="P1"}')).toBe(1);
    expect(sample(text, 'pris_incidents_unacknowledged_past_sla{severity="P3"}')).toBe(0);
    expect(sample(text, 'pris_bulletin_deliveries{status="queued"}')).toBe(0);
    expect(sample(text, 'pris_db_pool_connections{state="total"}')).toBeGreaterThan(0);
    expect(sample(text, "pris_db_pool_max")).toBe(t.config.DATABASE_POOL_MAX);
    expect(sample(text, "pris_live_queue_subscribers")).toBe(0);
    // prom-client's process metrics.
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  test("count the live queue's subscribers, and the public port answers 404 for /metrics", async () => {
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const prometheus = {
      accept: "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1",
      authorization: `Bearer ${TOKEN}`,
    };
    const onPublic = await fetch(`${base}/metrics`, { headers: prometheus });
    expect(onPublic.status).toBe(404);
    expect(await onPublic.text()).not.toContain("pris_");

    const session = await login(t.app, analyst);
    const abort = new AbortController();
    const stream = await fetch(`${base}/api/v1/queue/events`, {
      headers: { accept: "text/event-stream", ...session.bearer },
      signal: abort.signal,
    });
    expect(stream.status).toBe(200);
    expect(sample(await scrape(apiMetricsUrl()), "pris_live_queue_subscribers")).toBe(1);
    abort.abort();
    await stream.body?.cancel().catch(() => {});
    await waitUntil(
      "the subscriber gone",
      async () => sample(await scrape(apiMetricsUrl()), "pris_live_queue_subscribers") === 0,
    );
  });

  test("are not served by the public app", async () => {
    for (const url of ["/metrics", "/api/v1/metrics"]) {
      const res = await t.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.statusCode, url).not.toBe(200);
      expect(res.body, url).not.toContain("pris_http_request_duration_seconds");
    }
    const doc = (await t.app.inject({ method: "GET", url: "/docs/json" })).json() as { paths: object };
    expect(Object.keys(doc.paths).filter((p) => p.includes("metrics"))).toEqual([]);
  });

  test("without the token, or with a wrong one, get 401 and nothing else", async () => {
    for (const url of [apiMetricsUrl(), workerMetricsUrl()]) {
      for (const headers of [
        {} as Record<string, string>,
        { authorization: "Bearer wrong-token-0123456789abcdef0123456789" },
        { authorization: `Basic ${Buffer.from(`prometheus:${TOKEN}`).toString("base64")}` },
        { authorization: `Bearer ${TOKEN}x` },
      ]) {
        const res = await fetch(url, { headers });
        expect(res.status, JSON.stringify(headers)).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
        expect(await res.text()).toBe("");
      }
      const elsewhere = await fetch(url.replace("/metrics", "/"));
      expect(elsewhere.status).toBe(401);
      expect(await elsewhere.text()).toBe("");
      const other = await fetch(url.replace("/metrics", "/status"), {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(other.status).toBe(404);
    }
  });
});

describe("the worker's metrics", () => {
  test("show the queues, the e-mails sent and the same work gauges", async () => {
    await stack.declare(apiKey, { impactGrade: 2 });
    let text = "";
    await waitUntil("e-mails counted", async () => {
      text = await scrape(workerMetricsUrl());
      return (sample(text, 'pris_emails_total{kind="single",outcome="sent"}') ?? 0) >= 1;
    });
    for (const queue of Object.values(QUEUE_NAMES)) {
      for (const state of ["waiting", "active", "failed", "delayed"]) {
        expect(
          sample(text, `pris_queue_jobs{queue="${queue}",state="${state}"}`),
          `${queue} ${state}`,
        ).toEqual(expect.any(Number));
      }
    }
    expect(sample(text, `pris_queue_jobs{queue="${QUEUE_NAMES.outbox}",state="failed"}`)).toBe(0);
    expect(sample(text, "pris_work_state_up")).toBe(1);
    expect(sample(text, "pris_outbox_oldest_age_seconds")).toEqual(expect.any(Number));
    expect(sample(text, 'pris_db_pool_connections{state="idle"}')).toEqual(expect.any(Number));
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
  });
});

describe("the work gauges", () => {
  test("say NaN, and pris_work_state_up 0, when PostgreSQL cannot be read: never a reassuring 0", async () => {
    const unreachable = createDatabase({ url: "postgres://postgres@127.0.0.1:1/pris", max: 1 });
    const errors: unknown[] = [];
    const registry = createRegistry({ processMetrics: false });
    registerWorkMetrics(registry, unreachable.db, (err) => errors.push(err));
    const text = await registry.metrics();
    await unreachable.close();
    expect(errors).toHaveLength(1);
    expect(sample(text, "pris_work_state_up")).toBe(0);
    expect(sample(text, "pris_outbox_oldest_age_seconds")).toBeNaN();
    expect(sample(text, 'pris_incidents_unacknowledged_past_sla{severity="P1"}')).toBeNaN();
  });
});

describe("the example alert rules (infra/prometheus/alerts.yml)", () => {
  test("are well-formed rules over metrics the endpoints expose", async () => {
    const file = parse(
      readFileSync(new URL("../../infra/prometheus/alerts.yml", import.meta.url), "utf8"),
    ) as {
      groups: { name: string; rules: Record<string, unknown>[] }[];
    };
    const exposed = new Set(
      [await scrape(apiMetricsUrl()), await scrape(workerMetricsUrl())]
        .join("\n")
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]),
    );
    const alerts: Record<string, string> = {};
    for (const group of file.groups) {
      expect(group.name).toMatch(/^pris-/);
      for (const rule of group.rules) {
        expect(
          Object.keys(rule).every((k) => ["alert", "expr", "for", "labels", "annotations"].includes(k)),
        ).toBe(true);
        expect(rule.alert).toMatch(/^[A-Z][A-Za-z0-9]+$/);
        expect(rule.labels).toMatchObject({ severity: expect.stringMatching(/^(critical|warning)$/) });
        expect(rule.annotations).toMatchObject({ summary: expect.any(String) });
        if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
        const expr = String(rule.expr);
        let depth = 0;
        for (const c of expr) {
          depth += c === "(" ? 1 : c === ")" ? -1 : 0;
          expect(depth).toBeGreaterThanOrEqual(0);
        }
        expect(depth, expr).toBe(0);
        const names = expr.match(/\b(pris|process|nodejs)_[a-z_]+/g) ?? [];
        expect(names.length, String(rule.alert)).toBeGreaterThan(0);
        for (const name of names) expect(exposed, `${rule.alert}: ${name}`).toContain(name);
        alerts[String(rule.alert)] = expr;
      }
    }
    // The three the issue asks for.
    expect(alerts.PrisOutboxStuck).toBe("max(pris_outbox_oldest_age_seconds) > 300");
    expect(alerts.PrisJobsFailing).toContain("increase(pris_jobs_failed_total");
    expect(alerts.PrisP1NotAcknowledged).toContain('pris_incidents_unacknowledged_past_sla{severity="P1"}');
  });
});
