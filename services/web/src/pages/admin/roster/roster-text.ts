import {
  formatMinuteOfDay,
  formatWeekSpan,
  MINUTES_PER_DAY,
  type OnCallSlot,
  WEEKDAY_NAMES,
} from "@pris/domain";
import { ApiError, describeError } from "../../../api/client.ts";

/** The parts of a slot that fall on one day of the week, with their hours on that day. */
export function slotsOfDay(slots: readonly OnCallSlot[], day: number) {
  const dayStart = day * MINUTES_PER_DAY;
  const dayEnd = dayStart + MINUTES_PER_DAY;
  return slots
    .filter((s) => s.startMinute < dayEnd && s.endMinute > dayStart)
    .map((s) => {
      const from = Math.max(s.startMinute, dayStart) - dayStart;
      const to = Math.min(s.endMinute, dayEnd) - dayStart;
      return {
        slot: s,
        hours: `${formatMinuteOfDay(from)} – ${formatMinuteOfDay(to)}`,
        continued: s.startMinute < dayStart,
        continues: s.endMinute > dayEnd,
      };
    });
}

const FIELD_LABELS: Record<string, string> = {
  "/startMinute": "Début",
  "/endMinute": "Fin",
  "/primaryUserId": "Analyste d'astreinte",
  "/backupUserId": "Suppléant",
  "/note": "Remarque",
};

const MESSAGES: Record<string, string> = {
  "must be after startMinute": "doit être après le début",
  "must differ from primaryUserId": "doit être une autre personne que l'analyste d'astreinte",
  "is not an active analyst": "n'est pas un analyste actif du pôle",
};

/** A refusal of the API, in French; an overlap names the slot in the way, read from the rota. */
export function describeRosterProblem(
  err: unknown,
  slots: readonly OnCallSlot[],
  span: { startMinute: number; endMinute: number; exceptId?: string },
): string {
  if (err instanceof ApiError && err.status === 409 && err.problem.code === "on_call_overlap") {
    const other = slots.find(
      (s) => s.id !== span.exceptId && s.startMinute < span.endMinute && span.startMinute < s.endMinute,
    );
    return other
      ? `Ce créneau chevauche celui du ${formatWeekSpan(other)} (${other.primary.displayName}). ` +
          "Raccourcissez ou supprimez d'abord ce créneau."
      : "Ce créneau chevauche un autre créneau de l'astreinte.";
  }
  if (err instanceof ApiError && err.status === 400 && err.problem.errors?.length) {
    const parts = err.problem.errors.map(
      (e) => `${FIELD_LABELS[e.field] ?? e.field} : ${MESSAGES[e.message] ?? "valeur refusée"}`,
    );
    return `Vérifiez les champs : ${parts.join(" ; ")}.`;
  }
  if (err instanceof ApiError && err.status === 404)
    return "Ce créneau n'existe plus : la page a été actualisée.";
  return describeError(err);
}

export const DAY_OPTIONS = WEEKDAY_NAMES.map(
  (name, i) => [i, name[0]!.toUpperCase() + name.slice(1)] as const,
);
