import { type Config, mailDomain } from "@pris/config";
import { mailDeliveries, subjectSql, type Tx } from "@pris/db";
import {
  addDays,
  dayInZone,
  EXERCISE_REMINDER_DAYS,
  HELD_STATUSES,
  isDigestDay,
  parseObligationRule,
  REMINDER_MAIL_TEMPLATES,
  type ReminderKind,
  reminderKey,
  unplannedReminderDue,
} from "@pris/domain";
import { and, inArray, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { enqueueDeliveries } from "../queues.ts";

interface Reminder {
  kind: ReminderKind;
  /** The participation, establishment, action or ARS member the reminder is about. */
  objectId: string;
  userId: string;
  email: string;
}

export function reminderMessageId(key: string, domain: string): string {
  return `<reminder.${key.replaceAll(":", ".")}@${domain}>`;
}

/** Active RSSIs of an establishment `e`: its own, and those of its GHT. */
export const RSSIS = sql`
  JOIN users u ON u.active AND u.role = 'rssi'
    AND (u.establishment_id = e.id OR (u.ght_id IS NOT NULL AND u.ght_id = e.ght_id))`;

const HELD = sql.raw(HELD_STATUSES.map((s) => `'${s}'`).join(", "));

export function obligationRuleOf(config: Config) {
  return parseObligationRule(config.EXERCISE_SUBJECT_CATEGORIES, config.EXERCISE_SMALL_STRUCTURES);
}

/** Who is owed which reminder today (the region's day). Pure reads. */
export async function dueReminders(db: Tx, config: Config, today: string): Promise<Reminder[]> {
  const year = Number(today.slice(0, 4));
  const rule = obligationRuleOf(config);
  const days = EXERCISE_REMINDER_DAYS.map((d) => sql`${addDays(today, d)}::date`);
  const [due, unplanned, overdue, digest] = await Promise.all([
    db.execute<{ kind: ReminderKind; object_id: string; user_id: string; email: string }>(sql`
      SELECT 'exercise-due-' || (x.planned_on - ${today}::date) AS kind, p.id AS object_id,
             u.id AS user_id, u.email
      FROM exercise_participations p
      JOIN exercises x ON x.id = p.exercise_id
      JOIN establishments e ON e.id = p.establishment_id AND e.active
      ${RSSIS}
      WHERE p.status = 'planned' AND x.status = 'planned'
        AND x.planned_on IN (${sql.join(days, sql`, `)})`),
    unplannedReminderDue(config.EXERCISE_PLAN_BY, today)
      ? db.execute<{ kind: ReminderKind; object_id: string; user_id: string; email: string }>(sql`
          SELECT 'exercise-unplanned' AS kind, e.id AS object_id, u.id AS user_id, u.email
          FROM establishments e
          ${RSSIS}
          WHERE e.active AND ${subjectSql(rule, year)}
            AND NOT EXISTS (SELECT 1 FROM exercise_participations p
                            WHERE p.establishment_id = e.id AND p.year = ${year}::int AND p.status <> 'cancelled')`)
      : { rows: [] },
    db.execute<{ kind: ReminderKind; object_id: string; user_id: string; email: string }>(sql`
      SELECT 'action-overdue' AS kind, a.id AS object_id, u.id AS user_id, u.email
      FROM improvement_actions a
      JOIN exercise_participations p ON p.id = a.participation_id
      JOIN establishments e ON e.id = p.establishment_id AND e.active
      ${RSSIS}
      WHERE a.status IN ('open', 'in_progress') AND a.due_on < ${today}::date
        AND (${today}::date - a.due_on - 1) % 7 = 0`),
    isDigestDay(today)
      ? db.execute<{ kind: ReminderKind; object_id: string; user_id: string; email: string }>(sql`
          SELECT 'exercise-digest' AS kind, u.id AS object_id, u.id AS user_id, u.email
          FROM users u WHERE u.active AND u.role = 'ars'`)
      : { rows: [] },
  ]);
  return [...due.rows, ...unplanned.rows, ...overdue.rows, ...digest.rows].map((r) => ({
    kind: r.kind,
    objectId: r.object_id,
    userId: r.user_id,
    email: r.email,
  }));
}

/**
 * One scan, run by a job scheduler: every reminder owed today becomes a delivery row whose unique key
 * is kind, object, day and person — so a second scan the same day, in this process or after a restart,
 * in another worker or after Redis lost its jobs, creates nothing and sends nothing again. Then the
 * deliveries still owed are enqueued (the delivery id as job id keeps them single).
 */
export async function scanExerciseReminders(
  ctx: WorkerContext,
  now = new Date(),
): Promise<{ owed: number; created: number }> {
  const { db, config, queues, tuning } = ctx;
  const today = dayInZone(now, config.REGION_TIMEZONE);
  const reminders = await dueReminders(db, config, today);
  if (reminders.length === 0) return { owed: 0, created: 0 };
  const rows = reminders.map((r) => {
    const key = reminderKey(r.kind, r.objectId, today, r.userId);
    return {
      dedupeKey: key,
      template: REMINDER_MAIL_TEMPLATES[r.kind],
      subjectId: r.objectId,
      userId: r.userId,
      toAddress: r.email,
      messageId: reminderMessageId(key, mailDomain(config)),
    };
  });
  let created = 0;
  for (let i = 0; i < rows.length; i += 500) {
    const inserted = await db
      .insert(mailDeliveries)
      .values(rows.slice(i, i + 500))
      .onConflictDoNothing({ target: mailDeliveries.dedupeKey })
      .returning({ id: mailDeliveries.id });
    created += inserted.length;
  }
  const keys = rows.map((r) => r.dedupeKey);
  for (let i = 0; i < keys.length; i += 500) {
    const pending = await db
      .select({ id: mailDeliveries.id, template: mailDeliveries.template })
      .from(mailDeliveries)
      .where(
        and(
          inArray(mailDeliveries.dedupeKey, keys.slice(i, i + 500)),
          inArray(mailDeliveries.status, ["queued", "deferred"]),
        ),
      );
    await enqueueDeliveries(queues.sendMail, pending, tuning);
  }
  if (created > 0) ctx.logger.info({ created, day: today }, "exercise reminders queued");
  return { owed: rows.length, created };
}

/** The digest's figures for the current year, read when the e-mail is rendered. */
export async function digestFigures(db: Tx, config: Config, today: string) {
  const year = Number(today.slice(0, 4));
  const rule = obligationRuleOf(config);
  const [counts, waiting, overdue] = await Promise.all([
    db.execute<{ subject: number; held: number; planned: number }>(sql`
      SELECT count(*)::int AS subject,
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM exercise_participations p WHERE p.year = ${year}::int
                              AND p.establishment_id = e.id AND p.status IN (${HELD})))::int AS held,
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM exercise_participations p WHERE p.year = ${year}::int
                              AND p.establishment_id = e.id AND p.status <> 'cancelled'))::int AS planned
      FROM establishments e WHERE ${subjectSql(rule, year)}`),
    db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM exercise_participations WHERE status = 'retex_submitted'`,
    ),
    db.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM improvement_actions
      WHERE status IN ('open', 'in_progress') AND due_on < ${today}::date`),
  ]);
  const c = counts.rows[0] ?? { subject: 0, held: 0, planned: 0 };
  return {
    year,
    ...c,
    awaitingValidation: waiting.rows[0]?.n ?? 0,
    overdueActions: overdue.rows[0]?.n ?? 0,
    late: c.subject - c.held,
  };
}
