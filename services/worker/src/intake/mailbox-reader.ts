import { mailIntake } from "@pris/db";
import { and, eq, max } from "drizzle-orm";
import { ImapFlow, type MessageEnvelopeObject } from "imapflow";
import pg from "pg";
import type { WorkerContext } from "../context.ts";
import { type IntakeOutcome, type MailboxPlace, processMessage, quarantineUnread } from "./intake-effects.ts";
import { readMessage } from "./message.ts";

export interface MailboxReaderOptions {
  /** How often the mailbox is looked at when IDLE said nothing. Default INTAKE_POLL_SECONDS. */
  pollMs?: number;
  /** How often a reader that is not the one asks again to become it. Default the poll interval. */
  leadershipRetryMs?: number;
}

export interface MailboxReader {
  start(): void;
  /** Whether this process holds the reader's lock and reads the mailbox now. */
  reading(): boolean;
  /** Looks at the mailbox now (the poll, without waiting for it). */
  wake(): void;
  stop(): Promise<void>;
}

/** The highest UID of the folder the intake processed in this UIDVALIDITY; 0 when none. */
async function lastProcessedUid(ctx: WorkerContext, mailbox: string, uidValidity: number): Promise<number> {
  const [row] = await ctx.db
    .select({ last: max(mailIntake.uid) })
    .from(mailIntake)
    .where(and(eq(mailIntake.mailbox, mailbox), eq(mailIntake.uidValidity, uidValidity)));
  return Number(row?.last ?? 0);
}

/** What the server says of a message, for one quarantined unread (too large, or not parseable). */
function summaryOf(
  m: { uid: number; size: number; envelope: MessageEnvelopeObject | undefined },
  uidValidity: number,
) {
  const from = m.envelope?.from?.[0];
  const date = m.envelope?.date ? new Date(m.envelope.date) : null;
  return {
    messageId: m.envelope?.messageId || `<uid.${uidValidity}.${m.uid}@intake.invalid>`,
    fromAddress: from?.address?.toLowerCase() ?? null,
    fromName: from?.name || null,
    subject: (m.envelope?.subject ?? "").replace(/\s+/g, " ").trim(),
    sentAt: date && !Number.isNaN(date.getTime()) ? date : null,
    size: m.size,
  };
}

/** One reader at a time across replicas: a session-level advisory lock on this key. */
export function intakeLockKey(mailbox: string): string {
  return `pris.mail-intake:${mailbox}`;
}

function sleep(ms: number, signal: { stopped: boolean }, wakeUp: (fn: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    if (signal.stopped) return resolve();
    const t = setTimeout(resolve, ms);
    wakeUp(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/**
 * Reads the intake mailbox (INTAKE_IMAP_URL) and turns each unseen message into its effect, once.
 *
 * One reader at a time: the process that holds a PostgreSQL advisory lock, taken on a connection of its
 * own and held as long as that session lives. PostgreSQL rather than a Redis lock because the reader
 * needs PostgreSQL anyway to commit what it reads, a session lock needs no renewal or time-to-live to
 * tune, and it is released by the server the moment the process dies or its connection drops — while
 * a Redis lock can be lost in a wipe or a failover with its holder still reading. The lock is not what
 * makes messages processed once (the mail_intake row is): it keeps replicas from racing for each one.
 *
 * Each round lists the unseen messages, then fetches, processes and commits them one by one, and flags
 * each \Seen only after its transaction committed. Between rounds the connection IDLEs: a new message
 * (IMAP EXISTS) starts a round at once, and a poll timer starts one anyway, for servers without IDLE
 * and notifications lost on the way.
 */
export function createMailboxReader(ctx: WorkerContext, options: MailboxReaderOptions = {}): MailboxReader {
  const { config, logger } = ctx;
  const url = new URL(config.INTAKE_IMAP_URL);
  const mailbox = config.INTAKE_MAILBOX;
  const pollMs = options.pollMs ?? config.INTAKE_POLL_SECONDS * 1000;
  const retryMs = options.leadershipRetryMs ?? pollMs;
  const state = { stopped: false };
  let leader = false;
  let waiter: (() => void) | undefined;
  let pending = false;
  let loop: Promise<void> | undefined;
  let imap: ImapFlow | undefined;
  let lockClient: pg.Client | undefined;

  function wake() {
    pending = true;
    const w = waiter;
    waiter = undefined;
    w?.();
  }
  const onWake = (fn: () => void) => {
    waiter = fn;
  };

  /** The lock's own session; resolves to it if the lock is ours, undefined if another holds it. */
  async function takeLock(): Promise<pg.Client | undefined> {
    const client = new pg.Client({
      connectionString: config.DATABASE_URL,
      application_name: "pris-worker-intake-lock",
      connectionTimeoutMillis: 5_000,
    });
    client.on("error", (err) => {
      logger.warn({ err }, "the intake reader's lock connection was lost; it stops reading");
      leader = false;
      wake();
    });
    await client.connect();
    const { rows } = await client.query<{ ok: boolean }>(
      "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok",
      [intakeLockKey(mailbox)],
    );
    if (rows[0]?.ok) return client;
    await client.end().catch(() => {});
    return undefined;
  }

  function connectImap(): ImapFlow {
    return new ImapFlow({
      host: url.hostname,
      port: Number(url.port) || (url.protocol === "imaps:" ? 993 : 143),
      secure: url.protocol === "imaps:",
      auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) },
      logger: false,
      // Commands end the IDLE; imapflow goes back to it on its own between them.
      maxIdleTime: Math.max(pollMs, 60_000),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 5 * 60_000,
    });
  }

  async function round(client: ImapFlow): Promise<number> {
    const box = client.mailbox;
    if (!box) throw new Error("mailbox not open");
    const uidValidity = Number(box.uidValidity);
    // Unseen messages, and every one that arrived after the last processed: a person of the pole who
    // opened a new message in their own client (flagging it \Seen) does not keep it from the intake.
    // Before any was processed in this UIDVALIDITY, only the unseen: years of read mail are not declared.
    const last = await lastProcessedUid(ctx, mailbox, uidValidity);
    const unseen = (await client.search({ seen: false }, { uid: true })) || [];
    const newer = last > 0 ? (await client.search({ uid: `${last + 1}:*` }, { uid: true })) || [] : [];
    // "N:*" names the last message even when its UID is below N (RFC 3501): those are filtered out.
    const candidates = [...new Set([...unseen, ...newer.filter((uid) => uid > last)])];
    if (candidates.length === 0) return 0;
    // Listed first, fetched one by one: no other command may run inside a FETCH's iteration.
    const listed: { uid: number; size: number; envelope: MessageEnvelopeObject | undefined }[] = [];
    for await (const m of client.fetch(
      candidates,
      { uid: true, size: true, envelope: true },
      { uid: true },
    )) {
      listed.push({ uid: m.uid, size: m.size ?? 0, envelope: m.envelope });
    }
    let done = 0;
    for (const m of listed.sort((a, b) => a.uid - b.uid)) {
      if (state.stopped || !leader) break;
      const place: MailboxPlace = { mailbox, uidValidity, uid: m.uid };
      let outcome: IntakeOutcome;
      if (m.size > config.INTAKE_MAX_MESSAGE_BYTES) {
        outcome = await quarantineUnread(ctx, place, summaryOf(m, uidValidity), "too_large");
      } else {
        const fetched = await client.fetchOne(String(m.uid), { source: true }, { uid: true });
        if (fetched === false || !fetched.source) continue;
        const message = await readMessage(fetched.source).catch((err: unknown) => {
          logger.warn({ err, uid: m.uid }, "intake message unreadable; quarantined");
          return undefined;
        });
        outcome = message
          ? await processMessage(ctx, place, message, m.size)
          : await quarantineUnread(ctx, place, summaryOf(m, uidValidity), "unreadable");
      }
      // Only now: the effects are committed. A crash before this line leaves the message unseen, and
      // the next round finds its row and only flags it.
      await client.messageFlagsAdd(String(m.uid), ["\\Seen"], { uid: true });
      ctx.metrics.intakeMessages.inc({ outcome: outcome.outcome });
      logger.info({ uid: m.uid, outcome: outcome.outcome }, "intake message processed");
      done++;
    }
    return done;
  }

  async function readWhileLeader(): Promise<void> {
    const client = connectImap();
    imap = client;
    client.on("error", (err) => logger.warn({ err }, "intake mailbox connection error"));
    client.on("exists", () => wake());
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    let open = true;
    void closed.then(() => {
      open = false;
      wake();
    });
    await client.connect();
    await client.mailboxOpen(mailbox);
    logger.info({ mailbox }, "reading the intake mailbox");
    try {
      while (!state.stopped && leader && open) {
        pending = false;
        // A session cut without a word (a network partition) is noticed here, before reading on: the
        // server has released the lock, and another replica may hold it already.
        await lockClient?.query("SELECT 1");
        await round(client);
        if (pending) continue;
        await sleep(pollMs, state, onWake);
      }
    } finally {
      imap = undefined;
      if (open) await client.logout().catch(() => client.close());
    }
  }

  async function run(): Promise<void> {
    while (!state.stopped) {
      try {
        lockClient = await takeLock();
        if (lockClient) {
          leader = true;
          await readWhileLeader();
        }
      } catch (err) {
        logger.warn({ err }, "intake mailbox reader failed; it starts again");
      } finally {
        leader = false;
        const held = lockClient;
        lockClient = undefined;
        // Ending the session releases the lock.
        await held?.end().catch(() => {});
      }
      if (!state.stopped) await sleep(retryMs, state, onWake);
    }
  }

  return {
    start() {
      loop ??= run();
    },
    reading: () => leader,
    wake,
    async stop() {
      state.stopped = true;
      wake();
      imap?.close();
      await loop;
    },
  };
}
