/**
 * pnpm bench:fanout — one alert bulletin to 10,000 recipients through the real path (API publication, the
 * worker's fan-out from PostgreSQL through its pooled SMTP transport, every delivery recorded), side by
 * side in the same run with a bare loop: the same pooled nodemailer transport (the worker's
 * createMailTransport, same pool size and timeouts) sending the same 10,000 messages, rendered beforehand,
 * 200 at a time, with no database at all. Both send to an SMTP server on loopback that accepts everything
 * and runs in its own process (tests/bench/smtp-sink.ts), so it never shares a core with either side.
 *
 * It creates a scratch database, migrates it, seeds 5,000 establishments with an RSSI contact and a
 * functional mailbox each (10,000 recipients), starts the API and the worker as child processes (as
 * production runs them), warms them up, then for each round publishes a bulletin and times it from the
 * publication's answer to the 10,000th message accepted, while sampling the worker's resident memory, then
 * runs the bare loop. Prints messages per second, the ratio (target ≥ 0.70) and the worker's peak RSS
 * (target < 250 MB), then stops everything and drops the database.
 * Knobs: BENCH_RECIPIENTS (10000, even), BENCH_ROUNDS (2), BENCH_WINDOW (200: the bare loop's sends in
 * flight), BENCH_WORKER_NODE_OPTIONS (docker-compose's), BENCH_DEBUG=1 (steps on stderr), BENCH_KEEP=1,
 * BENCH_SMTP_PORT and BENCH_API_PORT (default: any free port), SMTP_POOL_SIZE (5), BULLETIN_BATCH_SIZE (200),
 * DATABASE_URL, REDIS_URL.
 */
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { hashPassword } from "@pris/api";
import { loadConfig } from "@pris/config";
import { createMailTransport } from "@pris/worker";
import pg from "pg";
import { type BulletinForMail, bulletinMailer } from "../../services/worker/src/bulletins/bulletin-mail.ts";
import { migrateWithPasswordOnly } from "../support/migrate.ts";
import {
  Children,
  cpuSeconds,
  scratchDatabase,
  sinkPort,
  startServices,
  startSink,
  WORKER_NODE_OPTIONS,
} from "./support.ts";

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 200);
const PASSWORD = "bench-password-1234";
const TARGET_RATIO = 0.7;
const TARGET_RSS_MB = 250;

const base = loadConfig();
const scratch = scratchDatabase(base.DATABASE_URL, "pris_bench_fanout");
const children = new Children();
const JWT_SECRET = randomUUID() + randomUUID();
const PUBLIC_URL = "https://pris.bench.test";

function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function main() {
  const step = (s: string) => process.env.BENCH_DEBUG && console.error(new Date().toISOString(), s);
  await scratch.create();
  step("created");
  await migrateWithPasswordOnly(scratch.url);
  const db = new pg.Pool({ connectionString: scratch.url, max: 2 });
  const hash = await hashPassword(PASSWORD);
  await db.query(`INSERT INTO territories (code, name) VALUES ('bench', 'Banc'), ('warm', 'Chauffe')`);
  await db.query(
    `INSERT INTO establishments (id, finess, name, category, sector, territory, contacts)
     SELECT gen_random_uuid(), '97' || lpad(i::text, 7, '0'), 'Établissement ' || i, 'ehpad', 'esms',
       CASE WHEN i = 0 THEN 'warm' ELSE 'bench' END,
       jsonb_build_object('rssi', jsonb_build_object('name', 'RSSI ' || i, 'email', 'rssi' || i || '@etab.bench.test'),
                          'functionalMailbox', 'ssi' || i || '@etab.bench.test')
     FROM generate_series(0, $1::int) AS i`,
    [RECIPIENTS / 2],
  );
  await db.query(
    `INSERT INTO users (id, email, display_name, role, password_hash) VALUES (gen_random_uuid(), 'analyst@bench.test', 'Banc', 'analyst', $1)`,
    [hash],
  );
  await db.query("VACUUM ANALYZE");

  const sink = startSink(await sinkPort());
  sinkChild = sink.child;
  step("sink started");
  await sink.listening;
  step("sink listening");
  const smtpUrl = sink.url;
  const { origin, worker } = await startServices(
    children,
    {
      DATABASE_URL: scratch.url,
      REDIS_URL: base.REDIS_URL,
      SMTP_URL: smtpUrl,
      JWT_SECRET,
      PUBLIC_URL,
      SMTP_POOL_SIZE: String(base.SMTP_POOL_SIZE),
      BULLETIN_BATCH_SIZE: String(base.BULLETIN_BATCH_SIZE),
    },
    30_000,
  );
  const idle = () => rssMb(worker.pid!);
  const login = await fetch(`${origin}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "analyst@bench.test", password: PASSWORD }),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const headers = { authorization: `Bearer ${accessToken}`, "content-type": "application/json" };
  step("signed in");

  const publish = async (territory: string) => {
    const draft = {
      kind: "alerte",
      tlp: "AMBER",
      audience: { territories: [territory] },
      title: "Vulnérabilité critique activement exploitée dans les passerelles VPN",
      summary:
        "Une vulnérabilité de contournement d'authentification est exploitée pour déployer un rançongiciel. " +
        "Plusieurs établissements de santé en France ont été touchés cette semaine.",
      risks: ["Exécution de code arbitraire à distance", "Rançongiciel"],
      affectedSystems: "Passerelles VPN SSL exposées sur Internet",
      products: [{ vendor: "Fortinet", product: "FortiGate", versions: "7.0 à 7.4.2" }],
      recommendations:
        "Appliquer le correctif, réinitialiser les secrets des comptes VPN, rechercher les observables.",
      cves: ["CVE-2026-12345"],
      links: ["https://www.cert.ssi.gouv.fr/alerte/CERTFR-2026-ALE-001/"],
      observables: [
        { type: "ipv4", value: "185.220.101.7" },
        { type: "domain", value: "update-fortigate.example" },
      ],
      severity: "critical",
    };
    const created = (await (
      await fetch(`${origin}/api/v1/bulletins`, { method: "POST", headers, body: JSON.stringify(draft) })
    ).json()) as { id: string };
    const started = Date.now();
    const res = await fetch(`${origin}/api/v1/bulletins/${created.id}/publish`, {
      method: "POST",
      headers: { authorization: headers.authorization },
    });
    if (!res.ok) throw new Error(`publish: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { deliveries: number };
    return { id: created.id, deliveries: body.deliveries, publishMs: Date.now() - started };
  };

  step("api up");
  const idleRss = idle();
  // Warm-up: the worker is up and its SMTP pool open.
  const warm = await sink.expect(2);
  step("sink expecting");
  await publish("warm");
  step("published");
  await warm.done;
  step("warm");

  const transport = createMailTransport({ ...base, SMTP_URL: smtpUrl });
  const rows: { worker: number; bare: number; rss: number; publishMs: number; duplicates: number }[] = [];
  console.log(
    `${RECIPIENTS.toLocaleString("en")} recipients, SMTP pool ${base.SMTP_POOL_SIZE}, batch ${base.BULLETIN_BATCH_SIZE}, ` +
      `bare window ${WINDOW}; worker NODE_OPTIONS "${WORKER_NODE_OPTIONS}", idle RSS ${idleRss.toFixed(0)} MB\n`,
  );
  for (let round = 1; round <= ROUNDS; round += 1) {
    // The worker.
    const { done } = await sink.expect(RECIPIENTS);
    let peak = rssMb(worker.pid!);
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(worker.pid!));
    }, 50);
    const published = await publish("bench");
    const t0 = Date.now();
    const cpu0 = cpuSeconds(worker.pid!);
    const report = await done;
    if (published.deliveries !== RECIPIENTS)
      throw new Error(`expected ${RECIPIENTS} deliveries, got ${published.deliveries}`);
    if (report.distinct !== RECIPIENTS || report.messageIds !== RECIPIENTS)
      throw new Error(
        `worker: ${report.distinct} recipients, ${report.messageIds} Message-IDs for ${RECIPIENTS}`,
      );
    // Done means accepted by the server and recorded as sent, whichever comes last.
    let recordedAt = Date.now();
    for (;;) {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM bulletin_deliveries WHERE bulletin_id = $1 AND status <> 'sent'`,
        [published.id],
      );
      recordedAt = Date.now();
      if (rows[0]!.n === 0) break;
      if (recordedAt - report.done > 30_000)
        throw new Error(`${rows[0]!.n} deliveries never recorded as sent`);
      await new Promise((r) => setTimeout(r, 10));
    }
    clearInterval(sampler);
    const workerCpu = cpuSeconds(worker.pid!) - cpu0;
    const workerRate = RECIPIENTS / ((Math.max(report.done, recordedAt) - t0) / 1000);

    // The bare loop: the same messages, rendered beforehand, through the same kind of pooled transport.
    const bulletin = (
      await db.query(
        `SELECT b.id, b.reference, b.kind, b.status, b.tlp, b.severity, b.title, b.summary, b.risks,
           b.affected_systems AS "affectedSystems", b.products, b.recommendations, b.cves, b.links, b.observables,
           b.revision, '' AS changes
         FROM bulletins b WHERE b.id = $1`,
        [published.id],
      )
    ).rows[0] as BulletinForMail;
    const recipients = (
      await db.query<{ id: string; name: string; email: string; role: string; message_id: string }>(
        `SELECT r.id, r.name, r.email, r.role, d.message_id FROM bulletin_recipients r
         JOIN bulletin_deliveries d ON d.recipient_id = r.id WHERE r.bulletin_id = $1`,
        [published.id],
      )
    ).rows;
    const mailer = bulletinMailer(bulletin, { ...base, PUBLIC_URL, JWT_SECRET });
    const messages = recipients.map((r) => ({
      ...mailer(r, "revision-1"),
      to: r.email,
      messageId: r.message_id.replace("@", ".bare@"),
    }));
    const { done: bareDone } = await sink.expect(RECIPIENTS);
    const b0 = Date.now();
    const bareCpu0 = process.cpuUsage();
    let next = 0;
    await Promise.all(
      Array.from({ length: WINDOW }, async () => {
        while (next < messages.length) {
          const m = messages[next++]!;
          await transport.send(m);
        }
      }),
    );
    const bareReport = await bareDone;
    const bareUsage = process.cpuUsage(bareCpu0);
    const bareCpu = (bareUsage.user + bareUsage.system) / 1e6;
    const bareRate = RECIPIENTS / ((bareReport.done - b0) / 1000);
    rows.push({
      worker: workerRate,
      bare: bareRate,
      rss: peak,
      publishMs: published.publishMs,
      duplicates: report.duplicates,
    });
    console.log(
      `round ${round}: worker ${workerRate.toFixed(0)} msg/s (CPU ${workerCpu.toFixed(1)} s, peak RSS ${peak.toFixed(0)} MB, ` +
        `${report.duplicates} duplicates; publication ${published.publishMs} ms) · bare ${bareRate.toFixed(0)} msg/s (CPU ${bareCpu.toFixed(1)} s) · ratio ${(workerRate / bareRate).toFixed(2)}`,
    );
  }
  transport.close();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ratio = median(rows.map((r) => r.worker / r.bare));
  const rss = Math.max(...rows.map((r) => r.rss));
  console.log(
    `\nmedian: worker ${median(rows.map((r) => r.worker)).toFixed(0)} msg/s, bare ${median(rows.map((r) => r.bare)).toFixed(0)} msg/s, ` +
      `ratio ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? "met" : "MISSED"}); ` +
      `worker peak RSS ${rss.toFixed(0)} MB (target < ${TARGET_RSS_MB} MB: ${rss < TARGET_RSS_MB ? "met" : "MISSED"})`,
  );
  await db.end();
}

let sinkChild: ChildProcess | undefined;

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    sinkChild?.kill();
    await children.stopAll();
    if (!process.env.BENCH_KEEP) await scratch.drop().catch(() => {});
    process.exit();
  });
