import type { Db } from "@pris/db";
import {
  type ClockKind,
  DECLARATION_CHANNELS,
  type DeclarationChannel,
  type IncidentStats,
  type IncidentStatsQuery,
  type Severity,
} from "@pris/domain";
import { sql } from "drizzle-orm";
import type { Principal } from "../../auth/principal.ts";
import { ValidationError } from "../../errors.ts";

/** Statistics are for the pole and the ARS; an establishment's RSSI does not see the region's. */
export const STATS_ROLES = ["analyst", "ars"] as const;

/** Merged duplicates and rejected declarations are not incidents: they count nowhere. */
const COUNTED = sql`i.status NOT IN ('merged', 'rejected')`;

function today(timeZone: string, now: Date): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone }).format(now);
}

/** Twelve calendar months ending with `to`'s: from the first day of the month eleven months earlier. */
function defaultFrom(to: string): string {
  const [y, m] = to.split("-").map(Number) as [number, number];
  const start = new Date(Date.UTC(y, m - 1 - 11, 1));
  return start.toISOString().slice(0, 10);
}

/**
 * Incidents declared in the period, in the region's days: counts per month × category × territory ×
 * RSIT class × severity and per channel of declaration, median times from declaration to acknowledgement, containment and closure,
 * and the share of regulatory deadlines met. All aggregates run in PostgreSQL. Names of establishments
 * appear only for P1 incidents (the regional crisis the ARS follows), never in the counts.
 */
export async function incidentStats(
  db: Db,
  timeZone: string,
  principal: Principal,
  query: IncidentStatsQuery,
  now = new Date(),
): Promise<IncidentStats> {
  const to = query.to ?? today(timeZone, now);
  const from = query.from ?? defaultFrom(to);
  if (from > to) throw new ValidationError([{ field: "/from", message: "is after to", in: "query" }]);
  // Local midnights of the first day and of the day after the last one.
  const start = sql`(${from}::date)::timestamp AT TIME ZONE ${timeZone}`;
  const end = sql`(${to}::date + 1)::timestamp AT TIME ZONE ${timeZone}`;
  const period = sql`i.declared_at >= ${start} AND i.declared_at < ${end} AND ${COUNTED}`;

  const [counts, channels, durations, deadlines, majors] = await Promise.all([
    db.execute<{
      month: string;
      category: string;
      territory: string;
      rsit_class: string;
      severity: Severity;
      count: number;
    }>(sql`
      SELECT to_char(i.declared_at AT TIME ZONE ${timeZone}, 'YYYY-MM') AS month, e.category, e.territory,
             i.rsit_class, i.severity, count(*)::int AS count
      FROM incidents i JOIN establishments e ON e.id = i.establishment_id
      WHERE ${period}
      GROUP BY 1, 2, 3, 4, 5
      ORDER BY 1, 2, 3, 4, 5`),
    db.execute<{ channel: DeclarationChannel; count: number }>(sql`
      SELECT i.channel, count(*)::int AS count
      FROM incidents i
      WHERE ${period}
      GROUP BY 1`),
    db.execute<{
      ack: number | null;
      ack_n: number;
      contain: number | null;
      contain_n: number;
      close: number | null;
      close_n: number;
    }>(sql`
      SELECT
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.acknowledged_at - i.declared_at)) AS ack,
        count(i.acknowledged_at)::int AS ack_n,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.contained_at - i.declared_at)) AS contain,
        count(i.contained_at)::int AS contain_n,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.closed_at - i.declared_at)) AS close,
        count(i.closed_at)::int AS close_n
      FROM incidents i
      WHERE ${period}`),
    // Clocks due in the period that can be judged now: already due, or already done.
    db.execute<{ kind: ClockKind; due: number; met: number }>(sql`
      SELECT c.kind, count(*)::int AS due,
             count(*) FILTER (WHERE c.done_at IS NOT NULL AND c.done_at <= c.due_at)::int AS met
      FROM incident_clocks c JOIN incidents i ON i.id = c.incident_id
      WHERE c.due_at >= ${start} AND c.due_at < ${end} AND ${COUNTED}
        AND (c.due_at <= ${now} OR c.done_at IS NOT NULL)
      GROUP BY c.kind
      ORDER BY c.kind`),
    db.execute<{
      reference: string;
      name: string;
      category: string;
      territory: string;
      status: IncidentStats["majorIncidents"][number]["status"];
      declared_at: Date | string;
    }>(sql`
      SELECT i.reference, e.name, e.category, e.territory, i.status, i.declared_at
      FROM incidents i JOIN establishments e ON e.id = i.establishment_id
      WHERE ${period} AND i.severity = 'P1'
      ORDER BY i.declared_at, i.reference`),
  ]);

  const d = durations.rows[0]!;
  const median = (value: number | null, n: number) => ({
    medianSeconds: value === null ? null : Math.round(Number(value)),
    incidents: n,
  });
  const byKind = deadlines.rows.map((r) => ({ kind: r.kind, due: r.due, metOnTime: r.met }));
  const due = byKind.reduce((s, r) => s + r.due, 0);
  const met = byKind.reduce((s, r) => s + r.metOnTime, 0);
  const rows = counts.rows.map((r) => ({
    month: r.month,
    category: r.category,
    territory: r.territory,
    rsitClass: r.rsit_class,
    severity: r.severity,
    count: r.count,
  }));
  const namesAllowed = (STATS_ROLES as readonly string[]).includes(principal.role);
  return {
    from,
    to,
    timeZone,
    total: rows.reduce((s, r) => s + r.count, 0),
    counts: rows,
    byChannel: DECLARATION_CHANNELS.map((channel) => ({
      channel,
      count: channels.rows.find((r) => r.channel === channel)?.count ?? 0,
    })),
    durations: {
      acknowledge: median(d.ack, d.ack_n),
      contain: median(d.contain, d.contain_n),
      close: median(d.close, d.close_n),
    },
    deadlines: { due, metOnTime: met, share: due > 0 ? met / due : null, byKind },
    majorIncidents: namesAllowed
      ? majors.rows.map((r) => ({
          reference: r.reference,
          establishment: r.name,
          category: r.category,
          territory: r.territory,
          status: r.status,
          declaredAt: new Date(r.declared_at).toISOString(),
        }))
      : [],
  };
}
