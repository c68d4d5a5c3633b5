/**
 * pnpm bench:intake-mail — how fast the worker's mailbox reader (services/worker/src/intake) turns a full
 * mailbox into declarations, replies and quarantined messages, against a bare `imapflow` read of the same
 * mailbox in the same run.
 *
 * It creates a scratch database, migrates it, seeds BENCH_ESTABLISHMENTS establishments (10), each with an
 * RSSI account (the directory's known senders) and an API key, starts the API as a child process and
 * declares one incident per establishment through it (the incidents the replies answer). It starts a
 * private Dovecot (tests/support/dovecot.ts) and fills its INBOX over one IMAP connection with
 * BENCH_MESSAGES messages (500): a BENCH_REPLY_SHARE (0.2) of replies from an RSSI naming its own
 * incident's reference in the subject, a BENCH_UNKNOWN_SHARE (0.1) from addresses the directory does not
 * know, the rest new declarations from the RSSIs; every message has a French text of about
 * BENCH_BODY_BYTES (1500) with a quoted history, and a BENCH_ATTACHMENT_SHARE (0.1) carries a
 * BENCH_ATTACHMENT_KB (100) KB attachment. Then, the mailbox full:
 *   1. bare: a read-only session fetches every message's source (BODY.PEEK[]) in one FETCH and parses
 *      nothing; then the same with each source parsed by mailparser's simpleParser; then one FETCH per
 *      message, parsed (the reader's IMAP pattern without its database);
 *   2. reader: the worker starts (as production runs it, INTAKE_IMAP_URL set) and reads the mailbox; the
 *      rate is taken from the first `mail_intake` row's time (its transaction's start) to the moment every
 *      message's row is seen committed, polled every 0.1 s (the worker's start-up is left out, and printed
 *      apart).
 * Prints a table: messages, seconds, messages per second, and the reader's ratio to each bare read; then
 * the outcomes, and stops everything and drops the database. Other knobs: BENCH_IMAP_PORT, BENCH_API_PORT
 * and BENCH_SMTP_PORT (default: any free port), BENCH_TIMEOUT_SECONDS (600), BENCH_KEEP=1, BENCH_DEBUG=1,
 * BENCH_CPU_PROF=worker, DATABASE_URL, REDIS_URL.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import { generateApiKey } from "@pris/api";
import { loadConfig } from "@pris/config";
import { ImapFlow } from "imapflow";
import { simpleParser } from "mailparser";
import type pg from "pg";
import { type PrivateDovecot, startDovecot } from "../support/dovecot.ts";
import {
  Children,
  createBenchDatabase,
  freePort,
  httpAgent,
  listeningSink,
  runBench,
  scratchDatabase,
  servicesEnv,
  startApi,
  startWorkerProcess,
} from "./support.ts";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 500);
const ESTABLISHMENTS = Number(process.env.BENCH_ESTABLISHMENTS ?? 10);
const REPLY_SHARE = Number(process.env.BENCH_REPLY_SHARE ?? 0.2);
const UNKNOWN_SHARE = Number(process.env.BENCH_UNKNOWN_SHARE ?? 0.1);
const ATTACHMENT_SHARE = Number(process.env.BENCH_ATTACHMENT_SHARE ?? 0.1);
const ATTACHMENT_KB = Number(process.env.BENCH_ATTACHMENT_KB ?? 100);
const BODY_BYTES = Number(process.env.BENCH_BODY_BYTES ?? 1500);
const TIMEOUT_SECONDS = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 600);

const base = loadConfig();
const scratch = scratchDatabase(base.DATABASE_URL, "pris_bench_intake_mail");
const children = new Children();
const step = (s: string) => process.env.BENCH_DEBUG && console.error(new Date().toISOString(), s);

const SENTENCES = [
  "Les postes du service des urgences affichent une note de rançon depuis 6 h ce matin.",
  "Le dossier patient informatisé est inaccessible, nous travaillons en procédures dégradées.",
  "Le prestataire d'infogérance a coupé l'accès distant par précaution.",
  "Plusieurs comptes de messagerie ont envoyé des courriels d'hameçonnage cette nuit.",
  "Les sauvegardes de la nuit se sont terminées en erreur sur deux serveurs.",
  "Merci de nous rappeler au standard, la messagerie interne est coupée.",
];

function text(n: number): string {
  const lines: string[] = ["Bonjour,", ""];
  let size = 0;
  for (let i = 0; size < BODY_BYTES; i++) {
    const s = SENTENCES[(n + i) % SENTENCES.length]!;
    lines.push(s);
    size += Buffer.byteLength(s) + 2;
  }
  lines.push("", "Cordialement,", "", "Le lun. 7 déc. 2026 à 06:10, Service informatique a écrit :");
  lines.push("> Les serveurs de fichiers ne répondent plus.", "> Pouvez-vous vérifier ?");
  return lines.join("\r\n");
}

interface Sender {
  name: string;
  address: string;
}

/** One raw message; base64 attachment when asked. */
function rawMessage(n: number, from: Sender, subject: string, attachment: Buffer | null): string {
  const head = [
    `Message-ID: <bench.${n}.${randomBytes(6).toString("hex")}@mail.bench.test>`,
    `Date: ${new Date(Date.now() - 60_000).toUTCString()}`,
    `From: ${from.name} <${from.address}>`,
    "To: cyber@pole.bench.test",
    `Subject: =?UTF-8?B?${Buffer.from(subject).toString("base64")}?=`,
    "Authentication-Results: mx.pole.bench.test; spf=pass smtp.mailfrom=bench.test; dkim=pass; dmarc=pass",
    "MIME-Version: 1.0",
  ];
  const body = text(n);
  if (!attachment) {
    return [
      ...head,
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      body,
      "",
    ].join("\r\n");
  }
  const boundary = `b-${randomBytes(8).toString("hex")}`;
  const encoded = attachment.toString("base64").replace(/.{76}/g, "$&\r\n");
  return [
    ...head,
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    body,
    `--${boundary}`,
    `Content-Type: image/png; name="capture-${n}.png"`,
    `Content-Disposition: attachment; filename="capture-${n}.png"`,
    "Content-Transfer-Encoding: base64",
    "",
    encoded,
    `--${boundary}--`,
    "",
  ].join("\r\n");
}

function imapClient(dovecot: PrivateDovecot): ImapFlow {
  return new ImapFlow({
    host: dovecot.host,
    port: dovecot.port,
    secure: false,
    auth: { user: dovecot.user, pass: dovecot.password },
    logger: false,
  });
}

/** One bare read of the whole mailbox, read-only (nothing flagged); messages per second. */
async function bareRead(
  dovecot: PrivateDovecot,
  mode: "one-fetch" | "one-fetch-parsed" | "fetch-each-parsed",
): Promise<{ count: number; seconds: number; bytes: number }> {
  const client = imapClient(dovecot);
  await client.connect();
  await client.mailboxOpen("INBOX", { readOnly: true });
  let count = 0;
  let bytes = 0;
  const t0 = performance.now();
  if (mode === "fetch-each-parsed") {
    const uids = (await client.search({ all: true }, { uid: true })) || [];
    for (const uid of uids) {
      const m = await client.fetchOne(String(uid), { source: true }, { uid: true });
      if (m === false || !m.source) continue;
      await simpleParser(m.source);
      bytes += m.source.length;
      count++;
    }
  } else {
    for await (const m of client.fetch("1:*", { uid: true, source: true })) {
      if (!m.source) continue;
      if (mode === "one-fetch-parsed") await simpleParser(m.source);
      bytes += m.source.length;
      count++;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  await client.logout();
  return { count, seconds, bytes };
}

function declare(origin: string, apiKey: string, n: number): Promise<string> {
  const body = JSON.stringify({
    declarant: { name: `RSSI ${n}`, phone: "+262 692 00 00 00" },
    detectedAt: new Date(Date.now() - 600_000).toISOString(),
    ongoing: true,
    title: `Incident suivi par courriel ${n}`,
    description: "Connexions anormales depuis l'accès distant du prestataire.",
    rsitClass: "malicious-code",
    rsitType: "infected-system",
    suspectedMalicious: "yes",
    affectedServices: ["dpi"],
    impactGrade: 1,
    spread: "single_site",
    personalData: { breach: "unknown" },
    support: { requested: false },
    nationalPortal: { declared: false },
    complaintFiled: false,
    tlp: "AMBER",
  });
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${origin}/api/v1/incidents`,
      {
        method: "POST",
        agent: httpAgent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          authorization: `ApiKey ${apiKey}`,
          "idempotency-key": randomUUID(),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const answer = Buffer.concat(chunks).toString();
          if (res.statusCode !== 201) return reject(new Error(`declaration ${res.statusCode}: ${answer}`));
          resolve((JSON.parse(answer) as { reference: string }).reference);
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

let dovecot: PrivateDovecot | undefined;

/** User and system CPU seconds of a process so far, from /proc (0 where there is none). */
function cpuSeconds(pid: number | undefined): number {
  try {
    // Fields 14 and 15 (utime, stime) after the command's closing parenthesis, in clock ticks (100 a second).
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The CPU seconds of each PostgreSQL backend connected to the scratch database (same machine only). */
async function postgresCpu(db: pg.Pool): Promise<Map<number, number>> {
  const { rows } = await db.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
  );
  return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]));
}

async function main() {
  const db = await createBenchDatabase(scratch);
  step("migrated");
  const rssis: Sender[] = [];
  const keys: string[] = [];
  for (let i = 1; i <= ESTABLISHMENTS; i++) {
    const est = (
      await db.query<{ id: string }>(
        `INSERT INTO establishments (id, finess, name, category, sector, territory, nis2_status)
         VALUES (gen_random_uuid(), $1, $2, 'ch', 'es', 'sud', 'important') RETURNING id`,
        [`97${String(i).padStart(7, "0")}`, `CH Banc d'essai ${i}`],
      )
    ).rows[0]!;
    const rssi = { name: `RSSI ${i}`, address: `rssi.${i}@ch-${i}.bench.test` };
    rssis.push(rssi);
    // A hash nothing matches: the account only writes e-mails here.
    await db.query(
      `INSERT INTO users (id, email, display_name, role, establishment_id, password_hash)
       VALUES (gen_random_uuid(), $1, $2, 'rssi', $3, '!')`,
      [rssi.address, rssi.name, est.id],
    );
    const key = generateApiKey();
    await db.query(
      `INSERT INTO api_keys (id, establishment_id, name, prefix, secret_hash)
       VALUES (gen_random_uuid(), $1, 'bench', $2, $3)`,
      [est.id, key.prefix, key.secretHash],
    );
    keys.push(key.key);
  }

  // The acknowledgements go to a sink of their own process.
  const sink = await listeningSink(children);
  const env = servicesEnv({ DATABASE_URL: scratch.url, REDIS_URL: base.REDIS_URL, SMTP_URL: sink.url });
  const origin = await startApi(children, env);
  const references = await Promise.all(keys.map((k, i) => declare(origin, k, i + 1)));
  step(`declared ${references.join(", ")}`);

  dovecot = await startDovecot({
    port: process.env.BENCH_IMAP_PORT ? Number(process.env.BENCH_IMAP_PORT) : await freePort(),
  });
  const attachment = randomBytes(ATTACHMENT_KB * 1024);
  const kinds = { declaration: 0, reply: 0, unknown: 0, attachments: 0 };
  const filler = imapClient(dovecot);
  await filler.connect();
  const f0 = performance.now();
  let mailboxBytes = 0;
  for (let n = 0; n < MESSAGES; n++) {
    // Spread evenly through the mailbox rather than drawn at random: the same mix on every run.
    const r = (((n * 0.618_033_988_75) % 1) + 1) % 1;
    const e = n % ESTABLISHMENTS;
    const kind = r < UNKNOWN_SHARE ? "unknown" : r < UNKNOWN_SHARE + REPLY_SHARE ? "reply" : "declaration";
    // Replies carry no attachment: screenshots come with the declaration.
    const withAttachment = kind !== "reply" && (n * 0.414_213_562_37) % 1 < ATTACHMENT_SHARE;
    kinds[kind]++;
    if (withAttachment) kinds.attachments++;
    const raw =
      kind === "unknown"
        ? rawMessage(
            n,
            { name: `Inconnu ${n}`, address: `inconnu.${n}@messagerie.example` },
            `Question sur un courriel suspect ${n}`,
            withAttachment ? attachment : null,
          )
        : kind === "reply"
          ? rawMessage(n, rssis[e]!, `RE: [${references[e]}] Point de situation ${n}`, null)
          : rawMessage(
              n,
              rssis[e]!,
              `Incident ${n} : postes chiffrés au service d'imagerie`,
              withAttachment ? attachment : null,
            );
    mailboxBytes += Buffer.byteLength(raw);
    await filler.append("INBOX", raw, []);
  }
  const fillSeconds = (performance.now() - f0) / 1000;
  await filler.logout();
  step(`filled ${MESSAGES} in ${fillSeconds.toFixed(1)} s`);

  // 1. The bare reads, read-only.
  const bare = {
    oneFetch: await bareRead(dovecot, "one-fetch"),
    oneFetchParsed: await bareRead(dovecot, "one-fetch-parsed"),
    fetchEachParsed: await bareRead(dovecot, "fetch-each-parsed"),
  };
  step("bare reads done");

  // 2. The worker's reader.
  const w0 = Date.now();
  const worker = startWorkerProcess(children, { ...env, INTAKE_IMAP_URL: dovecot.url });
  const deadline = w0 + TIMEOUT_SECONDS * 1000;
  let progress = { count: 0, first: 0 };
  // CPU the worker and the scratch database's PostgreSQL backends spend from the first row on (a shared
  // machine's load stretches the wall time; the CPU a message costs moves less).
  let cpuAtFirst: { worker: number; postgres: Map<number, number> } | undefined;
  const cpu = async () => ({ worker: cpuSeconds(worker.pid), postgres: await postgresCpu(db) });
  while (progress.count < MESSAGES) {
    if (Date.now() > deadline) {
      throw new Error(`${progress.count} of ${MESSAGES} messages processed after ${TIMEOUT_SECONDS} s`);
    }
    await new Promise((r) => setTimeout(r, 100));
    const { rows } = await db.query<{ count: string; first: Date | null }>(
      "SELECT count(*) AS count, min(received_at) AS first FROM mail_intake",
    );
    progress = { count: Number(rows[0]!.count), first: rows[0]!.first?.getTime() ?? 0 };
    if (progress.count > 0 && !cpuAtFirst) cpuAtFirst = await cpu();
  }
  // The end is when every row was seen committed (polled every 0.1 s), not the last row's received_at:
  // that is its transaction's start, and the reader commits several messages in one transaction.
  const end = Date.now();
  const wallSeconds = (end - w0) / 1000;
  const readerSeconds = (end - progress.first) / 1000;
  const readerRate = MESSAGES / readerSeconds;
  const cpuAtEnd = await cpu();
  const workerCpu = cpuAtEnd.worker - (cpuAtFirst?.worker ?? 0);
  const databaseCpu = [...cpuAtEnd.postgres].reduce(
    (sum, [pid, seconds]) => sum + seconds - (cpuAtFirst?.postgres.get(pid) ?? 0),
    0,
  );
  const outcomes = await db.query<{ outcome: string; reason: string | null; count: string }>(
    `SELECT outcome, quarantine_reason AS reason, count(*) AS count FROM mail_intake
     GROUP BY 1, 2 ORDER BY 1, 2`,
  );

  const rate = (r: { count: number; seconds: number }) => r.count / r.seconds;
  const row = (name: string, count: number, seconds: number, vsReader: string) =>
    `${name.padEnd(52)} ${String(count).padStart(6)} ${seconds.toFixed(2).padStart(8)} ${(count / seconds).toFixed(0).padStart(8)} ${vsReader.padStart(10)}`;
  const ratio = (r: { count: number; seconds: number }) => `${(readerRate / rate(r)).toFixed(3)}×`;
  console.log(
    `\n${MESSAGES} messages (${kinds.declaration} declarations, ${kinds.reply} replies, ${kinds.unknown} unknown senders; ` +
      `${kinds.attachments} with a ${ATTACHMENT_KB} KB attachment), ${(mailboxBytes / 1024 / 1024).toFixed(1)} MB; ` +
      `${ESTABLISHMENTS} establishments; mailbox filled in ${fillSeconds.toFixed(1)} s (APPEND, one connection)\n`,
  );
  console.log(
    `${"read".padEnd(52)} ${"msgs".padStart(6)} ${"seconds".padStart(8)} ${"msg/s".padStart(8)} ${"reader is".padStart(10)}`,
  );
  console.log(
    row(
      "bare imapflow, one FETCH of every source",
      bare.oneFetch.count,
      bare.oneFetch.seconds,
      ratio(bare.oneFetch),
    ),
  );
  console.log(
    row(
      "bare imapflow, one FETCH, each parsed by mailparser",
      bare.oneFetchParsed.count,
      bare.oneFetchParsed.seconds,
      ratio(bare.oneFetchParsed),
    ),
  );
  console.log(
    row(
      "bare imapflow, one FETCH per message, parsed",
      bare.fetchEachParsed.count,
      bare.fetchEachParsed.seconds,
      ratio(bare.fetchEachParsed),
    ),
  );
  console.log(row("worker's mailbox reader (first row to all committed)", MESSAGES, readerSeconds, ""));
  console.log(
    `\nworker start to last commit: ${wallSeconds.toFixed(1)} s (start-up, lock and IMAP login included)`,
  );
  console.log(
    `CPU from the first row to the last: worker ${workerCpu.toFixed(1)} s (${((workerCpu / MESSAGES) * 1000).toFixed(1)} ms a message), ` +
      `the database's PostgreSQL backends ${databaseCpu.toFixed(1)} s (${((databaseCpu / MESSAGES) * 1000).toFixed(1)} ms a message)`,
  );
  console.log(
    `outcomes: ${outcomes.rows.map((o) => `${o.outcome}${o.reason ? ` (${o.reason})` : ""} ${o.count}`).join(", ")}`,
  );
  await db.end();
}

runBench(main, { children, scratch, stop: async () => dovecot?.stop() });
