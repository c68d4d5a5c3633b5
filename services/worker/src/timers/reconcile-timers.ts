import { type Db, insertRecords, type Tx, timers } from "@pris/db";
import { planTimers, timerKey } from "@pris/domain";
import { and, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import { loadTimerStates, type TimerPayload, timerPlanSettings } from "./timer-state.ts";

export interface ReconcileResult {
  status: "done" | "incident-missing";
  inserted: number;
  cancelled: number;
  revived: number;
}

/**
 * Brings an incident's timers in line with its state, in one transaction: the timers it should
 * have and does not are inserted, the pending ones it no longer wants are cancelled, a cancelled one
 * wanted again (the same follow-up date set once more) is pending again. Fired timers are history
 * and stay as they are.
 *
 * Lock order: the incident row first, then timers — and timers only with SKIP LOCKED, because the
 * runner holds a timer while it waits for the incident. A timer skipped here is being fired: the
 * runner re-plans under the incident lock and cancels it itself if it is no longer wanted.
 */
export async function reconcileIncidentTimers(
  db: Db,
  config: Parameters<typeof timerPlanSettings>[0],
  incidentId: string,
): Promise<ReconcileResult> {
  return db.transaction((tx) => reconcileTimers(tx, config, [incidentId], "no key update"));
}

/**
 * The same for several incidents at once, within the caller's transaction: their rows are locked with
 * `lock` ("update" for a caller that appends to their main courante next) and their timers read and
 * written in one statement each. "incident-missing" when none of them exists.
 */
export async function reconcileTimers(
  tx: Tx,
  config: Parameters<typeof timerPlanSettings>[0],
  incidentIds: string[],
  lock: "update" | "no key update",
): Promise<ReconcileResult> {
  const settings = timerPlanSettings(config);
  const states = await loadTimerStates(tx, incidentIds, lock);
  if (states.size === 0) return { status: "incident-missing", inserted: 0, cancelled: 0, revived: 0 };
  const [{ now }] = (await tx.execute<{ now: Date }>(sql`SELECT now() AS now`)).rows as [{ now: Date }];
  const planned = [...states.values()].flatMap((state) =>
    planTimers(state.incident, state.clocks, settings, new Date(now)),
  );
  const wanted = new Map(planned.map((p) => [timerKey(p), p]));

  const subjects = [...states.values()].flatMap((state) => [
    state.incident.id,
    ...state.clocks.map((c) => c.id),
  ]);
  const existing = await tx
    .select({
      id: timers.id,
      kind: timers.kind,
      subjectId: timers.subjectId,
      dueAt: timers.dueAt,
      firedAt: timers.firedAt,
      cancelledAt: timers.cancelledAt,
    })
    .from(timers)
    .where(inArray(timers.subjectId, subjects));
  const existingByKey = new Map(existing.map((e) => [timerKey(e), e]));

  const unwanted = existing
    .filter((e) => !e.firedAt && !e.cancelledAt && !wanted.has(timerKey(e)))
    .map((e) => e.id);
  const again = existing
    .filter((e) => !e.firedAt && e.cancelledAt && wanted.has(timerKey(e)))
    .map((e) => e.id);
  const missing = planned.filter((p) => !existingByKey.has(timerKey(p)));

  let cancelled = 0;
  if (unwanted.length > 0) {
    const rows = await tx
      .update(timers)
      .set({ cancelledAt: sql`now()` })
      .where(
        inArray(
          timers.id,
          tx
            .select({ id: timers.id })
            .from(timers)
            .where(and(inArray(timers.id, unwanted), isNull(timers.firedAt), isNull(timers.cancelledAt)))
            .for("update", { skipLocked: true }),
        ),
      )
      .returning({ id: timers.id });
    cancelled = rows.length;
  }
  let revived = 0;
  if (again.length > 0) {
    const rows = await tx
      .update(timers)
      .set({ cancelledAt: null })
      .where(
        inArray(
          timers.id,
          tx
            .select({ id: timers.id })
            .from(timers)
            .where(and(inArray(timers.id, again), isNull(timers.firedAt), isNotNull(timers.cancelledAt)))
            .for("update", { skipLocked: true }),
        ),
      )
      .returning({ id: timers.id });
    revived = rows.length;
  }
  let inserted = 0;
  if (missing.length > 0) {
    const rows = missing.map((p) => ({
      kind: p.kind,
      subjectId: p.subjectId,
      dueAt: p.dueAt,
      payload: {
        incidentId: p.incidentId,
        deadline: p.deadline.toISOString(),
        ...(p.clockKind ? { clockKind: p.clockKind } : {}),
      } satisfies TimerPayload,
    }));
    // A burst's declarations plan thousands of timers: one JSON parameter (insertRecords). Another
    // reconciliation of the same incident may have committed the same timers first.
    const { rowCount } = await tx.execute(
      sql`${insertRecords(timers, rows)} ON CONFLICT (subject_id, kind, due_at) DO NOTHING`,
    );
    inserted = rowCount ?? 0;
  }
  return { status: "done", inserted, cancelled, revived };
}
