import type { Config } from "@pris/config";
import { incidentClocks, incidents, serviceLevels, type Tx } from "@pris/db";
import type {
  ClockKind,
  IncidentStatus,
  Severity,
  TimerPlanClock,
  TimerPlanIncident,
  TimerPlanSettings,
} from "@pris/domain";
import { asc, inArray } from "drizzle-orm";

export function timerPlanSettings(
  config: Pick<
    Config,
    | "SLA_ACK_MINUTES_P1"
    | "SLA_ACK_MINUTES_P2"
    | "SLA_ACK_MINUTES_P3"
    | "SLA_ACK_MINUTES_P4"
    | "SLA_REMIND_BEFORE_MINUTES"
  >,
): TimerPlanSettings {
  return {
    serviceLevels: serviceLevels(config),
    remindBeforeMinutes: config.SLA_REMIND_BEFORE_MINUTES,
  };
}

/** What timers are stored with besides their key: enough to find their incident again. */
export interface TimerPayload extends Record<string, unknown> {
  incidentId: string;
  deadline: string;
  clockKind?: ClockKind;
}

export interface TimerState {
  incident: TimerPlanIncident & { establishmentId: string; assigneeUserId: string | null };
  clocks: TimerPlanClock[];
}

/**
 * The incident and its clocks as the planner sees them, read under a lock on the incident row so
 * that what is planned matches the state a concurrent change commits (or waits for it).
 * `lock` is "update" when the caller appends to the main courante, which requires that lock.
 */
export async function loadTimerState(
  tx: Tx,
  incidentId: string,
  lock: "update" | "no key update",
): Promise<TimerState | undefined> {
  return (await loadTimerStates(tx, [incidentId], lock)).get(incidentId);
}

/**
 * The same for several incidents, in two queries; by incident id, without the incidents that do not
 * exist. Their rows are locked in id order, the order any other batch locks them in.
 */
export async function loadTimerStates(
  tx: Tx,
  incidentIds: string[],
  lock: "update" | "no key update",
): Promise<Map<string, TimerState>> {
  if (incidentIds.length === 0) return new Map();
  const rows = await tx
    .select({
      id: incidents.id,
      status: incidents.status,
      severity: incidents.severity,
      ackDueAt: incidents.ackDueAt,
      acknowledgedAt: incidents.acknowledgedAt,
      followUpAt: incidents.followUpAt,
      establishmentId: incidents.establishmentId,
      assigneeUserId: incidents.assigneeUserId,
    })
    .from(incidents)
    .where(inArray(incidents.id, incidentIds))
    .orderBy(asc(incidents.id))
    .for(lock);
  if (rows.length === 0) return new Map();
  const clocks = await tx
    .select({
      incidentId: incidentClocks.incidentId,
      id: incidentClocks.id,
      kind: incidentClocks.kind,
      startsAt: incidentClocks.startsAt,
      dueAt: incidentClocks.dueAt,
      doneAt: incidentClocks.doneAt,
    })
    .from(incidentClocks)
    .where(
      inArray(
        incidentClocks.incidentId,
        rows.map((r) => r.id),
      ),
    );
  return new Map(
    rows.map((incident) => [
      incident.id,
      {
        incident: {
          ...incident,
          status: incident.status as IncidentStatus,
          severity: incident.severity as Severity,
        },
        clocks: clocks
          .filter((c) => c.incidentId === incident.id)
          .map(({ incidentId: _, ...clock }) => clock),
      },
    ]),
  );
}
