import { mailDomain } from "@pris/config";
import { appendLogEntry, mailDeliveries, timers } from "@pris/db";
import { planTimers, TIMER_MAIL_TEMPLATES, type TimerKind, timerKey } from "@pris/domain";
import { and, asc, eq, inArray, isNull, lt, lte, notInArray, sql } from "drizzle-orm";
import type { Redis } from "ioredis";
import type { WorkerContext } from "../context.ts";
import { pollLoop } from "../poll-loop.ts";
import { enqueueDeliveries } from "../queues.ts";
import { timerRecipients } from "./timer-recipients.ts";
import { loadTimerState, type TimerPayload, timerPlanSettings } from "./timer-state.ts";

/**
 * A timer that failed this many times is left alone (and logged): it would fail again. Between
 * failures it waits, doubling from the poll interval up to ten minutes, so that a short outage
 * costs a few attempts and a broken timer stops after a few hours.
 */
export const MAX_TIMER_ATTEMPTS = 20;
const MAX_RETRY_DELAY_MS = 10 * 60_000;

export interface TimerRunnerOptions {
  /** How often due timers are looked for. */
  pollMs: number;
  /** Timers fired per tick at most; a full tick goes on at once. */
  batchSize?: number;
  /** The connection send-mail jobs are added through: timers wait while it is down. */
  connection: Redis;
}

export type FireOutcome =
  | { timerId: string; status: "fired"; kind: TimerKind; recipients: number; created: number }
  | { timerId: string; status: "cancelled"; reason: string };

export interface TimerRunner {
  /** Fires (or cancels) the next due timer; undefined when none is due. */
  fireNext(skip?: string[]): Promise<FireOutcome | undefined>;
  /** Fires every due timer, up to the batch size; returns how many it handled. */
  fireDue(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

/** Firing one timer failed after it was claimed; the others can go on. */
export class TimerFailedError extends Error {
  constructor(
    readonly timerId: string,
    cause: unknown,
  ) {
    super(`timer ${timerId} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "TimerFailedError";
  }
}

export function timerMessageId(kind: string, timerId: string, userId: string, domain: string): string {
  return `<timer.${kind}.${timerId}.${userId}@${domain}>`;
}

export function timerDedupeKey(timerId: string, userId: string): string {
  return `timer:${timerId}:${userId}`;
}

/**
 * Fires the timers stored in PostgreSQL. Each timer is handled in its own transaction: claimed
 * with FOR UPDATE SKIP LOCKED (several workers never take the same one), its incident locked and
 * its plan computed again from the incident as it is now — a timer whose reason is gone (the
 * incident acknowledged, the clock done) is cancelled, not sent. Otherwise its e-mails become
 * delivery rows, unique per timer and recipient, the main courante gets one entry, and the timer
 * is marked fired, all in the same commit. The send-mail jobs are added after the commit; if the
 * process dies in between, the delivery sweeper finds the rows. So a reminder is sent once per
 * recipient whatever restarts, and survives the loss of Redis.
 *
 * A poll in every process, like the outbox relay, rather than a BullMQ job scheduler: the timers
 * are rows, SKIP LOCKED already shares them between processes, and a tick relayed through Redis
 * would add a dependency without deduplicating anything. While Redis is down the runner waits, so
 * that a timer fires when its e-mails can be queued at once rather than after the sweeper's delay.
 */
export function createTimerRunner(ctx: WorkerContext, options: TimerRunnerOptions): TimerRunner {
  const { db, config, logger, queues, tuning } = ctx;
  const settings = timerPlanSettings(config);
  const batchSize = options.batchSize ?? 50;
  /** Timers that failed in this process, and when they may be tried again. */
  const retryAt = new Map<string, number>();

  async function fireNext(skip: string[] = []): Promise<FireOutcome | undefined> {
    let claimed: string | undefined;
    try {
      const result = await db.transaction(async (tx) => {
        const [due] = await tx
          .select({
            id: timers.id,
            kind: timers.kind,
            subjectId: timers.subjectId,
            dueAt: timers.dueAt,
            payload: timers.payload,
            now: sql<Date>`now()`.mapWith(timers.dueAt),
          })
          .from(timers)
          .where(
            and(
              isNull(timers.firedAt),
              isNull(timers.cancelledAt),
              lte(timers.dueAt, sql`now()`),
              lt(timers.attempts, MAX_TIMER_ATTEMPTS),
              skip.length > 0 ? notInArray(timers.id, skip) : undefined,
            ),
          )
          .orderBy(asc(timers.dueAt))
          .limit(1)
          .for("update", { skipLocked: true });
        if (!due) return undefined;
        claimed = due.id;
        const { kind } = due;
        const cancel = async (reason: string): Promise<FireOutcome> => {
          await tx.update(timers).set({ cancelledAt: sql`now()` }).where(eq(timers.id, due.id));
          return { timerId: due.id, status: "cancelled", reason };
        };

        const incidentId = (due.payload as Partial<TimerPayload>).incidentId ?? due.subjectId;
        // FOR UPDATE: the main courante is appended under the incident's row lock.
        const state = await loadTimerState(tx, incidentId, "update");
        if (!state) return cancel("incident not found");
        const wanted = planTimers(state.incident, state.clocks, settings, due.now);
        if (!TIMER_MAIL_TEMPLATES[kind] || !wanted.some((p) => timerKey(p) === timerKey(due))) {
          return cancel("no longer wanted by the incident's state");
        }

        const recipients = await timerRecipients(tx, kind, state.incident, {
          at: due.now,
          timeZone: config.REGION_TIMEZONE,
        });
        const template = TIMER_MAIL_TEMPLATES[kind];
        let created = 0;
        if (recipients.length > 0) {
          const rows = await tx
            .insert(mailDeliveries)
            .values(
              recipients.map((u) => ({
                dedupeKey: timerDedupeKey(due.id, u.id),
                template,
                subjectId: due.id,
                userId: u.id,
                toAddress: u.email,
                messageId: timerMessageId(kind, due.id, u.id, mailDomain(config)),
              })),
            )
            .onConflictDoNothing({ target: mailDeliveries.dedupeKey })
            .returning({ id: mailDeliveries.id });
          created = rows.length;
          // Only the run that created the deliveries writes the entry: once per timer.
          if (created > 0) {
            const payload = due.payload as Partial<TimerPayload>;
            await appendLogEntry(tx, {
              incidentId,
              kind: "notification",
              visibility: "internal",
              body: {
                channel: "email",
                template,
                timer: kind,
                timerId: due.id,
                ...(payload.clockKind ? { clock: payload.clockKind } : {}),
                ...(payload.deadline ? { deadline: payload.deadline } : {}),
                recipients: created,
              },
            });
          }
        } else {
          logger.warn({ timerId: due.id, kind, incidentId }, "timer fired with nobody to tell");
        }
        await tx
          .update(timers)
          .set({ firedAt: sql`now()`, attempts: sql`${timers.attempts} + 1` })
          .where(eq(timers.id, due.id));
        return {
          timerId: due.id,
          status: "fired",
          kind,
          recipients: recipients.length,
          created,
        } satisfies FireOutcome;
      });
      if (result?.status === "fired" && result.recipients > 0) await enqueueFor(result.timerId);
      return result;
    } catch (err) {
      if (!claimed) throw err;
      await recordFailure(claimed, err);
      throw new TimerFailedError(claimed, err);
    }
  }

  /** Jobs for the timer's deliveries still owed; the delivery id as job id keeps them single. */
  async function enqueueFor(timerId: string): Promise<void> {
    try {
      const pending = await db
        .select({ id: mailDeliveries.id, template: mailDeliveries.template })
        .from(mailDeliveries)
        .where(
          and(eq(mailDeliveries.subjectId, timerId), inArray(mailDeliveries.status, ["queued", "deferred"])),
        );
      await enqueueDeliveries(queues.sendMail, pending, tuning);
    } catch (err) {
      // The timer has fired and its rows are committed: the sweeper enqueues them (PostgreSQL or Redis
      // lost in between), so this is no failure of the timer.
      logger.warn({ err, timerId }, "could not enqueue a timer's e-mails; the sweeper will");
    }
  }

  async function recordFailure(timerId: string, err: unknown): Promise<void> {
    const [row] = await db
      .update(timers)
      .set({ attempts: sql`${timers.attempts} + 1` })
      .where(eq(timers.id, timerId))
      .returning({ attempts: timers.attempts })
      .catch(() => [] as { attempts: number }[]);
    const attempts = row?.attempts ?? 1;
    retryAt.set(timerId, Date.now() + Math.min(options.pollMs * 2 ** attempts, MAX_RETRY_DELAY_MS));
    const fields = { err, timerId, attempts: row?.attempts };
    if (row && row.attempts >= MAX_TIMER_ATTEMPTS)
      logger.error(fields, "timer failed for good; left unfired");
    else logger.warn(fields, "timer failed; will retry");
  }

  async function fireDue(): Promise<number> {
    const now = Date.now();
    for (const [id, at] of retryAt) if (at <= now) retryAt.delete(id);
    const failed = [...retryAt.keys()];
    let handled = 0;
    while (handled < batchSize) {
      let outcome: FireOutcome | undefined;
      try {
        outcome = await fireNext(failed);
      } catch (err) {
        // A failing timer must not hold the others back: it waits for its retry time.
        if (!(err instanceof TimerFailedError)) throw err;
        failed.push(err.timerId);
        continue;
      }
      if (!outcome) break;
      handled += 1;
    }
    return handled;
  }

  return {
    fireNext,
    fireDue,
    ...pollLoop({
      round: fireDue,
      ready: () => options.connection.status === "ready",
      batchSize,
      pollMs: options.pollMs,
      logger,
      messages: {
        failing: "timer runner failed; due timers stay pending and will be retried",
        recovered: "timers firing again",
      },
    }),
  };
}
