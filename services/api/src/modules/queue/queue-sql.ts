import { establishments, incidentClocks, incidentIsOpen, incidents, users } from "@pris/db";
import { type DeclarationChannel, OPEN_INCIDENT_STATUSES, type QueueQuery, SEVERITIES } from "@pris/domain";
import { and, eq, inArray, isNull, or, type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Principal } from "../../auth/principal.ts";
import { ValidationError } from "../../errors.ts";
import { decodeCursor } from "../../http.ts";
import { incidentScope } from "../incidents/incident-service.ts";

/**
 * The queue's two statements, built once here and run as they are by the API and by `pnpm bench:queue`
 * (which compares them with the same text run bare through a pool).
 *
 * Both repeat the predicate and the sort expression of the partial indexes on open incidents
 * (migrations 0007, 0008) so that PostgreSQL uses them: the page walks `incidents_queue_order_idx` (or the
 * establishment or assignee one) in order and stops at the page's end; the counts per status read
 * an index alone where they can. Nothing ever counts closed incidents.
 */

const OPEN = incidentIsOpen(incidents.status);
/** The sort key: no deadline sorts last. The same expression as in the indexes. */
const DEADLINE = sql`COALESCE(${incidents.nextDeadlineAt}, 'infinity'::timestamptz)`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * The deadline in a cursor: to the microsecond (a JavaScript Date would round it and make the page
 * boundary skip or repeat rows), in ISO 8601 whatever the server's DateStyle.
 */
const CURSOR_DEADLINE_SQL = sql`CASE WHEN ${incidents.nextDeadlineAt} IS NULL THEN 'infinity'
  ELSE to_char(${incidents.nextDeadlineAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END`;
const CURSOR_DEADLINE = /^(?:infinity|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)$/;

const dialect = new PgDialect();

const textArray = (values: readonly string[]) =>
  sql`ARRAY[${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )}]::text[]`;

export interface Statement {
  text: string;
  values: unknown[];
}

export interface QueueStatements {
  items: Statement;
  counts: Statement;
  limit: number;
}

/** The position after which a page starts: the last row's severity, deadline (or 'infinity') and id. */
export type QueueCursor = [severity: string, deadline: string, id: string];

function parseCursor(cursor: string | undefined): QueueCursor | undefined {
  const values = decodeCursor(cursor, 3);
  if (!values) return undefined;
  const [severity, deadline, id] = values as QueueCursor;
  if (
    !(SEVERITIES as readonly string[]).includes(severity) ||
    !CURSOR_DEADLINE.test(deadline) ||
    !UUID.test(id)
  ) {
    throw new ValidationError([{ field: "/cursor", message: "is not a cursor this API gave", in: "query" }]);
  }
  return [severity, deadline, id];
}

/** The channels asked for, whether the parameter was repeated or a comma list (the schema checked each). */
function channels(values: string[]): DeclarationChannel[] {
  return [...new Set(values.flatMap((v) => v.split(",")))] as DeclarationChannel[];
}

/** Every filter but status: the counts per status answer "how many in each status, with the rest". */
function filtersExceptStatus(principal: Principal, query: QueueQuery, now: Date): SQL | undefined {
  const text = query.q?.replace(/[\\%_]/g, "\\$&");
  const at = now.toISOString();
  return and(
    incidentScope(principal),
    query.severity ? eq(incidents.severity, query.severity) : undefined,
    query.establishmentId ? eq(incidents.establishmentId, query.establishmentId) : undefined,
    query.territory || query.category
      ? sql`${incidents.establishmentId} IN (SELECT ${establishments.id} FROM ${establishments} WHERE ${and(
          query.territory ? eq(establishments.territory, query.territory) : undefined,
          query.category ? eq(establishments.category, query.category) : undefined,
        )})`
      : undefined,
    query.assigneeUserId ? eq(incidents.assigneeUserId, query.assigneeUserId) : undefined,
    query.unassigned ? isNull(incidents.assigneeUserId) : undefined,
    query.rsitClass ? eq(incidents.rsitClass, query.rsitClass) : undefined,
    query.channel ? inArray(incidents.channel, channels(query.channel)) : undefined,
    // Overdue: a regulatory clock not done past its due time, or the acknowledgement service level
    // missed — that is, the nearest open deadline has passed: next_deadline_at is that deadline
    // (nextDeadline() of the domain, rewritten in the same transaction by every change of the clocks,
    // of the acknowledgement or of the status). It is the head of each severity in the queue's order:
    // naming the severities lets PostgreSQL read those ranges only.
    query.overdue
      ? and(
          query.severity ? undefined : sql`${incidents.severity} IN ('P1', 'P2', 'P3', 'P4')`,
          sql`${DEADLINE} < ${at}::timestamptz`,
        )
      : undefined,
    text
      ? or(sql`${incidents.title} ILIKE ${`%${text}%`}`, sql`${incidents.reference} ILIKE ${`%${text}%`}`)
      : undefined,
  );
}

export function queueStatements(principal: Principal, query: QueueQuery, now: Date): QueueStatements {
  if (query.unassigned && query.assigneeUserId) {
    throw new ValidationError([
      { field: "/unassigned", message: "cannot be combined with assigneeUserId", in: "query" },
    ]);
  }
  const limit = query.limit ?? 20;
  const after = parseCursor(query.cursor);
  const filters = filtersExceptStatus(principal, query, now);
  const at = now.toISOString();

  // The page first (ordered, limited, from the index), then what it shows of its establishment,
  // assignee and clocks: those joins run for the page's rows only.
  const page = sql`
    SELECT ${incidents.id}, ${incidents.reference}, ${incidents.status}, ${incidents.severity}, ${incidents.tlp},
      ${incidents.title}, ${incidents.impactGrade}, ${incidents.ongoing}, ${incidents.detectedAt},
      ${incidents.declaredAt}, ${incidents.channel}, ${incidents.rsitClass}, ${incidents.nextDeadlineAt}, ${incidents.ackDueAt},
      ${incidents.acknowledgedAt}, ${incidents.crisisCell}, ${incidents.establishmentId},
      ${incidents.assigneeUserId}, ${DEADLINE} AS sort_key, ${CURSOR_DEADLINE_SQL} AS sort_deadline
    FROM ${incidents}
    WHERE ${and(
      OPEN,
      filters,
      query.status ? eq(incidents.status, query.status) : undefined,
      after
        ? sql`(${incidents.severity}, ${DEADLINE}, ${incidents.id}) > (${after[0]}, ${after[1]}::timestamptz, ${after[2]}::uuid)`
        : undefined,
    )}
    ORDER BY ${incidents.severity}, ${DEADLINE}, ${incidents.id}
    LIMIT ${limit + 1}`;
  const items = sql`
    SELECT p.*, e.finess, e.name AS establishment_name, e.territory, e.category,
      u.display_name AS assignee_name,
      c.kind AS next_clock_kind, c.starts_at AS next_clock_starts_at, c.due_at AS next_clock_due_at,
      coalesce(c.open_clocks, 0)::int AS open_clocks, coalesce(c.overdue_clocks, 0)::int AS overdue_clocks
    FROM (${page}) AS p
    JOIN ${establishments} AS e ON e.id = p.establishment_id
    LEFT JOIN ${users} AS u ON u.id = p.assignee_user_id
    LEFT JOIN LATERAL (
      SELECT kind, starts_at, due_at, count(*) OVER () AS open_clocks,
        count(*) FILTER (WHERE due_at < ${at}::timestamptz) OVER () AS overdue_clocks
      FROM ${incidentClocks}
      WHERE incident_id = p.id AND done_at IS NULL
      ORDER BY due_at, kind
      LIMIT 1
    ) AS c ON true
    ORDER BY p.severity, p.sort_key, p.id`;
  // The whole queue (or one severity) of someone who sees everything — the board's usual view, and
  // the most to count: one count per (severity, status) range of incidents_queue_counts_idx, which
  // only counts index entries, instead of grouping every open incident (half the time at 1M).
  const wholeQueue =
    incidentScope(principal) === undefined &&
    Object.entries(query).every(
      ([k, v]) => v === undefined || v === false || ["severity", "status", "limit", "cursor"].includes(k),
    );
  const counts = wholeQueue
    ? sql`
    SELECT s.status, sum((
      SELECT count(*) FROM ${incidents}
      WHERE ${OPEN} AND ${incidents.severity} = v.severity AND ${incidents.status} = s.status))::int AS n
    FROM unnest(${textArray(OPEN_INCIDENT_STATUSES)}) AS s(status),
      unnest(${textArray(query.severity ? [query.severity] : SEVERITIES)}) AS v(severity)
    GROUP BY s.status`
    : sql`
    SELECT ${incidents.status} AS status, count(*)::int AS n
    FROM ${incidents}
    WHERE ${and(OPEN, filters)}
    GROUP BY ${incidents.status}`;

  const toStatement = (q: SQL): Statement => {
    const { sql: text, params } = dialect.sqlToQuery(q);
    return { text, values: params };
  };
  return { items: toStatement(items), counts: toStatement(counts), limit };
}
