import http from "node:http";
import { createDatabase, type Database } from "@pris/db";
import { addDays, dayInZone, QUEUE_EVENTS } from "@pris/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bulletinDraft, seedNetwork } from "../support/bulletin-fixtures.ts";
import { createTestDatabase, type TestDatabase, testConfig } from "../support/env.ts";
import { createApiKey, createEstablishment, createUser, declaration, PASSWORD } from "../support/fixtures.ts";
import { freePort } from "../support/redis-server.ts";
import {
  type ApiProcess,
  configEnv,
  startApiProcess,
  startWorkerProcess,
  type WorkerProcess,
} from "../support/service-process.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { setOnCall } from "../support/timer-fixtures.ts";
import { sleep, waitUntil } from "../support/worker-fixtures.ts";

/**
 * Several replicas, as production runs them: two API processes and two worker processes on one
 * PostgreSQL database and one Redis, driven over HTTP through both APIs. Declarations, the pole's work,
 * regulatory clocks and service levels firing, exercise reminders and a bulletin to some 2,000
 * recipients; one worker killed (SIGKILL) in the middle of the fan-out; then each process stopped with
 * SIGTERM while a request, the event streams and a job are in flight.
 *
 * Held to: every e-mail owed is sent, once — a second copy only of what the killed worker had in flight
 * (same Message-ID); every live-queue subscriber, on either API, hears every declaration and change; a
 * SIGTERM lets the in-flight request and job finish, ends the streams, and exits 0 within 30 s.
 */
/** Network establishments of the bulletin's territory: an RSSI contact and a functional mailbox each. */
const NETWORK = 800;
/** RSSI accounts on the first of them, seeded in SQL: bulletin recipients, and owed an exercise reminder. */
const NETWORK_RSSIS = 400;
const DECLARATIONS = 20;
const BATCH = 50;
/** Batches the fan-out has in flight at once (its two lanes): what a SIGKILL can leave accepted, unrecorded. */
const IN_FLIGHT_MAX = 2 * BATCH;
const EXIT_WITHIN_MS = 30_000;

interface QueueEvent {
  event: string;
  data: { id?: string };
}

/** A browser's EventSource on /api/v1/queue/events, read with fetch. */
interface Subscriber {
  name: string;
  events: QueueEvent[];
  ended: boolean;
  heard(event: string, id: string): number;
  close(): void;
}

let database: TestDatabase;
let store: Database;
let smtp: TestSmtpServer;
let env: Record<string, string>;
let apis: ApiProcess[] = [];
let workers: WorkerProcess[] = [];
let subscribers: Subscriber[] = [];
let today: string;

const people = {
  analysts: [] as { id: string; email: string }[],
  rssis: [] as { id: string; email: string; establishmentId: string }[],
  networkRssis: [] as string[],
};
const apiKeys: string[] = [];
const declared: { id: string; reference: string; via: number }[] = [];
/** Deliveries not recorded as sent when the worker was killed: only these may arrive twice. */
const inFlightAtKill = new Set<string>();

function startWorker(): WorkerProcess {
  return startWorkerProcess(env);
}

function startApi(port: number): Promise<ApiProcess> {
  return startApiProcess({ ...env, PORT: String(port) });
}

async function call<T = Record<string, unknown>>(
  api: ApiProcess,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
  expected = 200,
): Promise<T> {
  const res = await fetch(`${api.url}/api/v1${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  expect(res.status, `${method} ${path} via ${api.url}: ${text}`).toBe(expected);
  return (text ? JSON.parse(text) : {}) as T;
}

async function signIn(api: ApiProcess, email: string): Promise<Record<string, string>> {
  const { accessToken } = await call<{ accessToken: string }>(
    api,
    "POST",
    "/auth/login",
    {},
    {
      email,
      password: PASSWORD,
    },
  );
  return { authorization: `Bearer ${accessToken}` };
}

async function subscribe(
  api: ApiProcess,
  headers: Record<string, string>,
  name: string,
): Promise<Subscriber> {
  const abort = new AbortController();
  const res = await fetch(`${api.url}/api/v1/queue/events`, { headers, signal: abort.signal });
  expect(res.status).toBe(200);
  const subscriber: Subscriber = {
    name,
    events: [],
    ended: false,
    heard(event, id) {
      return this.events.filter((e) => e.event === event && e.data.id === id).length;
    },
    close: () => abort.abort(),
  };
  let connected!: () => void;
  const open = new Promise<void>((resolve) => {
    connected = resolve;
  });
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of res.body!) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
          if (block.includes(": connected")) connected();
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) subscriber.events.push({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted by the test
    }
    subscriber.ended = true;
  })();
  await open;
  return subscriber;
}

/** Declares through one API with an establishment's API key. */
async function declare(via: number, overrides: Parameters<typeof declaration>[0] = {}) {
  const body = await call<{ id: string; reference: string }>(
    apis[via]!,
    "POST",
    "/incidents",
    { authorization: `ApiKey ${apiKeys[via % apiKeys.length]}` },
    declaration(overrides),
    201,
  );
  const row = { id: body.id, reference: body.reference, via };
  declared.push(row);
  return row;
}

async function statuses(table: "mail_deliveries" | "bulletin_deliveries") {
  const { rows } = await store.pool.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM ${table} GROUP BY status`,
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>;
}

/** Every e-mail delivery, single or bulletin, recorded as sent and none still owed. */
async function allSent(): Promise<boolean> {
  const [single, bulletin] = await Promise.all([
    statuses("mail_deliveries"),
    statuses("bulletin_deliveries"),
  ]);
  const owed = (s: Record<string, number>) => (s.queued ?? 0) + (s.deferred ?? 0);
  return owed(single) === 0 && owed(bulletin) === 0;
}

/**
 * Of the zones the service runs in, the one farther from midnight now: the exercise reminders are owed
 * "today" (EXERCISE_PLAN_BY), and the day must not change under the test's feet.
 */
function zoneAwayFromMidnight(): string {
  const fromMidnight = (timeZone: string) => {
    const [h, m] = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .format(new Date())
      .split(":")
      .map(Number);
    const minutes = h! * 60 + m!;
    return Math.min(minutes, 1440 - minutes);
  };
  return ["Indian/Reunion", "Europe/Paris"].sort((a, b) => fromMidnight(b) - fromMidnight(a))[0]!;
}

function exitWithin(p: WorkerProcess | ApiProcess, ms: number) {
  return Promise.race([
    p.exited.then((exit) => ({ ...exit, timedOut: false })),
    sleep(ms).then(() => ({ code: null, signal: null, timedOut: true })),
  ]);
}

beforeAll(async () => {
  smtp = await startSmtpServer();
  database = await createTestDatabase();
  const zone = zoneAwayFromMidnight();
  today = dayInZone(new Date(), zone);
  const config = testConfig({
    DATABASE_URL: database.url,
    REGION_TIMEZONE: zone,
    SMTP_URL: smtp.url,
    PUBLIC_URL: "https://pris.example.re",
    LOG_LEVEL: "info",
    // Establishments with nothing planned are reminded today, and the scan runs every second.
    EXERCISE_PLAN_BY: today.slice(5),
    EXERCISE_REMINDER_SCAN_SECONDS: "1",
    BULLETIN_BATCH_SIZE: String(BATCH),
    OUTBOX_POLL_MS: "100",
  });
  env = configEnv(config);
  store = createDatabase({ url: database.url, max: 4 });
  const db = store.db;

  for (const [i, name] of ["CH Ouest", "Clinique Est"].entries()) {
    const est = await createEstablishment(db, { name, nis2Status: "essential", territory: "sud" });
    apiKeys.push((await createApiKey(db, est.id)).key);
    const rssi = await createUser(db, { role: "rssi", establishmentId: est.id, name: `RSSI ${i + 1}` });
    people.rssis.push({ id: rssi.id, email: rssi.email, establishmentId: est.id });
  }
  for (const _ of [1, 2]) {
    const a = await createUser(db, { role: "analyst" });
    people.analysts.push({ id: a.id, email: a.email });
  }
  await setOnCall(db, people.analysts[0]!.id, people.analysts[1]!.id);
  await createUser(db, { role: "taskforce" });
  await createUser(db, { role: "ars" });
  await seedNetwork(db, { count: NETWORK, territory: "est", prefix: "est", finessStart: 5000 });
  const { rows } = await store.pool.query<{ email: string }>(
    `INSERT INTO users (id, email, display_name, role, establishment_id, password_hash)
     SELECT gen_random_uuid(), 'rssi-' || e.finess || '@est.test', 'RSSI ' || e.name, 'rssi', e.id, 'not-a-real-hash'
     FROM establishments e WHERE e.territory = 'est' ORDER BY e.finess LIMIT $1
     RETURNING email`,
    [NETWORK_RSSIS],
  );
  people.networkRssis = rows.map((r) => r.email);

  const started = Date.now();
  workers = [startWorker(), startWorker()];
  const starting = [startApi(await freePort()), startApi(await freePort())];
  // Kept even if the other fails to start, so that afterAll stops it.
  for (const api of starting) void api.then((a) => apis.push(a)).catch(() => {});
  apis = await Promise.all(starting);
  console.info(`replicas: two APIs ready in ${Date.now() - started} ms`);
}, 180_000);

afterAll(async () => {
  for (const s of subscribers) s.close();
  await Promise.all([...apis, ...workers].map((p) => p.stop(5_000)));
  await store?.close();
  await smtp?.close();
  await database?.drop();
}, 60_000);

describe("two APIs and two workers on one database and one Redis", () => {
  let analystHeaders: Record<string, string>[][];

  it("every live subscriber, on either API, hears every declaration made through either API", async () => {
    // Each analyst signed in on each API: four streams, two per process.
    analystHeaders = await Promise.all(
      apis.map((api) => Promise.all(people.analysts.map((a) => signIn(api, a.email)))),
    );
    subscribers = await Promise.all(
      apis.flatMap((api, i) =>
        analystHeaders[i]!.map((headers, j) => subscribe(api, headers, `api${i + 1}/analyst${j + 1}`)),
      ),
    );
    for (let i = 0; i < DECLARATIONS; i += 4) {
      await Promise.all([0, 1, 2, 3].map((k) => declare((i + k) % 2)));
    }
    expect(new Set(declared.map((d) => d.reference)).size).toBe(DECLARATIONS);
    await waitUntil(
      "every subscriber to hear every declaration",
      () => subscribers.every((s) => declared.every((d) => s.heard(QUEUE_EVENTS.declared, d.id) === 1)),
      20_000,
    );
  });

  it("the pole's work on one API is heard on both: claim, qualify, investigate, close", async () => {
    const worked = declared.slice(0, 4);
    const closure = {
      rsitClass: "malicious-code",
      rsitType: "infected-system",
      rootCause: "Compte VPN sans double authentification",
      measures: "Réinstallation des serveurs, MFA sur le VPN",
      lessons: "Sauvegardes hors ligne testées tous les mois",
    };
    await Promise.all(
      worked.map(async (d, n) => {
        // Each step through the other API than the last, by the other analyst.
        const steps: [method: string, path: string, body?: unknown][] = [
          ["POST", "claim"],
          [
            "PATCH",
            "qualification",
            n === 0
              ? { severity: "P1", reason: "Plan blanc déclenché" }
              : { severity: "P2", reason: "Plusieurs services touchés" },
          ],
          ["POST", "transitions", { action: "investigate" }],
          ["POST", "transitions", { action: "close", closure }],
        ];
        for (const [k, [method, path, body]] of steps.entries()) {
          const before = subscribers.map((s) => s.heard(QUEUE_EVENTS.changed, d.id));
          const via = (n + k) % 2;
          await call(apis[via]!, method, `/incidents/${d.id}/${path}`, analystHeaders[via]![k % 2]!, body);
          await waitUntil(
            `every subscriber to hear ${path} of ${d.reference}`,
            () => subscribers.every((s, i) => s.heard(QUEUE_EVENTS.changed, d.id) > before[i]!),
            15_000,
          );
        }
      }),
    );
  });

  it("regulatory clocks and missed service levels fire once each, whichever worker takes them", async () => {
    const waiting = declared.slice(4, 10).map((d) => d.id);
    await waitUntil(
      "the timers of every declaration",
      async () => {
        const { rows } = await store.pool.query<{ n: number }>(
          "SELECT count(DISTINCT payload->>'incidentId')::int AS n FROM timers WHERE payload->>'incidentId' = ANY($1)",
          [waiting],
        );
        return rows[0]!.n === waiting.length;
      },
      30_000,
    );
    // Time passes: the national portal's clock and the service level are a minute behind. Their timers
    // move with them, as planning would have placed them.
    await store.pool.query(
      `WITH clocks AS (
         UPDATE incident_clocks SET due_at = date_trunc('milliseconds', now()) - interval '1 minute'
         WHERE incident_id = ANY($1::uuid[]) AND kind = 'national_portal' RETURNING id, due_at),
       levels AS (
         UPDATE incidents SET ack_due_at = date_trunc('milliseconds', now()) - interval '1 minute'
         WHERE id = ANY($1::uuid[]) RETURNING id, ack_due_at AS due_at),
       moved AS (
         SELECT id, due_at, 'clock.overdue' AS kind FROM clocks
         UNION ALL SELECT id, due_at, 'sla.missed' FROM levels)
       UPDATE timers t SET due_at = moved.due_at FROM moved
       WHERE t.subject_id = moved.id AND t.kind = moved.kind`,
      [waiting],
    );
    const fired = await waitUntil(
      "the moved timers to fire",
      async () => {
        const { rows } = await store.pool.query<{ id: string; fired_at: Date | null }>(
          `SELECT id, fired_at FROM timers WHERE payload->>'incidentId' = ANY($1)
           AND kind IN ('clock.overdue', 'sla.missed') AND due_at <= now()`,
          [waiting],
        );
        return rows.length === 2 * waiting.length && rows.every((r) => r.fired_at) && rows.map((r) => r.id);
      },
      30_000,
    );
    // One delivery per timer and person: the RSSI for the clock, the on-duty analyst and the backup for
    // the miss — whichever worker fired the timer, and however often both looked.
    const deliveries = async () =>
      (
        await store.pool.query<{ status: string; dedupe_key: string }>(
          "SELECT status, dedupe_key FROM mail_deliveries WHERE subject_id = ANY($1::uuid[])",
          [fired],
        )
      ).rows;
    expect(await deliveries()).toHaveLength(3 * waiting.length);
    await waitUntil(
      "the timers' e-mails",
      async () => (await deliveries()).every((d) => d.status === "sent"),
      30_000,
    );
    const { rows: entries } = await store.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM incident_log
       WHERE incident_id = ANY($1::uuid[]) AND kind = 'notification' AND body ? 'timer'`,
      [waiting],
    );
    expect(entries[0]!.n).toBe(2 * waiting.length);
  }, 90_000);

  it("exercise reminders: each owed reminder once, across two workers scanning every second", async () => {
    const planner = people.rssis[0]!;
    const headers = await signIn(apis[1]!, planner.email);
    await call(
      apis[1]!,
      "POST",
      "/exercises",
      headers,
      {
        kind: "degraded_mode",
        level: "beginner",
        title: "Panne de messagerie",
        scenario: "La messagerie est indisponible",
        objectives: [],
        plannedOn: addDays(today, 7),
        participants: "DSI",
        organiser: "Direction",
        establishmentIds: [planner.establishmentId],
      },
      201,
    );
    const to = (email: string, subject: string) =>
      smtp.messages.filter((m) => m.envelopeTo.includes(email) && m.parsed.subject?.includes(subject));
    await waitUntil(
      "the reminders",
      () =>
        to(planner.email, "Exercice de crise cyber dans 7 jours").length >= 1 &&
        people.networkRssis.every((e) => to(e, "à planifier").length >= 1),
      60_000,
    );
    await sleep(2_000); // two more scans by each worker
    expect(to(planner.email, "Exercice de crise cyber dans 7 jours")).toHaveLength(1);
    for (const email of people.networkRssis) expect(to(email, "à planifier"), email).toHaveLength(1);
  }, 90_000);

  it("a bulletin to 2,000 recipients survives one worker killed mid-fan-out", async () => {
    const analyst = analystHeaders[0]![0]!;
    const { id } = await call<{ id: string }>(
      apis[0]!,
      "POST",
      "/bulletins",
      analyst,
      bulletinDraft({ audience: { territories: ["est"] } }),
      201,
    );
    const published = await call<{ deliveries: number }>(
      apis[1]!,
      "POST",
      `/bulletins/${id}/publish`,
      analystHeaders[1]![1]!,
    );
    const recipients = published.deliveries;
    // The contacts of each establishment, and the RSSI accounts of some.
    expect(recipients).toBe(2 * NETWORK + NETWORK_RSSIS);
    const ofBulletin = () => smtp.messages.filter((m) => m.parsed.messageId?.includes(id));
    await waitUntil("a fifth of the fan-out", () => ofBulletin().length >= recipients / 5, 60_000);
    const victim = workers[0]!;
    victim.child.kill("SIGKILL");
    await victim.exited;
    // Not recorded as sent: a superset of what the killed worker had in flight (its batches rolled back).
    const { rows } = await store.pool.query<{ message_id: string; bulletin: boolean }>(
      `SELECT message_id, true AS bulletin FROM bulletin_deliveries WHERE status <> 'sent'
       UNION ALL SELECT message_id, false FROM mail_deliveries WHERE status <> 'sent'`,
    );
    for (const r of rows) inFlightAtKill.add(r.message_id);
    const sentAtKill = recipients - rows.filter((r) => r.bulletin).length;
    expect(sentAtKill).toBeGreaterThan(0);
    expect(sentAtKill).toBeLessThan(recipients);
    // The other worker carries on alone for a while; the killed one is restarted, as an orchestrator would.
    await sleep(2_000);
    workers[0] = startWorker();
    await waitUntil("every e-mail sent", allSent, 120_000);
    const copies = new Map<string, number>();
    for (const m of ofBulletin()) copies.set(m.parsed.messageId!, (copies.get(m.parsed.messageId!) ?? 0) + 1);
    expect(copies.size).toBe(recipients);
    const twice = [...copies].filter(([, n]) => n > 1);
    expect(twice.length).toBeLessThanOrEqual(IN_FLIGHT_MAX);
    console.info(`replicas: ${sentAtKill} bulletin e-mails recorded at the kill, ${twice.length} sent twice`);
  }, 150_000);

  it("SIGTERM on an API: the request in flight completes, the streams end, the process exits 0", async () => {
    const [api] = apis as [ApiProcess, ApiProcess];
    // A declaration whose body is still arriving when the signal comes.
    const body = JSON.stringify(declaration({ title: "Déclaration pendant l'arrêt" }));
    const req = http.request(`${api.url}/api/v1/incidents`, {
      method: "POST",
      headers: {
        authorization: `ApiKey ${apiKeys[0]}`,
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      });
      req.on("error", reject);
    });
    req.write(body.slice(0, 100));
    await sleep(500);
    const signalledAt = Date.now();
    api.child.kill("SIGTERM");
    await sleep(1_000);
    const onThisApi = subscribers.filter((s) => s.name.startsWith("api1/"));
    await waitUntil("its streams to end", () => onThisApi.every((s) => s.ended), 10_000);
    expect(api.alive(), "the API waits for the request in flight").toBe(true);
    req.end(body.slice(100));
    const res = await answer;
    expect(res.status, res.body).toBe(201);
    const { id } = JSON.parse(res.body) as { id: string };
    const exit = await exitWithin(api, EXIT_WITHIN_MS);
    expect(exit).toMatchObject({ code: 0, timedOut: false });
    expect(api.logs.some((l) => l.msg === "stopped")).toBe(true);
    console.info(`replicas: the API exited ${Date.now() - signalledAt} ms after SIGTERM`);
    // The other API's subscribers heard of the declaration that finished during the shutdown.
    const remaining = subscribers.filter((s) => s.name.startsWith("api2/"));
    await waitUntil("the other API's subscribers to hear it", () =>
      remaining.every((s) => s.heard(QUEUE_EVENTS.declared, id) === 1),
    );
  });

  it("SIGTERM on the workers: the e-mail job in progress finishes before they exit 0", async () => {
    // A slow relay: a message takes three seconds to be accepted.
    smtp.slowDown(3_000);
    await declare(1, { title: "Déclaration pendant l'arrêt des workers" });
    await waitUntil("an e-mail in progress", () => smtp.receiving() > 0, 20_000);
    const signalledAt = Date.now();
    for (const w of workers) w.child.kill("SIGTERM");
    const exits = await Promise.all(workers.map((w) => exitWithin(w, EXIT_WITHIN_MS)));
    console.info(`replicas: the workers exited ${Date.now() - signalledAt} ms after SIGTERM`);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, timedOut: false });
    for (const w of workers) {
      expect(w.logs.some((l) => l.msg === "worker stopped")).toBe(true);
      expect(w.logs.some((l) => l.msg.includes("closing anyway"))).toBe(false);
    }
    smtp.slowDown(0);
    // What was in progress was accepted after the signal, and recorded as sent before the exit.
    const accepted = smtp.messages.filter((m) => m.receivedAt > signalledAt);
    console.info(
      `replicas: in progress at SIGTERM and finished: ${accepted.map((m) => m.parsed.subject).join(" / ")}`,
    );
    expect(accepted.length).toBeGreaterThan(0);
    const ids = accepted.map((m) => m.parsed.messageId!);
    const { rows } = await store.pool.query<{ status: string }>(
      `SELECT status FROM mail_deliveries WHERE message_id = ANY($1)
       UNION ALL SELECT status FROM bulletin_deliveries WHERE message_id = ANY($1)`,
      [ids],
    );
    expect(rows.map((r) => r.status)).toEqual(ids.map(() => "sent"));
    // The e-mails not begun wait in the queue for the next workers (the last test).
  }, 60_000);

  it("every e-mail owed was sent once; a second copy only of what the killed worker had in flight", async () => {
    // The workers are stopped: what is still owed (declaration e-mails not begun) goes to new ones.
    workers = [startWorker(), startWorker()];
    await waitUntil("every e-mail sent", allSent, 60_000);
    const { rows } = await store.pool.query<{ message_id: string }>(
      `SELECT message_id FROM bulletin_deliveries WHERE status = 'sent'
       UNION ALL SELECT message_id FROM mail_deliveries WHERE status = 'sent'`,
    );
    const owed = new Set(rows.map((r) => r.message_id));
    expect(owed.size).toBe(rows.length);
    const copies = new Map<string, number>();
    for (const m of smtp.messages) {
      const id = m.parsed.messageId ?? "(none)";
      copies.set(id, (copies.get(id) ?? 0) + 1);
    }
    expect([...copies.keys()].filter((id) => !owed.has(id))).toEqual([]);
    expect([...owed].filter((id) => !copies.has(id))).toEqual([]);
    const twice = [...copies].filter(([, n]) => n > 1);
    for (const [id, n] of twice) {
      expect(inFlightAtKill.has(id), `${id} sent ${n} times but not in flight at the kill`).toBe(true);
      expect(n).toBe(2);
    }
    const statusNow = {
      single: await statuses("mail_deliveries"),
      bulletin: await statuses("bulletin_deliveries"),
    };
    console.info(
      `replicas: ${smtp.messages.length} messages for ${owed.size} deliveries (${JSON.stringify(statusNow)}), ${twice.length} duplicates`,
    );
    expect(statusNow.single.failed ?? 0).toBe(0);
    expect(statusNow.bulletin.failed ?? 0).toBe(0);
  }, 90_000);
});
