import type { ClockKind } from "./clocks.ts";
import type { IncidentStatus } from "./contracts/incident-contract.ts";
import type { ServiceLevels } from "./lifecycle.ts";
import type { Severity } from "./severity.ts";

/**
 * The timers the worker fires for an incident: service-level reminders to the pole, the follow-up date
 * of a waiting incident, the reminders of its regulatory clocks. They are derived from the incident's
 * state alone: the worker plans them whenever the incident changes and checks them again when they fire.
 */
export const TIMER_KINDS = [
  "sla.remind",
  "sla.missed",
  "followup.due",
  "clock.remind",
  "clock.overdue",
] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

export interface TimerPlanIncident {
  id: string;
  status: IncidentStatus;
  severity: Severity;
  ackDueAt: Date | null;
  acknowledgedAt: Date | null;
  followUpAt: Date | null;
}

export interface TimerPlanClock {
  id: string;
  kind: ClockKind;
  startsAt: Date;
  dueAt: Date;
  doneAt: Date | null;
}

export interface TimerPlanSettings {
  /** Minutes to acknowledge, per severity. */
  serviceLevels: ServiceLevels;
  /** The on-duty analyst is reminded this long before the service level is missed (at most half of it). */
  remindBeforeMinutes: number;
}

export interface PlannedTimer {
  kind: TimerKind;
  /** The incident for service-level and follow-up timers, the clock row for clock timers. */
  subjectId: string;
  dueAt: Date;
  /** The deadline the timer is about (for a reminder, later than dueAt). */
  deadline: Date;
  incidentId: string;
  clockKind?: ClockKind;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Same window as clockState: a clock is due soon over its last quarter, and at least its last hour. */
export function clockDueSoonAt(clock: Pick<TimerPlanClock, "startsAt" | "dueAt">): Date {
  const due = clock.dueAt.getTime();
  return new Date(due - Math.max((due - clock.startsAt.getTime()) / 4, HOUR));
}

/** When the on-duty analyst is reminded of a service level: min(remind-before, half the level) ahead. */
export function slaRemindAt(ackDueAt: Date, severity: Severity, settings: TimerPlanSettings): Date {
  const before = Math.min(settings.remindBeforeMinutes, settings.serviceLevels[severity] / 2);
  return new Date(ackDueAt.getTime() - before * MINUTE);
}

/** Out of the pole's hands: not an incident, or a duplicate whose clocks live on the other one. */
const DISCARDED: readonly IncidentStatus[] = ["rejected", "merged"];
const WAITING: readonly IncidentStatus[] = ["waiting_establishment", "waiting_third_party"];

/**
 * Every timer the incident should have now. `now` only drops reminders whose deadline already
 * passed: the "missed" or "overdue" timer of the same deadline says more, and says it once.
 *
 * - the acknowledgement service level while the incident is new and not acknowledged;
 * - the follow-up date while the incident waits on the establishment or a third party;
 * - each regulatory clock not done, as long as the incident is not rejected or merged: a closed
 *   incident still owes its final NIS2 report.
 */
export function planTimers(
  incident: TimerPlanIncident,
  clocks: readonly TimerPlanClock[],
  settings: TimerPlanSettings,
  now: Date,
): PlannedTimer[] {
  const planned: PlannedTimer[] = [];
  const t = now.getTime();
  const base = { subjectId: incident.id, incidentId: incident.id };

  const awaitingAck = incident.status === "new" && incident.acknowledgedAt === null;
  if (awaitingAck && incident.ackDueAt) {
    const deadline = incident.ackDueAt;
    if (t < deadline.getTime()) {
      planned.push({
        ...base,
        kind: "sla.remind",
        dueAt: slaRemindAt(deadline, incident.severity, settings),
        deadline,
      });
    }
    planned.push({ ...base, kind: "sla.missed", dueAt: deadline, deadline });
  }

  if (WAITING.includes(incident.status) && incident.followUpAt) {
    planned.push({
      ...base,
      kind: "followup.due",
      dueAt: incident.followUpAt,
      deadline: incident.followUpAt,
    });
  }

  if (!DISCARDED.includes(incident.status)) {
    for (const clock of clocks) {
      if (clock.doneAt) continue;
      const timer = {
        subjectId: clock.id,
        incidentId: incident.id,
        clockKind: clock.kind,
        deadline: clock.dueAt,
      };
      if (t < clock.dueAt.getTime()) {
        planned.push({ ...timer, kind: "clock.remind", dueAt: clockDueSoonAt(clock) });
      }
      planned.push({ ...timer, kind: "clock.overdue", dueAt: clock.dueAt });
    }
  }
  return planned;
}

/** What makes a timer one row: its subject, kind and due time (the table's unique key). */
export function timerKey(timer: { subjectId: string; kind: string; dueAt: Date }): string {
  return `${timer.subjectId}|${timer.kind}|${timer.dueAt.getTime()}`;
}
