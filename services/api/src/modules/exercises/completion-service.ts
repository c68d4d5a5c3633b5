import { type Db, inRegistrySql, subjectKindSql, subjectSql } from "@pris/db";
import {
  type Completion,
  completionRate,
  dayInZone,
  FINDING_THEMES,
  type FindingTheme,
  HELD_STATUSES,
  type LatePage,
  type LateQuery,
  type ObligationRule,
  RETEX_SUBMITTED_STATUSES,
  type SharedRetexPage,
  type SharedRetexQuery,
} from "@pris/domain";
import { type SQL, sql } from "drizzle-orm";
import { decodeCursor, encodeCursor } from "../../http.ts";

export interface CompletionSettings {
  timeZone: string;
  rule: ObligationRule;
}

const TREND_YEARS = 5;

/** Literal lists, never parameters: the planner sees them and they match the index's status column. */
const list = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(", "));
const HELD = list(HELD_STATUSES);
const SUBMITTED = list(RETEX_SUBMITTED_STATUSES);

export function currentYear(timeZone: string, now = new Date()): number {
  return Number(dayInZone(now, timeZone).slice(0, 4));
}

/**
 * The statement behind GET /exercises/completion, shared with the benchmark's bare run. One pass:
 * per establishment, what its participations of the five years say — a bit per year with a held
 * exercise, and for the year asked what was planned, submitted and done (read in establishment order
 * from the (establishment, year, status, counts) index alone, so grouped without sorting) — joined
 * to the establishments once and grouped by territory × category, with each year's subject and held
 * counts as columns: the trend is their sum, so no second pass over the establishments.
 */
export function completionStatement(rule: ObligationRule, year: number): SQL {
  const first = year - TREND_YEARS + 1;
  const yearly = Array.from({ length: TREND_YEARS }, (_, i) => {
    const y = first + i;
    return sql`, count(*) FILTER (WHERE ${inRegistrySql(y)})::int AS subject_${sql.raw(String(i))},
      count(*) FILTER (WHERE ${inRegistrySql(y)} AND p.held_mask & ${1 << i} <> 0)::int AS held_${sql.raw(String(i))}`;
  });
  // Category and size are checked once, in WHERE; each column checks only the registry dates.
  const isSubject = inRegistrySql(year);
  return sql`
    WITH p AS (
      SELECT establishment_id,
             bit_or(CASE WHEN status IN (${HELD}) THEN 1 << (year - ${first}::int) ELSE 0 END) AS held_mask,
             bool_or(year = ${year}::int AND status <> 'cancelled') AS planned,
             bool_or(year = ${year}::int AND status IN (${SUBMITTED})) AS retex,
             sum(actions_total) FILTER (WHERE year = ${year}::int AND status <> 'cancelled') AS actions_total,
             sum(actions_closed) FILTER (WHERE year = ${year}::int AND status <> 'cancelled') AS actions_closed
      FROM exercise_participations
      WHERE year BETWEEN ${first}::int AND ${year}::int
      GROUP BY establishment_id
    )
    SELECT e.territory, t.name AS territory_name, e.category,
           count(*) FILTER (WHERE ${isSubject})::int AS subject,
           count(*) FILTER (WHERE ${isSubject} AND p.planned)::int AS planned,
           count(*) FILTER (WHERE ${isSubject} AND p.held_mask & ${1 << (TREND_YEARS - 1)} <> 0)::int AS held,
           count(*) FILTER (WHERE ${isSubject} AND p.retex)::int AS retex_submitted,
           COALESCE(sum(p.actions_total) FILTER (WHERE ${isSubject}), 0)::int AS actions_total,
           COALESCE(sum(p.actions_closed) FILTER (WHERE ${isSubject}), 0)::int AS actions_closed
           ${sql.join(yearly, sql``)}
    FROM establishments e
    JOIN territories t ON t.code = e.territory
    LEFT JOIN p ON p.establishment_id = e.id
    WHERE ${subjectKindSql(rule)}
    GROUP BY e.territory, t.name, e.category
    ORDER BY e.territory, e.category`;
}

type CountsRow = {
  territory: string;
  territory_name: string;
  category: string;
  subject: number;
  planned: number;
  held: number;
  retex_submitted: number;
  actions_total: number;
  actions_closed: number;
} & Record<`subject_${number}` | `held_${number}`, number>;

export async function completion(db: Db, settings: CompletionSettings, year: number): Promise<Completion> {
  const result = await db.execute<CountsRow>(completionStatement(settings.rule, year));
  const all = result.rows;
  const rows = all.filter((r) => r.subject > 0);
  const counts = (r: Omit<CountsRow, "territory" | "territory_name" | "category">) => ({
    subject: r.subject,
    planned: r.planned,
    held: r.held,
    retexSubmitted: r.retex_submitted,
    actionsTotal: r.actions_total,
    actionsClosed: r.actions_closed,
    rate: completionRate(r.subject, r.held),
  });
  const sum = (key: keyof CountsRow) => rows.reduce((s, r) => s + (r[key] as number), 0);
  const total = (key: keyof CountsRow) => all.reduce((s, r) => s + (r[key] as number), 0);
  return {
    year,
    total: counts({
      subject: sum("subject"),
      planned: sum("planned"),
      held: sum("held"),
      retex_submitted: sum("retex_submitted"),
      actions_total: sum("actions_total"),
      actions_closed: sum("actions_closed"),
    } as CountsRow),
    rows: rows.map((r) => ({
      territory: r.territory,
      territoryName: r.territory_name,
      category: r.category,
      ...counts(r),
    })),
    trend: Array.from({ length: TREND_YEARS }, (_, i) => {
      const subject = total(`subject_${i}`);
      const held = total(`held_${i}`);
      return { year: year - TREND_YEARS + 1 + i, subject, held, rate: completionRate(subject, held) };
    }),
  };
}

/** Subject establishments without a held exercise in the year, by name, in keyset pages. */
export async function lateEstablishments(
  db: Db,
  settings: CompletionSettings,
  query: LateQuery & { year: number },
  unpaged = false,
): Promise<LatePage> {
  const limit = unpaged ? null : (query.limit ?? 50);
  const after = decodeCursor(query.cursor, 3);
  // Name, then id, break ties whatever the order: the cursor is (sort key, name, id).
  const key =
    query.sort === "territory" ? sql`e.territory` : query.sort === "category" ? sql`e.category` : sql`e.name`;
  const pattern = query.q ? `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const where = sql`${subjectSql(settings.rule, query.year)}
    ${query.territory ? sql`AND e.territory = ${query.territory}` : sql``}
    ${query.category ? sql`AND e.category = ${query.category}` : sql``}
    ${pattern ? sql`AND (e.name ILIKE ${pattern} OR e.finess ILIKE ${pattern})` : sql``}
    AND NOT EXISTS (SELECT 1 FROM exercise_participations p
                    WHERE p.year = ${query.year}::int AND p.establishment_id = e.id AND p.status IN (${HELD}))`;
  const [items, total] = await Promise.all([
    db.execute<{
      id: string;
      sort_key: string;
      finess: string;
      name: string;
      category: string;
      territory: string;
      planned: boolean;
      rssi_name: string | null;
      rssi_email: string | null;
      rssi_phone: string | null;
      account_name: string | null;
      account_email: string | null;
      account_phone: string | null;
    }>(sql`
      SELECT e.id, ${key} AS sort_key, e.finess, e.name, e.category, e.territory,
             EXISTS (SELECT 1 FROM exercise_participations p
                     WHERE p.year = ${query.year}::int AND p.establishment_id = e.id AND p.status = 'planned') AS planned,
             e.contacts->'rssi'->>'name' AS rssi_name, e.contacts->'rssi'->>'email' AS rssi_email,
             e.contacts->'rssi'->>'phone' AS rssi_phone, a.display_name AS account_name, a.email AS account_email,
             a.phone AS account_phone
      FROM establishments e
      LEFT JOIN LATERAL (
        SELECT u.display_name, u.email, u.phone FROM users u
        WHERE u.active AND u.role = 'rssi' AND u.establishment_id = e.id
        ORDER BY u.created_at, u.id LIMIT 1
      ) a ON true
      WHERE ${where}
        ${after ? sql`AND (${key}, e.name, e.id) > (${after[0]}, ${after[1]}, ${after[2]}::uuid)` : sql``}
      ORDER BY ${key}, e.name, e.id
      ${limit === null ? sql`` : sql`LIMIT ${limit + 1}`}`),
    db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM establishments e WHERE ${where}`),
  ]);
  const rows = limit === null ? items.rows : items.rows.slice(0, limit);
  const last = rows.at(-1);
  return {
    year: query.year,
    total: total.rows[0]?.n ?? 0,
    items: rows.map((r) => {
      // The registry's contact first; an RSSI account when the registry names nobody.
      const fromAccount = !r.rssi_name && !r.rssi_email && r.account_email !== null;
      return {
        establishmentId: r.id,
        finess: r.finess,
        name: r.name,
        category: r.category,
        territory: r.territory,
        planned: r.planned,
        rssiName: fromAccount ? r.account_name : r.rssi_name,
        rssiEmail: fromAccount ? r.account_email : r.rssi_email,
        rssiPhone: fromAccount ? (r.rssi_phone ?? r.account_phone) : r.rssi_phone,
        rssiFromAccount: fromAccount,
      };
    }),
    nextCursor:
      limit !== null && items.rows.length > limit && last
        ? encodeCursor([last.sort_key, last.name, last.id])
        : null,
  };
}

/** Findings of the RETEX submitted for the year's exercises, per theme, most negative first. */
export async function recurringFindings(db: Db, year: number) {
  const [themes, retex] = await Promise.all([
    db.execute<{ theme: FindingTheme; negative: number; positive: number; retex: number }>(sql`
      SELECT f.theme,
             count(*) FILTER (WHERE f.polarity = 'negative')::int AS negative,
             count(*) FILTER (WHERE f.polarity = 'positive')::int AS positive,
             count(DISTINCT f.participation_id) FILTER (WHERE f.polarity = 'negative')::int AS retex
      FROM retex_findings f
      JOIN exercise_participations p ON p.id = f.participation_id
      WHERE p.year = ${year}::int AND p.status IN (${SUBMITTED})
      GROUP BY f.theme`),
    db.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM exercise_participations p
      WHERE p.year = ${year}::int AND p.status IN (${SUBMITTED})`),
  ]);
  const byTheme = new Map(themes.rows.map((r) => [r.theme, r]));
  return {
    year,
    retexCount: retex.rows[0]?.n ?? 0,
    themes: FINDING_THEMES.map((theme) => ({
      theme,
      negative: byTheme.get(theme)?.negative ?? 0,
      positive: byTheme.get(theme)?.positive ?? 0,
      retex: byTheme.get(theme)?.retex ?? 0,
    })).sort((a, b) => b.negative - a.negative || b.retex - a.retex),
  };
}

/** RETEX shared with the network, newest first: named only with the establishment's agreement. */
export async function sharedRetex(db: Db, query: SharedRetexQuery): Promise<SharedRetexPage> {
  const limit = query.limit ?? 20;
  const after = decodeCursor(query.cursor, 2);
  const rows = await db.execute<{
    id: string;
    shared_at: Date | string;
    share_tlp: string;
    share_named: boolean;
    name: string;
    category: string;
    territory: string;
    kind: string;
    level: string;
    held_on: string;
    scenario: string;
    hot_summary: string | null;
    cold_summary: string | null;
  }>(sql`
    SELECT p.id, p.shared_at, p.share_tlp, p.share_named, e.name, e.category, e.territory,
           x.kind, x.level, x.held_on::text AS held_on, x.scenario, p.hot_summary, p.cold_summary
    FROM exercise_participations p
    JOIN exercises x ON x.id = p.exercise_id
    JOIN establishments e ON e.id = p.establishment_id
    WHERE p.shared_at IS NOT NULL
      ${query.year ? sql`AND p.year = ${query.year}::int` : sql``}
      ${query.category ? sql`AND e.category = ${query.category}` : sql``}
      ${query.territory ? sql`AND e.territory = ${query.territory}` : sql``}
      ${
        // At the millisecond the API gives sharedAt with, so that "since the newest seen" excludes it.
        query.sharedSince
          ? sql`AND date_trunc('milliseconds', p.shared_at) > ${query.sharedSince}::timestamptz`
          : sql``
      }
      ${
        query.theme
          ? sql`AND EXISTS (SELECT 1 FROM retex_findings f
                            WHERE f.participation_id = p.id AND f.theme = ${query.theme})`
          : sql``
      }
      ${after ? sql`AND (p.shared_at, p.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)` : sql``}
    ORDER BY p.shared_at DESC, p.id DESC
    LIMIT ${limit + 1}`);
  const page = rows.rows.slice(0, limit);
  const ids = page.map((r) => r.id);
  const findings =
    ids.length === 0
      ? { rows: [] }
      : await db.execute<{
          participation_id: string;
          phase: string;
          theme: string;
          polarity: string;
          text: string;
        }>(
          sql`SELECT participation_id, phase, theme, polarity, text FROM retex_findings
              WHERE participation_id IN (${sql.join(
                ids.map((id) => sql`${id}::uuid`),
                sql`, `,
              )})
              ORDER BY created_at, id`,
        );
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      id: r.id,
      tlp: r.share_tlp as "CLEAR",
      establishment: r.share_named ? r.name : null,
      category: r.category,
      territory: r.territory,
      kind: r.kind as "tabletop",
      level: r.level as "beginner",
      heldOn: r.held_on,
      scenario: r.scenario,
      hotSummary: r.hot_summary,
      coldSummary: r.cold_summary,
      sharedAt: new Date(r.shared_at).toISOString(),
      findings: findings.rows
        .filter((f) => f.participation_id === r.id)
        .map((f) => ({
          phase: f.phase as "hot",
          theme: f.theme as FindingTheme,
          polarity: f.polarity as "negative",
          text: f.text,
        })),
    })),
    nextCursor:
      rows.rows.length > limit && last
        ? encodeCursor([new Date(last.shared_at).toISOString(), last.id])
        : null,
  };
}
