import { DateTime } from "luxon";
import { isNis2Subject, type Nis2Status } from "./directory.ts";
import type { YesNoUnknown } from "./severity.ts";

/** The regulatory clocks of an incident, counted from the moment the establishment became aware. */
export const CLOCK_KINDS = [
  "national_portal",
  "gdpr_cnil",
  "nis2_early_warning",
  "nis2_notification",
  "nis2_final_report",
] as const;
export type ClockKind = (typeof CLOCK_KINDS)[number];

export const CLOCK_LABELS: Record<ClockKind, { label: string; deadline: string; basis: string }> = {
  national_portal: {
    label: "Déclaration sur le portail national",
    deadline: "sans délai",
    basis: "CSP art. L.1111-8-2",
  },
  gdpr_cnil: { label: "Notification à la CNIL", deadline: "72 h", basis: "RGPD art. 33" },
  nis2_early_warning: { label: "NIS2 — alerte précoce", deadline: "24 h", basis: "Directive NIS2 art. 23" },
  nis2_notification: {
    label: "NIS2 — notification d'incident",
    deadline: "72 h",
    basis: "Directive NIS2 art. 23",
  },
  nis2_final_report: {
    label: "NIS2 — rapport final",
    deadline: "1 mois après la notification",
    basis: "Directive NIS2 art. 23",
  },
};

export const CLOCK_STATES = ["pending", "due_soon", "overdue", "done_on_time", "done_late"] as const;
export type ClockState = (typeof CLOCK_STATES)[number];
export const CLOCK_STATE_LABELS: Record<ClockState, string> = {
  pending: "À faire",
  due_soon: "Échéance proche",
  overdue: "En retard",
  done_on_time: "Fait dans les délais",
  done_late: "Fait en retard",
};

export interface ClockSettings {
  timeZone: string;
  /** The law says "sans délai"; the pole counts it as due this many hours after awareness. */
  nationalPortalDueHours: number;
}

export interface ClockFacts {
  awareAt: Date;
  personalDataBreach: YesNoUnknown;
  nis2Status: Nis2Status;
  nationalPortal?: { declared: boolean; declaredAt?: Date | null };
  /** Done times already known, by kind (later issues record them). */
  done?: Partial<Record<ClockKind, Date>>;
}

export interface Clock {
  kind: ClockKind;
  startsAt: Date;
  dueAt: Date;
  doneAt: Date | null;
  /** The due time depends on a step not yet done (the NIS2 final report before the notification). */
  provisional: boolean;
}

const hours = (from: Date, h: number) => new Date(from.getTime() + h * 3_600_000);

/** One calendar month later in the region's zone: 31 January → 28/29 February, wall-clock time kept across DST. */
export function addOneMonth(from: Date, timeZone: string): Date {
  return DateTime.fromJSDate(from, { zone: timeZone }).plus({ months: 1 }).toJSDate();
}

/** Which clocks apply to an incident, with their due times. */
export function computeClocks(facts: ClockFacts, settings: ClockSettings): Clock[] {
  const { awareAt } = facts;
  const done = facts.done ?? {};
  const clocks: Clock[] = [];
  const portalDone =
    done.national_portal ??
    (facts.nationalPortal?.declared ? (facts.nationalPortal.declaredAt ?? awareAt) : undefined) ??
    null;
  clocks.push({
    kind: "national_portal",
    startsAt: awareAt,
    dueAt: hours(awareAt, settings.nationalPortalDueHours),
    doneAt: portalDone,
    provisional: false,
  });
  if (facts.personalDataBreach === "yes") {
    clocks.push({
      kind: "gdpr_cnil",
      startsAt: awareAt,
      dueAt: hours(awareAt, 72),
      doneAt: done.gdpr_cnil ?? null,
      provisional: false,
    });
  }
  if (isNis2Subject(facts.nis2Status)) {
    const notificationDue = hours(awareAt, 72);
    const notificationDone = done.nis2_notification ?? null;
    clocks.push(
      {
        kind: "nis2_early_warning",
        startsAt: awareAt,
        dueAt: hours(awareAt, 24),
        doneAt: done.nis2_early_warning ?? null,
        provisional: false,
      },
      {
        kind: "nis2_notification",
        startsAt: awareAt,
        dueAt: notificationDue,
        doneAt: notificationDone,
        provisional: false,
      },
      {
        kind: "nis2_final_report",
        startsAt: notificationDone ?? notificationDue,
        dueAt: addOneMonth(notificationDone ?? notificationDue, settings.timeZone),
        doneAt: done.nis2_final_report ?? null,
        provisional: notificationDone === null,
      },
    );
  }
  return clocks;
}

/** "Due soon" once three quarters of the time allowed has passed (at least the last hour). */
export function clockState(clock: Pick<Clock, "startsAt" | "dueAt" | "doneAt">, now: Date): ClockState {
  const due = clock.dueAt.getTime();
  if (clock.doneAt) return clock.doneAt.getTime() <= due ? "done_on_time" : "done_late";
  const t = now.getTime();
  if (t > due) return "overdue";
  const window = Math.max((due - clock.startsAt.getTime()) / 4, 3_600_000);
  return due - t <= window ? "due_soon" : "pending";
}

const frenchFormats = new Map<string, Intl.DateTimeFormat>();

/** A date as people of the region read it: "lundi 2 mars 2026 à 14:05". */
export function formatInZone(date: Date, timeZone: string): string {
  let format = frenchFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("fr-FR", { dateStyle: "full", timeStyle: "short", timeZone });
    frenchFormats.set(timeZone, format);
  }
  return format.format(date);
}
