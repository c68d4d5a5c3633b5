import { sql } from "drizzle-orm";
import type { Db } from "./client.ts";

/** A pending timer this long past its due time is late: the runner polls every few seconds. */
export const TIMER_LATE_SECONDS = 60;

/** The work PostgreSQL holds, as operators watch it; read at each metrics scrape. */
export interface WorkState {
  outboxPending: number;
  /** Age of the oldest outbox row not yet processed; 0 when there is none. */
  outboxOldestSeconds: number;
  timersDue: number;
  timersLate: number;
  /** Open incidents past their acknowledgement service level and still not acknowledged, per severity. */
  unacknowledgedPastSla: Record<string, number>;
  /** Deliveries of the bulletins still being sent (any delivery queued or deferred), per status. */
  bulletinDeliveries: Record<string, number>;
}

/**
 * Two statements, each served by a partial index (outbox_pending_idx, timers_pending_idx,
 * incidents_queue_counts_idx, bulletin_deliveries_due_idx then bulletin_deliveries_bulletin_idx).
 */
export async function readWorkState(db: Db): Promise<WorkState> {
  const [counts, bulletins] = await Promise.all([
    db.execute<{
      outbox_pending: number;
      outbox_oldest_seconds: number | null;
      timers_due: number;
      timers_late: number;
      unacknowledged: Record<string, number> | null;
    }>(sql`
      SELECT
        (SELECT count(*) FROM outbox WHERE processed_at IS NULL)::int AS outbox_pending,
        (SELECT extract(epoch FROM now() - min(created_at)) FROM outbox WHERE processed_at IS NULL)::float8
          AS outbox_oldest_seconds,
        (SELECT count(*) FROM timers
          WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= now())::int AS timers_due,
        (SELECT count(*) FROM timers
          WHERE fired_at IS NULL AND cancelled_at IS NULL
            AND due_at <= now() - make_interval(secs => ${TIMER_LATE_SECONDS}))::int AS timers_late,
        (SELECT jsonb_object_agg(severity, n) FROM (
          SELECT severity, count(*)::int AS n FROM incidents
          WHERE status NOT IN ('closed', 'rejected', 'merged')
            AND acknowledged_at IS NULL AND ack_due_at < now()
          GROUP BY severity) s) AS unacknowledged`),
    db.execute<{ status: string; n: number }>(sql`
      SELECT status, count(*)::int AS n FROM bulletin_deliveries
      WHERE bulletin_id IN (
        SELECT DISTINCT bulletin_id FROM bulletin_deliveries WHERE status IN ('queued', 'deferred'))
      GROUP BY status`),
  ]);
  const row = counts.rows[0]!;
  return {
    outboxPending: row.outbox_pending,
    outboxOldestSeconds: row.outbox_oldest_seconds ?? 0,
    timersDue: row.timers_due,
    timersLate: row.timers_late,
    unacknowledgedPastSla: row.unacknowledged ?? {},
    bulletinDeliveries: Object.fromEntries(bulletins.rows.map((r) => [r.status, r.n])),
  };
}
