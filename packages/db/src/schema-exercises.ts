import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, unique, uuid } from "drizzle-orm/pg-core";
import { at, day, id } from "./columns.ts";
import { establishments, users } from "./schema.ts";

/**
 * A cyber-crisis exercise: one establishment's, pooled by a GHT for several, or the ARS's regional one.
 * Its status is the exercise's own (planned, held, cancelled); what follows — RETEX, validation,
 * actions — is each participant's, in exercise_participations.
 */
export const exercises = pgTable(
  "exercises",
  {
    id: id(),
    kind: text("kind").notNull(),
    level: text("level").notNull(),
    title: text("title").notNull(),
    scenario: text("scenario").notNull(),
    objectives: jsonb("objectives").$type<string[]>().notNull().default([]),
    plannedOn: day("planned_on").notNull(),
    heldOn: day("held_on"),
    participants: text("participants").notNull().default(""),
    organiser: text("organiser").notNull(),
    status: text("status").notNull().default("planned"),
    cancelReason: text("cancel_reason"),
    createdByUserId: uuid("created_by_user_id").references(() => users.id),
    createdAt: at("created_at").notNull().defaultNow(),
    updatedAt: at("updated_at").notNull().defaultNow(),
  },
  (t) => [index("exercises_planned_idx").on(t.plannedOn.desc(), t.id.desc())],
);

/**
 * One establishment in one exercise, with its RETEX. `year` is the year that counts for the obligation:
 * the held day's once held, the planned day's before. Action counts are kept here, in the same
 * transaction as every change to the actions, so that completion aggregates never read the actions.
 */
export const exerciseParticipations = pgTable(
  "exercise_participations",
  {
    id: id(),
    exerciseId: uuid("exercise_id")
      .notNull()
      .references(() => exercises.id),
    establishmentId: uuid("establishment_id")
      .notNull()
      .references(() => establishments.id),
    status: text("status").notNull().default("planned"),
    year: integer("year").notNull(),
    actionsTotal: integer("actions_total").notNull().default(0),
    actionsClosed: integer("actions_closed").notNull().default(0),
    hotSummary: text("hot_summary"),
    hotOn: day("hot_on"),
    coldSummary: text("cold_summary"),
    coldOn: day("cold_on"),
    submittedAt: at("submitted_at"),
    validatedAt: at("validated_at"),
    validatedByUserId: uuid("validated_by_user_id").references(() => users.id),
    returnComment: text("return_comment"),
    sharedAt: at("shared_at"),
    shareTlp: text("share_tlp"),
    shareNamed: boolean("share_named").notNull().default(false),
    createdAt: at("created_at").notNull().defaultNow(),
    updatedAt: at("updated_at").notNull().defaultNow(),
  },
  (t) => [
    unique("exercise_participations_exercise_establishment_key").on(t.exerciseId, t.establishmentId),
    // Completion per year reads this index alone: which establishments, in which status.
    index("exercise_participations_year_idx").on(
      t.year,
      t.establishmentId,
      t.status,
      t.actionsTotal,
      t.actionsClosed,
    ),
    // Completion's per-establishment pass reads this one alone, in establishment order (no sort).
    index("exercise_participations_establishment_idx").on(
      t.establishmentId,
      t.year,
      t.status,
      t.actionsTotal,
      t.actionsClosed,
    ),
    index("exercise_participations_shared_idx")
      .on(t.sharedAt.desc(), t.id.desc())
      .where(sql`${t.sharedAt} IS NOT NULL`),
  ],
);

export const retexFindings = pgTable(
  "retex_findings",
  {
    id: id(),
    participationId: uuid("participation_id")
      .notNull()
      .references(() => exerciseParticipations.id),
    phase: text("phase").notNull(),
    theme: text("theme").notNull(),
    polarity: text("polarity").notNull(),
    text: text("text").notNull(),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [index("retex_findings_participation_idx").on(t.participationId)],
);

export const improvementActions = pgTable(
  "improvement_actions",
  {
    id: id(),
    participationId: uuid("participation_id")
      .notNull()
      .references(() => exerciseParticipations.id),
    findingId: uuid("finding_id").references(() => retexFindings.id),
    title: text("title").notNull(),
    owner: text("owner").notNull(),
    dueOn: day("due_on").notNull(),
    status: text("status").notNull().default("open"),
    closedAt: at("closed_at"),
    createdAt: at("created_at").notNull().defaultNow(),
    updatedAt: at("updated_at").notNull().defaultNow(),
  },
  (t) => [
    index("improvement_actions_participation_idx").on(t.participationId),
    index("improvement_actions_open_due_idx").on(t.dueOn).where(sql`${t.status} IN ('open', 'in_progress')`),
  ],
);
