import {
  type ClockKind,
  clockState,
  OPEN_INCIDENT_STATUSES,
  type OpenIncidentStatus,
  type QueueItem,
  type QueuePage,
  type QueueQuery,
} from "@pris/domain";
import type pg from "pg";
import type { Principal } from "../../auth/principal.ts";
import { encodeCursor } from "../../http.ts";
import { queueStatements } from "./queue-sql.ts";

interface QueueRow {
  id: string;
  reference: string;
  status: string;
  severity: string;
  tlp: string;
  title: string;
  impact_grade: number;
  ongoing: boolean;
  detected_at: Date;
  declared_at: Date;
  channel: string;
  rsit_class: string;
  next_deadline_at: Date | null;
  ack_due_at: Date | null;
  acknowledged_at: Date | null;
  crisis_cell: boolean;
  establishment_id: string;
  assignee_user_id: string | null;
  sort_key: Date;
  sort_deadline: string;
  finess: string;
  establishment_name: string;
  territory: string;
  category: string;
  assignee_name: string | null;
  next_clock_kind: string | null;
  next_clock_starts_at: Date | null;
  next_clock_due_at: Date | null;
  open_clocks: number;
  overdue_clocks: number;
}

function toQueueItem(row: QueueRow, now: Date): QueueItem {
  return {
    id: row.id,
    reference: row.reference,
    status: row.status as QueueItem["status"],
    severity: row.severity as QueueItem["severity"],
    tlp: row.tlp as QueueItem["tlp"],
    title: row.title,
    impactGrade: row.impact_grade,
    ongoing: row.ongoing,
    establishment: {
      id: row.establishment_id,
      finess: row.finess,
      name: row.establishment_name,
      territory: row.territory,
      category: row.category as QueueItem["establishment"]["category"],
    },
    detectedAt: row.detected_at.toISOString(),
    declaredAt: row.declared_at.toISOString(),
    channel: row.channel as QueueItem["channel"],
    rsitClass: row.rsit_class as QueueItem["rsitClass"],
    assignee:
      row.assignee_user_id && row.assignee_name !== null
        ? { id: row.assignee_user_id, name: row.assignee_name }
        : null,
    crisisCell: row.crisis_cell,
    nextDeadlineAt: row.next_deadline_at?.toISOString() ?? null,
    ackDueAt: row.ack_due_at?.toISOString() ?? null,
    acknowledgedAt: row.acknowledged_at?.toISOString() ?? null,
    ackOverdue: !row.acknowledged_at && !!row.ack_due_at && row.ack_due_at.getTime() < now.getTime(),
    clocks: {
      open: row.open_clocks,
      overdue: row.overdue_clocks,
      next:
        row.next_clock_kind && row.next_clock_due_at && row.next_clock_starts_at
          ? {
              kind: row.next_clock_kind as ClockKind,
              dueAt: row.next_clock_due_at.toISOString(),
              state: clockState(
                { startsAt: row.next_clock_starts_at, dueAt: row.next_clock_due_at, doneAt: null },
                now,
              ),
            }
          : null,
    },
  };
}

/**
 * One page of the queue and the counts per status, read in parallel on two connections of the pool:
 * the answer takes as long as the slower of the two, not their sum.
 */
export async function readQueue(
  pool: pg.Pool,
  principal: Principal,
  query: QueueQuery,
  now = new Date(),
): Promise<QueuePage> {
  const statements = queueStatements(principal, query, now);
  const [items, counts] = await Promise.all([
    pool.query<QueueRow>(statements.items),
    pool.query<{ status: string; n: number }>(statements.counts),
  ]);
  const perStatus = Object.fromEntries(OPEN_INCIDENT_STATUSES.map((s) => [s, 0])) as Record<
    OpenIncidentStatus,
    number
  >;
  for (const { status, n } of counts.rows) {
    if (status in perStatus) perStatus[status as OpenIncidentStatus] = n;
  }
  const page = items.rows.slice(0, statements.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => toQueueItem(row, now)),
    nextCursor:
      items.rows.length > statements.limit && last
        ? encodeCursor([last.severity, last.sort_deadline, last.id])
        : null,
    counts: perStatus,
    total: query.status ? perStatus[query.status] : Object.values(perStatus).reduce((sum, n) => sum + n, 0),
  };
}
