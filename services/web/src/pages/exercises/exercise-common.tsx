import { PARTICIPATION_STATUS_LABELS, type ParticipationStatus } from "@pris/domain";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { ApiError, describeError } from "../../api/client.ts";
import { formatDay, formatRatio } from "../../lib/format.ts";
import { useSubmission } from "../../lib/use-submission.ts";

/** A calendar day of the region, written out ("10 mars 2025"): a day has no time zone to convert. */
export function dayLabel(day: string | null): string {
  return day ? formatDay(day) : "—";
}

/** Today in the region's zone, as the API expects days (YYYY-MM-DD). */
export function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone }).format(new Date());
}

const BADGE: Record<ParticipationStatus, string> = {
  planned: "fr-badge--info",
  held: "fr-badge--new",
  retex_submitted: "fr-badge--warning",
  validated: "fr-badge--success",
  actions_closed: "fr-badge--success",
  cancelled: "",
};

export function ParticipationBadge({ status }: { status: ParticipationStatus }) {
  return (
    <p className={`fr-badge fr-badge--sm fr-badge--no-icon ${BADGE[status]}`}>
      {PARTICIPATION_STATUS_LABELS[status]}
    </p>
  );
}

/** A rate (0.125) as "12,5 %". */
export const percent = (rate: number | null): string => formatRatio(rate);

/** The API's refusal, in the words of the exercise pages. */
export function describeExerciseProblem(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 403) return "Votre rôle ne permet pas cette action.";
    if (err.status === 409) {
      const missing = err.problem.errors?.map((e) => e.message) ?? [];
      return missing.length > 0
        ? `Action impossible pour l'instant : ${missing.join(" ; ")}.`
        : "Action impossible dans l'état actuel de l'exercice.";
    }
    if (err.status === 400) {
      const fields = err.problem.errors?.map((e) => `${e.field.replace(/^\//, "")} : ${e.message}`) ?? [];
      return fields.length > 0 ? `Vérifiez les champs : ${fields.join(" ; ")}.` : err.problem.title;
    }
  }
  return describeError(err);
}

/** Busy while a write runs, the refusal in the exercise pages' words when it fails. */
export function useExerciseSubmission() {
  return useSubmission(describeExerciseProblem);
}

/** The link back up, above an exercise page's title. */
export function BackLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <p>
      <Link to={to} className="fr-link fr-icon-arrow-left-line fr-link--icon-left">
        {children}
      </Link>
    </p>
  );
}
