import type { Config } from "@pris/config";
import type { Tx } from "@pris/db";
import {
  dayInZone,
  daysBetween,
  EXERCISE_KIND_LABELS,
  EXERCISE_LEVEL_LABELS,
  type ExerciseKind,
  type ExerciseLevel,
  formatShare,
  IMPROVEMENT_ACTION_STATUS_LABELS,
  type ImprovementActionStatus,
  type OutboxTopic,
  type ReminderMailTemplate,
} from "@pris/domain";
import { sql } from "drizzle-orm";
import { digestFigures } from "../exercises/exercise-reminders.ts";
import {
  poleContact,
  type RenderedMail,
  renderActionOverdue,
  renderExerciseDigest,
  renderExerciseDue,
  renderExerciseUnplanned,
  renderRetexReturned,
  renderRetexValidated,
} from "./templates.ts";

type MailConfig = Config;

const base = (config: MailConfig) => config.PUBLIC_URL.replace(/\/+$/, "");

/** A calendar day as people read it: "lundi 10 mars 2025". */
function longDay(day: string): string {
  return new Intl.DateTimeFormat("fr-FR", { dateStyle: "full", timeZone: "UTC" }).format(
    new Date(`${day}T00:00:00Z`),
  );
}

/**
 * Reminder e-mails are rendered from the rows as they are when sent: a reminder whose reason is gone
 * (the exercise held or cancelled, the action closed) renders nothing and is not sent.
 */
export async function renderExerciseMail(
  db: Tx,
  config: MailConfig,
  delivery: { template: ReminderMailTemplate; subjectId: string; createdAt: Date },
): Promise<RenderedMail | undefined> {
  const day = dayInZone(delivery.createdAt, config.REGION_TIMEZONE);
  const frame = { regionName: config.REGION_NAME };
  // The RSSIs of the establishment get these; the digest goes to the ARS and the pole.
  const pole = poleContact(config);
  switch (delivery.template) {
    case "exercise-due": {
      const { rows } = await db.execute<{
        exercise_id: string;
        title: string;
        kind: ExerciseKind;
        level: ExerciseLevel;
        planned_on: string;
        organiser: string;
        participants: string;
        name: string;
      }>(sql`
        SELECT x.id AS exercise_id, x.title, x.kind, x.level, x.planned_on::text AS planned_on, x.organiser,
               x.participants, e.name
        FROM exercise_participations p
        JOIN exercises x ON x.id = p.exercise_id
        JOIN establishments e ON e.id = p.establishment_id
        WHERE p.id = ${delivery.subjectId} AND p.status = 'planned' AND x.status = 'planned'`);
      const r = rows[0];
      if (!r) return undefined;
      const days = daysBetween(day, r.planned_on);
      return renderExerciseDue(
        {
          ...frame,
          link: `${base(config)}/exercices/${r.exercise_id}`,
          daysLabel: days === 1 ? "1 jour" : `${days} jours`,
          title: r.title,
          kindLabel: EXERCISE_KIND_LABELS[r.kind],
          levelLabel: EXERCISE_LEVEL_LABELS[r.level],
          plannedOn: longDay(r.planned_on),
          establishmentName: r.name,
          organiser: r.organiser,
          participants: r.participants,
        },
        pole,
      );
    }
    case "exercise-unplanned": {
      const { rows } = await db.execute<{ name: string }>(
        sql`SELECT name FROM establishments WHERE id = ${delivery.subjectId}`,
      );
      const r = rows[0];
      if (!r) return undefined;
      const year = Number(day.slice(0, 4));
      return renderExerciseUnplanned(
        {
          ...frame,
          link: `${base(config)}/exercices`,
          year,
          planBy: longDay(`${year}-${config.EXERCISE_PLAN_BY}`),
          establishmentName: r.name,
        },
        pole,
      );
    }
    case "action-overdue": {
      const { rows } = await db.execute<{
        title: string;
        owner: string;
        due_on: string;
        status: ImprovementActionStatus;
        participation_id: string;
        exercise_title: string;
        name: string;
      }>(sql`
        SELECT a.title, a.owner, a.due_on::text AS due_on, a.status, p.id AS participation_id,
               x.title AS exercise_title, e.name
        FROM improvement_actions a
        JOIN exercise_participations p ON p.id = a.participation_id
        JOIN exercises x ON x.id = p.exercise_id
        JOIN establishments e ON e.id = p.establishment_id
        WHERE a.id = ${delivery.subjectId} AND a.status IN ('open', 'in_progress')`);
      const r = rows[0];
      if (!r) return undefined;
      return renderActionOverdue(
        {
          ...frame,
          link: `${base(config)}/exercices/participations/${r.participation_id}`,
          title: r.title,
          exerciseTitle: r.exercise_title,
          establishmentName: r.name,
          owner: r.owner,
          dueOn: longDay(r.due_on),
          daysLate: daysBetween(r.due_on, day),
          statusLabel: IMPROVEMENT_ACTION_STATUS_LABELS[r.status],
        },
        pole,
      );
    }
    case "exercise-digest": {
      const f = await digestFigures(db, config, day);
      return renderExerciseDigest({
        ...frame,
        link: `${base(config)}/exercices/tableau-de-bord`,
        ...f,
        ratePercent: formatShare(f.held, f.subject),
      });
    }
  }
}

/**
 * The ARS's decision on a RETEX, rendered from its outbox row (the decision and the comment as written)
 * and the participation as it is now.
 */
export async function renderRetexReviewMail(
  db: Tx,
  config: MailConfig,
  delivery: { subjectId: string },
): Promise<RenderedMail | undefined> {
  const { rows } = await db.execute<{
    decision: string;
    comment: string | null;
    participation_id: string;
    title: string;
    kind: ExerciseKind;
    held_on: string | null;
    name: string;
    open_actions: number;
  }>(sql`
    SELECT o.payload->>'decision' AS decision, o.payload->>'comment' AS comment, p.id AS participation_id,
           x.title, x.kind, x.held_on::text AS held_on, e.name,
           (p.actions_total - p.actions_closed)::int AS open_actions
    FROM outbox o
    JOIN exercise_participations p ON p.id = o.aggregate_id
    JOIN exercises x ON x.id = p.exercise_id
    JOIN establishments e ON e.id = p.establishment_id
    WHERE o.id = ${delivery.subjectId} AND o.topic = ${"retex.reviewed" satisfies OutboxTopic}`);
  const r = rows[0];
  if (!r) return undefined;
  const view = {
    regionName: config.REGION_NAME,
    link: `${base(config)}/exercices/participations/${r.participation_id}`,
    exerciseTitle: r.title,
    kindLabel: EXERCISE_KIND_LABELS[r.kind],
    heldOn: r.held_on && longDay(r.held_on),
    establishmentName: r.name,
  };
  const pole = poleContact(config);
  if (r.decision === "validated") return renderRetexValidated({ ...view, openActions: r.open_actions }, pole);
  if (r.decision === "returned") return renderRetexReturned({ ...view, comment: r.comment ?? "" }, pole);
  return undefined;
}
