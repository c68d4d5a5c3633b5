import { CATEGORY_VALUES, type Category } from "./directory.ts";

/** Cyber-crisis exercises, their RETEX and the yearly obligation: the words and the rules, no I/O. */

export const EXERCISE_KINDS = ["degraded_mode", "tabletop", "regional"] as const;
export type ExerciseKind = (typeof EXERCISE_KINDS)[number];
export const EXERCISE_KIND_LABELS: Record<ExerciseKind, string> = {
  degraded_mode: "Exercice en mode dégradé numérique",
  tabletop: "Exercice sur table",
  regional: "Exercice régional de crise",
};

/** "light" is the short kit meant for small structures (an EHPAD, a SSIAD). */
export const EXERCISE_LEVELS = ["beginner", "intermediate", "confirmed", "light"] as const;
export type ExerciseLevel = (typeof EXERCISE_LEVELS)[number];
export const EXERCISE_LEVEL_LABELS: Record<ExerciseLevel, string> = {
  beginner: "Débutant",
  intermediate: "Intermédiaire",
  confirmed: "Confirmé",
  light: "Format allégé (petites structures)",
};

/**
 * The progress of one establishment in one exercise. An exercise of one establishment has one
 * participation; a GHT-pooled or regional one has one per participant, each with its own RETEX.
 */
export const PARTICIPATION_STATUSES = [
  "planned",
  "held",
  "retex_submitted",
  "validated",
  "actions_closed",
  "cancelled",
] as const;
export type ParticipationStatus = (typeof PARTICIPATION_STATUSES)[number];
export const PARTICIPATION_STATUS_LABELS: Record<ParticipationStatus, string> = {
  planned: "Planifié",
  held: "Réalisé",
  retex_submitted: "RETEX soumis",
  validated: "RETEX validé",
  actions_closed: "Actions soldées",
  cancelled: "Annulé",
};

/** Statuses in which the exercise took place: they count towards the year's obligation. */
export const HELD_STATUSES = ["held", "retex_submitted", "validated", "actions_closed"] as const;
/** Statuses in which a RETEX has been handed to the ARS. */
export const RETEX_SUBMITTED_STATUSES = ["retex_submitted", "validated", "actions_closed"] as const;

export const PARTICIPATION_ACTIONS = [
  "hold",
  "cancel",
  "submit_retex",
  "validate_retex",
  "return_retex",
  "close_actions",
] as const;
export type ParticipationAction = (typeof PARTICIPATION_ACTIONS)[number];

const MOVES: Record<ParticipationAction, { from: readonly ParticipationStatus[]; to: ParticipationStatus }> =
  {
    hold: { from: ["planned"], to: "held" },
    cancel: { from: ["planned"], to: "cancelled" },
    // A RETEX sent back returns to "held": the establishment completes it and submits again.
    submit_retex: { from: ["held"], to: "retex_submitted" },
    validate_retex: { from: ["retex_submitted"], to: "validated" },
    return_retex: { from: ["retex_submitted"], to: "held" },
    close_actions: { from: ["validated"], to: "actions_closed" },
  };

export function participationTransition(
  status: ParticipationStatus,
  action: ParticipationAction,
): ParticipationStatus | undefined {
  const move = MOVES[action];
  return move.from.includes(status) ? move.to : undefined;
}

export function allowedParticipationActions(status: ParticipationStatus): ParticipationAction[] {
  return PARTICIPATION_ACTIONS.filter((a) => MOVES[a].from.includes(status));
}

/**
 * After validation, the last improvement action closed (or none at all) closes the participation:
 * "actions closed" is a fact about the actions, not a separate decision.
 */
export function statusAfterActions(
  status: ParticipationStatus,
  actions: { status: ImprovementActionStatus }[],
): ParticipationStatus {
  if (status === "validated" && actions.every((a) => isActionClosed(a.status))) return "actions_closed";
  if (status === "actions_closed" && !actions.every((a) => isActionClosed(a.status))) return "validated";
  return status;
}

export const FINDING_THEMES = [
  "governance",
  "alerting",
  "communication",
  "continuity",
  "technical",
  "suppliers",
] as const;
export type FindingTheme = (typeof FINDING_THEMES)[number];
export const FINDING_THEME_LABELS: Record<FindingTheme, string> = {
  governance: "Gouvernance et cellule de crise",
  alerting: "Alerte et escalade",
  communication: "Communication (dont échanges Préfecture / ARS)",
  continuity: "Continuité des soins et procédures dégradées",
  technical: "Technique : sauvegardes et restauration",
  suppliers: "Fournisseurs et prestataires",
};

export const FINDING_POLARITIES = ["positive", "negative"] as const;
export type FindingPolarity = (typeof FINDING_POLARITIES)[number];

/** "Hot" is written in the debrief right after the exercise; "cold" weeks later, with hindsight. */
export const RETEX_PHASES = ["hot", "cold"] as const;
export type RetexPhase = (typeof RETEX_PHASES)[number];

export const IMPROVEMENT_ACTION_STATUSES = ["open", "in_progress", "done", "dropped"] as const;
export type ImprovementActionStatus = (typeof IMPROVEMENT_ACTION_STATUSES)[number];
export const IMPROVEMENT_ACTION_STATUS_LABELS: Record<ImprovementActionStatus, string> = {
  open: "À faire",
  in_progress: "En cours",
  done: "Réalisée",
  dropped: "Abandonnée",
};
export function isActionClosed(status: ImprovementActionStatus): boolean {
  return status === "done" || status === "dropped";
}

/** Sharing with the network: never RED (it would reach no one), AMBER+STRICT at most. */
export const RETEX_SHARE_TLPS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT"] as const;
export type RetexShareTlp = (typeof RETEX_SHARE_TLPS)[number];

/**
 * Which establishments owe an exercise in a year, as configured:
 * - `categories`: the categories subject to the obligation;
 * - `smallStructures`: "subject" (they owe one too, the light format being enough) or "exempt".
 * An establishment is subject in year Y when it was in the registry by the first half of Y (joined on or
 * before 30 June) and still there at its end: one that joins in the second half owes its first exercise
 * the year after, one that leaves during the year owes nothing for it (and its exercise of that year does
 * not count either, so that the rate stays a share of the same establishments).
 */
export interface ObligationRule {
  categories: readonly Category[];
  smallStructures: "subject" | "exempt";
}

/**
 * The rule from its settings: categories comma-separated, or "*" for all. An unknown category is a
 * configuration mistake a process must not start with: the rate would silently leave establishments out.
 */
export function parseObligationRule(
  categories: string,
  smallStructures: "subject" | "exempt",
): ObligationRule {
  const raw = categories.trim();
  const list = raw === "*" ? CATEGORY_VALUES : raw.split(",").map((c) => c.trim());
  const unknown = list.filter((c) => !(CATEGORY_VALUES as string[]).includes(c));
  if (unknown.length > 0)
    throw new Error(`EXERCISE_SUBJECT_CATEGORIES: unknown categories ${unknown.join(", ")}`);
  return { categories: list as Category[], smallStructures };
}

export interface ObligationFacts {
  category: Category;
  smallStructure: boolean;
  /** Day it entered the registry (YYYY-MM-DD, region's zone); null when before any year counted. */
  activeFrom: string | null;
  /** Last day it was in the registry; null while it is. */
  activeUntil: string | null;
}

export function joinCutoff(year: number): string {
  return `${year}-06-30`;
}
export function yearEnd(year: number): string {
  return `${year}-12-31`;
}

export function isSubject(facts: ObligationFacts, year: number, rule: ObligationRule): boolean {
  if (!rule.categories.includes(facts.category)) return false;
  if (facts.smallStructure && rule.smallStructures === "exempt") return false;
  if (facts.activeFrom !== null && facts.activeFrom > joinCutoff(year)) return false;
  if (facts.activeUntil !== null && facts.activeUntil < yearEnd(year)) return false;
  return true;
}

export function completionRate(subject: number, held: number): number | null {
  return subject === 0 ? null : held / subject;
}

/** A calendar day of the region (YYYY-MM-DD) for an instant. */
export function dayInZone(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone }).format(at);
}

/** Whole days from `from` to `to`, both YYYY-MM-DD (calendar days, no time zone involved). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export const REMINDER_KINDS = [
  "exercise-due-30",
  "exercise-due-7",
  "exercise-due-1",
  "exercise-unplanned",
  "action-overdue",
  "exercise-digest",
] as const;
export type ReminderKind = (typeof REMINDER_KINDS)[number];

/** Days before a planned exercise on which its participants are reminded. */
export const EXERCISE_REMINDER_DAYS = [30, 7, 1] as const;

export function exerciseDueReminder(plannedOn: string, today: string): ReminderKind | undefined {
  const days = daysBetween(today, plannedOn);
  return (EXERCISE_REMINDER_DAYS as readonly number[]).includes(days)
    ? (`exercise-due-${days}` as ReminderKind)
    : undefined;
}

/**
 * An establishment with nothing planned for the year is reminded on the configured day (MM-DD) and every
 * fortnight after it until the year ends: often enough to be acted on, rarely enough not to be ignored.
 */
export function unplannedReminderDue(planByMonthDay: string, today: string): boolean {
  const deadline = `${today.slice(0, 4)}-${planByMonthDay}`;
  const days = daysBetween(deadline, today);
  return days >= 0 && days % 14 === 0;
}

/** An overdue improvement action is reminded the day after its due date, then weekly. */
export function overdueActionReminderDue(dueOn: string, today: string): boolean {
  const days = daysBetween(dueOn, today);
  return days >= 1 && (days - 1) % 7 === 0;
}

/** The ARS digest goes out on Mondays (in the region's zone). */
export function isDigestDay(today: string): boolean {
  return new Date(`${today}T00:00:00Z`).getUTCDay() === 1;
}

/**
 * The unique key of one reminder e-mail: kind, object and day (in the region's zone), and the person —
 * "sent once per object, kind and day" is a unique constraint in PostgreSQL, whatever restarts happen.
 */
export function reminderKey(kind: ReminderKind, objectId: string, day: string, userId: string): string {
  return `${kind}:${objectId}:${day}:${userId}`;
}

export const RETEX_DECISIONS = ["validated", "returned"] as const;
export type RetexDecision = (typeof RETEX_DECISIONS)[number];

/** One e-mail per decision (its outbox row) and RSSI: a replayed job finds the row and sends nothing. */
export function retexReviewedKey(outboxId: string, userId: string): string {
  return `retex-reviewed:${outboxId}:${userId}`;
}

/**
 * An establishment joining an exercise after it was planned starts where the others are: planned, or held
 * (it took part) once the exercise is recorded held. A cancelled exercise takes no one.
 */
export function joiningStatus(
  exerciseStatus: "planned" | "held" | "cancelled",
): ParticipationStatus | undefined {
  if (exerciseStatus === "cancelled") return undefined;
  return exerciseStatus;
}

/** A participant leaves only before its RETEX reaches the ARS: after that, the ARS's work depends on it. */
export function participantRemovable(status: ParticipationStatus): boolean {
  return status === "planned" || status === "held";
}
