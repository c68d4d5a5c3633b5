import { mailIntake } from "@pris/db";
import { and, eq, inArray, max } from "drizzle-orm";
import { ImapFlow, type MessageEnvelopeObject } from "imapflow";
import pg from "pg";
import type { WorkerContext } from "../context.ts";
import { type IntakeItem, type IntakeOutcome, type MailboxPlace, processBatch } from "./intake-effects.ts";
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

/** The UIDs among these that have their mail_intake row in this UIDVALIDITY. */
async function recordedUids(
  ctx: WorkerContext,
  mailbox: string,
  uidValidity: number,
  uids: number[],
): Promise<Set<number>> {
  const rows = await ctx.db
    .select({ uid: mailIntake.uid })
    .from(mailIntake)
    .where(
      and(
        eq(mailIntake.mailbox, mailbox),
        eq(mailIntake.uidValidity, uidValidity),
        inArray(mailIntake.uid, uids),
      ),
    );
  return new Set(rows.map((r) => Number(r.uid)));
}

/**
 * How many messages one FETCH brings and one transaction at most takes, and how many bytes of sources
 * a batch holds in memory (a message larger than that is a batch of its own).
 */
const BATCH_MESSAGES = 50;
const BATCH_BYTES = 8 * 1024 * 1024;
/**
 * A transaction takes messages of its batch until this much time has passed: it holds the region's
 * reference counter from its first declaration to its commit, and the API's declarations wait on it.
 */
const TRANSACTION_BUDGET_MS = 100;

/** The bytes of a batch's sources that are fetched (a message too large is not). */
function fetchedBytes(batch: { size: number }[], maxMessageBytes: number): number {
  return batch.reduce((sum, m) => sum + (m.size > maxMessageBytes ? 0 : m.size), 0);
}

/** The listed messages in batches by count and by bytes of the sources to fetch, in the order given. */
function* batches<T extends { size: number }>(listed: T[], maxMessageBytes: number): Generator<T[]> {
  let batch: T[] = [];
  let bytes = 0;
  for (const m of listed) {
    const fetched = fetchedBytes([m], maxMessageBytes);
    if (batch.length > 0 && (batch.length >= BATCH_MESSAGES || bytes + fetched > BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(m);
    bytes += fetched;
  }
  if (batch.length > 0) yield batch;
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
 * Each round lists the unseen messages, flags at once those already recorded (a crash between a commit
 * and its flag), then fetches the others by batches, one FETCH each, processes a batch's messages in a
 * transaction or a few (processBatch) and flags them \Seen in one STORE only after that committed.
 * Between rounds the connection IDLEs: a new message (IMAP EXISTS) starts a round at once, and a poll
 * timer starts one anyway, for servers without IDLE and notifications lost on the way.
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

  /**
   * Commits the items' effects, then flags them \Seen in one STORE: in transactions of a few messages
   * (processBatch), each flagged only once it has committed. A transaction that fails is rolled back
   * whole and its messages are taken again one per transaction: each that can be is committed and
   * flagged, one that cannot stays unseen (read again next round) and its error goes up once the others
   * are done.
   */
  async function commitAndFlag(client: ImapFlow, items: IntakeItem[]): Promise<number> {
    let done = 0;
    let rest = items;
    while (rest.length > 0 && !state.stopped && leader) {
      let outcomes: IntakeOutcome[];
      try {
        outcomes = await processBatch(ctx, rest, TRANSACTION_BUDGET_MS);
      } catch (err) {
        if (rest.length === 1) throw err;
        logger.warn({ err }, "intake batch failed; its messages are taken one at a time");
        let failure: unknown;
        for (const item of rest) {
          if (state.stopped || !leader) break;
          try {
            const [outcome] = await processBatch(ctx, [item]);
            await flagSeen(client, [item], [outcome!]);
            done++;
          } catch (itemErr) {
            logger.warn({ err: itemErr, uid: item.place.uid }, "intake message failed; it stays unseen");
            failure ??= itemErr;
          }
        }
        if (failure) throw failure;
        return done;
      }
      const taken = rest.slice(0, outcomes.length);
      // Only now: the effects are committed. A crash before this line leaves the messages unseen, and
      // the next round finds their rows and only flags them.
      await flagSeen(client, taken, outcomes);
      done += taken.length;
      rest = rest.slice(outcomes.length);
    }
    return done;
  }

  async function flagSeen(client: ImapFlow, items: IntakeItem[], outcomes: IntakeOutcome[]) {
    await client.messageFlagsAdd(
      items.map((i) => i.place.uid),
      ["\\Seen"],
      { uid: true },
    );
    for (const [i, item] of items.entries()) {
      const outcome = outcomes[i]!.outcome;
      ctx.metrics.intakeMessages.inc({ outcome });
      logger.info({ uid: item.place.uid, outcome }, "intake message processed");
    }
  }

  /** The sources of these messages, in one FETCH. */
  async function fetchSources(client: ImapFlow, uids: number[]): Promise<Map<number, Buffer>> {
    const sources = new Map<number, Buffer>();
    if (uids.length === 0) return sources;
    for await (const m of client.fetch(uids, { uid: true, source: true }, { uid: true })) {
      if (m.source) sources.set(m.uid, m.source);
    }
    return sources;
  }

  /** A batch's messages read: their sources in one FETCH, each parsed (or to quarantine unread). */
  async function prepare(
    client: ImapFlow,
    batch: { uid: number; size: number; envelope: MessageEnvelopeObject | undefined }[],
    uidValidity: number,
  ): Promise<IntakeItem[]> {
    const sources = await fetchSources(
      client,
      batch.filter((m) => m.size <= config.INTAKE_MAX_MESSAGE_BYTES).map((m) => m.uid),
    );
    const items: IntakeItem[] = [];
    for (const m of batch) {
      const place: MailboxPlace = { mailbox, uidValidity, uid: m.uid };
      if (m.size > config.INTAKE_MAX_MESSAGE_BYTES) {
        items.push({ place, size: m.size, unread: summaryOf(m, uidValidity), reason: "too_large" });
        continue;
      }
      const source = sources.get(m.uid);
      // Gone since it was listed (expunged by someone else): nothing to do.
      if (!source) continue;
      const message = await readMessage(source).catch((err: unknown) => {
        logger.warn({ err, uid: m.uid }, "intake message unreadable; quarantined");
        return undefined;
      });
      items.push(
        message
          ? { place, size: m.size, message }
          : { place, size: m.size, unread: summaryOf(m, uidValidity), reason: "unreadable" },
      );
    }
    return items;
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
    // Those recorded at their place already (a crash between a commit and its flag) are only flagged,
    // not read again.
    const recorded = await recordedUids(ctx, mailbox, uidValidity, candidates);
    if (recorded.size > 0) {
      await client.messageFlagsAdd([...recorded], ["\\Seen"], { uid: true });
      ctx.metrics.intakeMessages.inc({ outcome: "already-processed" }, recorded.size);
    }
    const toRead = candidates.filter((uid) => !recorded.has(uid));
    if (toRead.length === 0) return recorded.size;
    // Listed first, then fetched by batches: no other command may run inside a FETCH's iteration.
    const listed: { uid: number; size: number; envelope: MessageEnvelopeObject | undefined }[] = [];
    for await (const m of client.fetch(toRead, { uid: true, size: true, envelope: true }, { uid: true })) {
      listed.push({ uid: m.uid, size: m.size ?? 0, envelope: m.envelope });
    }
    const all = [
      ...batches(
        listed.sort((a, b) => a.uid - b.uid),
        config.INTAKE_MAX_MESSAGE_BYTES,
      ),
    ];
    let done = recorded.size;
    // The next batch is fetched and parsed while this one's transactions run: IMAP and the parse meet the
    // waits on PostgreSQL. Its STORE queues behind that FETCH on the connection, still after the commit.
    // Not beside a message larger than a batch: at most one such message is held at a time, as before.
    const small = (batch: (typeof all)[number] | undefined) =>
      batch !== undefined && fetchedBytes(batch, config.INTAKE_MAX_MESSAGE_BYTES) <= BATCH_BYTES;
    let ahead: Promise<IntakeItem[]> | undefined;
    for (let i = 0; i < all.length; i++) {
      const items = await (ahead ?? prepare(client, all[i]!, uidValidity));
      ahead = small(all[i]) && small(all[i + 1]) ? prepare(client, all[i + 1]!, uidValidity) : undefined;
      // A round that ends before it (stopped, or failed) leaves it: its messages stay unseen.
      ahead?.catch(() => {});
      if (state.stopped || !leader) break;
      done += await commitAndFlag(client, items);
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
