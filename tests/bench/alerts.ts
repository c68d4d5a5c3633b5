/**
 * pnpm bench:alerts — how soon the pole's analysts read about a declaration: from the API's 201 to the SMTP
 * server's acceptance of each analyst's e-mail, through the real path (API-key declaration, outbox row, the
 * worker's relay, the declaration job, one delivery per analyst, the send-mail jobs, the pooled transport).
 * Side by side in the same run, a bare loop: the worker's pooled nodemailer transport (createMailTransport,
 * same pool size and timeouts) sending as many messages, rendered beforehand, 200 at a time, with no
 * database and no queue. Both send to an SMTP server on loopback that accepts everything and runs in its
 * own process (tests/bench/smtp-sink.ts), which stamps each message's acceptance.
 *
 * It creates a scratch database, migrates it, seeds one establishment with an API key and BENCH_ANALYSTS
 * analysts, starts the API and the worker as child processes (as production runs them), warms them up, then:
 *   1. steady: BENCH_STEADY_RATE declarations/s (5) for BENCH_STEADY_SECONDS (30): latency p50/p99;
 *   2. burst: BENCH_BURST_RATE declarations/s (50) for BENCH_BURST_SECONDS (60): latency p50/p99;
 *   3. flood: BENCH_FLOOD declarations (1000) as fast as the API takes them (BENCH_FLOOD_CONNECTIONS, 20),
 *      the e-mails per second from the first 201 to the last acceptance, against the bare loop sending as
 *      many messages right after;
 *   4. backlog: the same flood with the worker(s) frozen (SIGSTOP) until the API has answered it all, then
 *      let go: the e-mails per second from then to the last acceptance, the worker with the machine to
 *      itself as the bare loop has it;
 * then (one worker) the worker is stopped and the bare loop runs again while the API takes another such
 * flood: what the transport gets on the machine the flood shares.
 * Prints a table, the CPU the worker, the API and the bare loop used in the flood (from /proc: what the
 * machine's load changes less than it changes rates), and the targets (p99 < 1 s at 5/s, p99 < 5 s in the
 * burst, throughput ≥ 0.8× bare: the flood's and the backlog's), then
 * stops everything and drops the database. Other knobs: BENCH_WINDOW (200: the bare loop's sends in flight),
 * BENCH_DEBUG=1 (steps on stderr), BENCH_CPU_PROF=worker,api (V8 profiles in tests/.artifacts/profiles), BENCH_KEEP=1, BENCH_SMTP_PORT and BENCH_API_PORT (default: any free port),
 * SMTP_POOL_SIZE, WORKER_CONCURRENCY, DATABASE_URL, REDIS_URL.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { generateApiKey } from "@pris/api";
import { loadConfig } from "@pris/config";
import { createMailTransport } from "@pris/worker";
import {
  Children,
  cpuSeconds,
  createBenchDatabase,
  httpAgent,
  listeningSink,
  percentile,
  postgresCpuSeconds,
  runBench,
  scratchDatabase,
  startServices,
} from "./support.ts";

const ANALYSTS = Number(process.env.BENCH_ANALYSTS ?? 4);
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 5);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 30);
const BURST_RATE = Number(process.env.BENCH_BURST_RATE ?? 50);
const BURST_SECONDS = Number(process.env.BENCH_BURST_SECONDS ?? 60);
const FLOOD = Number(process.env.BENCH_FLOOD ?? 1000);
const FLOOD_CONNECTIONS = Number(process.env.BENCH_FLOOD_CONNECTIONS ?? 20);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 200);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const PREFIX = "<incident-declared.";

const base = loadConfig();
const scratch = scratchDatabase(base.DATABASE_URL, "pris_bench_alerts");
const children = new Children();
const step = (s: string) => process.env.BENCH_DEBUG && console.error(new Date().toISOString(), s);

function declaration() {
  return JSON.stringify({
    declarant: { name: "Banc d'essai", phone: "+262 692 00 00 00" },
    detectedAt: new Date(Date.now() - 600_000).toISOString(),
    ongoing: true,
    title: "Compromission d'un prestataire de maintenance",
    description: "Connexions anormales depuis l'accès distant du prestataire; postes chiffrés.",
    rsitClass: "malicious-code",
    rsitType: "infected-system",
    suspectedMalicious: "yes",
    affectedServices: ["dpi"],
    impactGrade: 2,
    spread: "single_site",
    personalData: { breach: "unknown" },
    support: { requested: true },
    nationalPortal: { declared: false },
    complaintFiled: false,
    tlp: "AMBER",
  });
}

interface Phase {
  declared: number;
  /** 201 → acceptance of each analyst's e-mail, ms. */
  latencies: number[];
  /** E-mails per second from the first 201 to the last acceptance. */
  rate: number;
  failed: number;
  /** From the first 201 to the last, s: the e-mails cannot all be out before the last declaration is in. */
  intakeSeconds: number;
  /**
   * CPU seconds the worker processes, the API, PostgreSQL, the SMTP sink and this script (the HTTP
   * clients) used from the first declaration to the last e-mail, and the wall time that took.
   */
  cpu: { workers: number; api: number; postgres: number; sink: number; client: number; wall: number };
}

async function main() {
  const db = await createBenchDatabase(scratch);
  step("created");
  const est = (
    await db.query<{ id: string }>(
      `INSERT INTO establishments (id, finess, name, category, sector, territory, nis2_status)
       VALUES (gen_random_uuid(), '970000001', 'CH Banc d''essai', 'ch', 'es', 'sud', 'essential') RETURNING id`,
    )
  ).rows[0]!;
  // A hash nothing matches: the analysts only receive e-mails.
  await db.query(
    `INSERT INTO users (id, email, display_name, role, password_hash)
     SELECT gen_random_uuid(), 'analyste' || i || '@ars.bench.test', 'Analyste ' || i, 'analyst', '!'
     FROM generate_series(1, $1::int) AS i`,
    [ANALYSTS],
  );
  const key = generateApiKey();
  await db.query(
    `INSERT INTO api_keys (id, establishment_id, name, prefix, secret_hash)
     VALUES (gen_random_uuid(), $1, 'bench', $2, $3)`,
    [est.id, key.prefix, key.secretHash],
  );

  const sink = await listeningSink(children);
  step("sink listening");
  const smtpUrl = sink.url;
  const { origin, api, worker, workers } = await startServices(
    children,
    {
      DATABASE_URL: scratch.url,
      REDIS_URL: base.REDIS_URL,
      SMTP_URL: smtpUrl,
      SMTP_POOL_SIZE: String(base.SMTP_POOL_SIZE),
      WORKER_CONCURRENCY: String(base.WORKER_CONCURRENCY),
      OUTBOX_POLL_MS: String(base.OUTBOX_POLL_MS),
    },
    undefined,
    WORKERS,
  );
  step("api up");

  /**
   * One declaration; resolves with its id and the instant its 201 arrived. Over the keep-alive agent: at
   * 50/s on a busy machine, a connection per request would time out connecting.
   */
  function declare(): Promise<{ id: string; at: number } | undefined> {
    const body = declaration();
    return new Promise((resolve) => {
      const req = http.request(
        `${origin}/api/v1/incidents`,
        {
          method: "POST",
          agent: httpAgent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            authorization: `ApiKey ${key.key}`,
            "idempotency-key": randomUUID(),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const at = Date.now();
            const text = Buffer.concat(chunks).toString();
            if (res.statusCode !== 201) {
              console.error(`declaration answered ${res.statusCode}: ${text.slice(0, 200)}`);
              return resolve(undefined);
            }
            resolve({ id: (JSON.parse(text) as { id: string }).id, at });
          });
        },
      );
      req.on("error", (err) => {
        console.error(`declaration failed: ${err.message}`);
        resolve(undefined);
      });
      req.end(body);
    });
  }

  /** Runs the declarations `fire` makes, then waits for every analyst's e-mail of each and measures. */
  async function phase(
    count: number,
    fire: () => Promise<({ id: string; at: number } | undefined)[]>,
  ): Promise<Phase> {
    const { done } = await sink.expect(count * ANALYSTS, { prefix: PREFIX, times: true });
    const used = () => {
      const own = process.cpuUsage();
      return {
        workers: workers.reduce((sum, w) => sum + cpuSeconds(w.pid!), 0),
        api: cpuSeconds(api.pid!),
        postgres: postgresCpuSeconds(),
        sink: cpuSeconds(sink.child.pid!),
        client: (own.user + own.system) / 1e6,
        wall: Date.now() / 1000,
      };
    };
    const before = used();
    const answers = await fire();
    const declared = answers.filter((a) => a !== undefined);
    if (declared.length < count) {
      // What failed sends nothing: the sink is told to expect only what was declared.
      throw new Error(`${count - declared.length} declarations failed`);
    }
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("e-mails still missing after 15 minutes")), 900_000).unref(),
    );
    const report = await Promise.race([done, timeout]);
    const after = used();
    const at = new Map(declared.map((d) => [d.id, d.at]));
    const latencies: number[] = [];
    for (const [messageId, acceptedAt] of report.times ?? []) {
      const incidentId = messageId.slice(PREFIX.length, PREFIX.length + 36);
      const t201 = at.get(incidentId);
      if (t201 !== undefined) latencies.push(acceptedAt - t201);
    }
    const first = Math.min(...declared.map((d) => d.at));
    const last = Math.max(...declared.map((d) => d.at));
    return {
      intakeSeconds: (last - first) / 1000,
      declared: declared.length,
      latencies,
      rate: latencies.length / ((report.done - first) / 1000),
      failed: count - declared.length,
      cpu: {
        workers: after.workers - before.workers,
        api: after.api - before.api,
        postgres: after.postgres - before.postgres,
        sink: after.sink - before.sink,
        client: after.client - before.client,
        wall: after.wall - before.wall,
      },
    };
  }

  /** `rate` declarations a second for `seconds`, each started on its own schedule, not after the last. */
  const paced = (rate: number, seconds: number) => async () => {
    const total = rate * seconds;
    const t0 = performance.now();
    const sent: Promise<{ id: string; at: number } | undefined>[] = [];
    for (let i = 0; i < total; i++) {
      const wait = t0 + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sent.push(declare());
    }
    return Promise.all(sent);
  };

  const flood = (total: number, connections: number) => async () => {
    const answers: ({ id: string; at: number } | undefined)[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < total) {
          next += 1;
          answers.push(await declare());
        }
      }),
    );
    return answers;
  };

  // Warm-up: JIT, pools, the SMTP connections.
  await phase(20, paced(10, 2));
  step("warm");

  const steady = await phase(STEADY_RATE * STEADY_SECONDS, paced(STEADY_RATE, STEADY_SECONDS));
  step("steady done");
  const settle = () => scratch.adminQuery("CHECKPOINT").then(() => new Promise((r) => setTimeout(r, 2000)));
  await settle();
  const burst = await phase(BURST_RATE * BURST_SECONDS, paced(BURST_RATE, BURST_SECONDS));
  step("burst done");
  await settle();
  const flooded = await phase(FLOOD, flood(FLOOD, FLOOD_CONNECTIONS));
  step("flood done");

  /**
   * The same flood with the worker(s) frozen (SIGSTOP) until the API has answered every declaration, then
   * let go (SIGCONT): e-mails per second from that moment to the last acceptance, the backlog a worker finds
   * when it comes back. The worker then has the machine the bare loop has: not the API's intake beside it.
   */
  async function backlog(): Promise<{ emails: number; rate: number; workerCpu: number; seconds: number }> {
    const emails = FLOOD * ANALYSTS;
    const { done } = await sink.expect(emails, { prefix: PREFIX });
    for (const w of workers) process.kill(w.pid!, "SIGSTOP");
    const answers = await flood(FLOOD, FLOOD_CONNECTIONS)();
    const failed = answers.filter((a) => a === undefined).length;
    if (failed > 0) throw new Error(`${failed} declarations of the backlog failed`);
    await new Promise((r) => setTimeout(r, 1000));
    const cpu0 = workers.reduce((sum, w) => sum + cpuSeconds(w.pid!), 0);
    const t0 = Date.now();
    for (const w of workers) process.kill(w.pid!, "SIGCONT");
    const report = await done;
    const seconds = (report.done - t0) / 1000;
    const workerCpu = workers.reduce((sum, w) => sum + cpuSeconds(w.pid!), 0) - cpu0;
    return { emails, rate: emails / seconds, workerCpu, seconds };
  }
  await settle();
  const drained = await backlog();
  step("backlog done");

  // The bare loop: as many messages as the flood's, rendered once, through the same pooled transport.
  const transport = createMailTransport({ ...base, SMTP_URL: smtpUrl });
  const bareCount = flooded.latencies.length;
  const text = `Un incident a été déclaré.\n\n${"Détails de la déclaration. ".repeat(20)}`;
  /**
   * `bareCount` messages, WINDOW at a time; e-mails per second from the first send to the last acceptance,
   * and the CPU seconds this process used meanwhile.
   */
  async function bareLoop(prefix: string): Promise<{ rate: number; cpu: number }> {
    const { done } = await sink.expect(bareCount, { prefix: `<${prefix}.` });
    const b0 = Date.now();
    const cpu0 = process.cpuUsage();
    let next = 0;
    await Promise.all(
      Array.from({ length: WINDOW }, async () => {
        while (next < bareCount) {
          const i = next++;
          await transport.send({
            to: `analyste${(i % ANALYSTS) + 1}@ars.bench.test`,
            subject: `[PRIS] Nouvel incident REU-2026-${String(i).padStart(5, "0")} — CH Banc d'essai`,
            text,
            html: `<p>${text}</p>`,
            messageId: `<${prefix}.${i}.${randomUUID()}@pris.example>`,
          });
        }
      }),
    );
    const rate = bareCount / (((await done).done - b0) / 1000);
    const { user, system } = process.cpuUsage(cpu0);
    return { rate, cpu: (user + system) / 1e6 };
  }
  const bare = await bareLoop("bare");
  const bareRate = bare.rate;
  // The same loop while the API takes another flood of declarations, the worker stopped (one worker
  // only): what the machine leaves the transport once the API and PostgreSQL take their share of the two
  // cores, as they do during the flood. Not the issue's baseline; what the flood competes with.
  let sharedRate: number | undefined;
  if (WORKERS === 1) {
    await new Promise((resolve) => {
      worker.once("exit", resolve);
      worker.kill("SIGTERM");
    });
    await settle();
    const [shared] = await Promise.all([bareLoop("shared"), flood(FLOOD, FLOOD_CONNECTIONS)()]);
    sharedRate = shared.rate;
  }
  transport.close();

  const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const line = (name: string, p: Phase) =>
    `${name.padEnd(30)} ${String(p.declared).padStart(6)} ${String(p.latencies.length).padStart(7)}  ` +
    `${fmt(percentile(p.latencies, 50)).padStart(8)} ${fmt(percentile(p.latencies, 99)).padStart(8)} ` +
    `${fmt(Math.max(...p.latencies)).padStart(8)} ${p.rate.toFixed(0).padStart(7)}`;
  console.log(
    `\n${ANALYSTS} analysts; SMTP pool ${base.SMTP_POOL_SIZE}, worker concurrency ${base.WORKER_CONCURRENCY}, outbox poll ${base.OUTBOX_POLL_MS} ms\n`,
  );
  console.log(
    `${"phase".padEnd(30)} ${"decl.".padStart(6)} ${"e-mails".padStart(7)}  ${"p50".padStart(8)} ${"p99".padStart(8)} ${"max".padStart(8)} ${"mail/s".padStart(7)}`,
  );
  console.log(line(`steady ${STEADY_RATE}/s × ${STEADY_SECONDS} s`, steady));
  console.log(line(`burst ${BURST_RATE}/s × ${BURST_SECONDS} s`, burst));
  console.log(line(`flood ${FLOOD}, ${FLOOD_CONNECTIONS} connections`, flooded));
  console.log(
    `${"bare pooled nodemailer".padEnd(30)} ${"".padStart(6)} ${String(bareCount).padStart(7)}  ${"".padStart(26)} ${bareRate.toFixed(0).padStart(7)}`,
  );
  console.log(
    `${`backlog of ${FLOOD}, worker let go`.padEnd(30)} ${String(FLOOD).padStart(6)} ${String(drained.emails).padStart(7)}  ${"".padStart(26)} ${drained.rate.toFixed(0).padStart(7)}`,
  );
  if (sharedRate !== undefined) {
    console.log(
      `${"bare, the API taking a flood".padEnd(30)} ${"".padStart(6)} ${String(bareCount).padStart(7)}  ${"".padStart(26)} ${sharedRate.toFixed(0).padStart(7)}`,
    );
  }
  console.log(
    `(the API answered the flood's ${flooded.declared} declarations in ${flooded.intakeSeconds.toFixed(1)} s, ` +
      `${(flooded.declared / flooded.intakeSeconds).toFixed(0)}/s; the e-mails took ${(flooded.latencies.length / flooded.rate).toFixed(1)} s)`,
  );
  // What each side costs in CPU, which the machine's load does not change as it changes rates.
  const ms = (seconds: number, per: number) => ((1000 * seconds) / per).toFixed(2);
  console.log(
    `CPU in the flood: the worker ${flooded.cpu.workers.toFixed(2)} s, ${ms(flooded.cpu.workers, flooded.latencies.length)} ms an e-mail ` +
      `(its declarations included); the API ${flooded.cpu.api.toFixed(2)} s, ${ms(flooded.cpu.api, flooded.declared)} ms a declaration; ` +
      `the bare loop ${bare.cpu.toFixed(2)} s, ${ms(bare.cpu, bareCount)} ms an e-mail`,
  );
  const { cpu } = flooded;
  console.log(
    `Two cores for ${cpu.wall.toFixed(1)} s of flood: ${(2 * cpu.wall).toFixed(1)} CPU seconds, of which the worker ${cpu.workers.toFixed(1)}, ` +
      `the API ${cpu.api.toFixed(1)}, PostgreSQL ${cpu.postgres.toFixed(1)}, the SMTP sink ${cpu.sink.toFixed(1)}, ` +
      `the benchmark's HTTP clients ${cpu.client.toFixed(1)}`,
  );
  console.log(
    `The backlog: ${drained.emails} e-mails in ${drained.seconds.toFixed(1)} s once the worker was let go, ` +
      `the worker ${drained.workerCpu.toFixed(2)} s of CPU, ${ms(drained.workerCpu, drained.emails)} ms an e-mail`,
  );
  const steadyP99 = percentile(steady.latencies, 99);
  const burstP99 = percentile(burst.latencies, 99);
  const ratio = flooded.rate / bareRate;
  const backlogRatio = drained.rate / bareRate;
  const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
  console.log(
    `\np99 at ${STEADY_RATE}/s ${fmt(steadyP99)} (target < 1 s: ${verdict(steadyP99 < 1000)}); ` +
      `p99 in the burst ${fmt(burstP99)} (target < 5 s: ${verdict(burstP99 < 5000)}); ` +
      `throughput: the backlog's ${backlogRatio.toFixed(2)}× bare (target ≥ 0.8: ${verdict(backlogRatio >= 0.8)}), ` +
      `the flood's ${ratio.toFixed(2)}× bare while the API takes it on the same cores` +
      (sharedRate === undefined
        ? ""
        : ` (${(flooded.rate / sharedRate).toFixed(2)}× the bare loop beside such a flood)`),
  );
  await db.end();
}

runBench(main, { children, scratch });
