import type { IncidentStatus } from "./contracts/incident-contract.ts";

/**
 * The incident lifecycle as a state machine: new → acknowledged → investigating → containment →
 * recovery → monitoring → closed; waiting on the establishment or a third party (with a follow-up
 * date) from any working status, back to where it was; rejected (not an incident) or merged into a
 * duplicate; reopened with a reason. The API applies it; nothing else changes a status.
 */
export const INCIDENT_ACTIONS = [
  "acknowledge",
  "investigate",
  "contain",
  "recover",
  "monitor",
  "wait_establishment",
  "wait_third_party",
  "resume",
  "close",
  "reject",
  "merge",
  "reopen",
] as const;
export type IncidentAction = (typeof INCIDENT_ACTIONS)[number];

export const INCIDENT_ACTION_LABELS: Record<IncidentAction, string> = {
  acknowledge: "Prendre en compte",
  investigate: "Lancer l'investigation",
  contain: "Passer en endiguement",
  recover: "Passer en remédiation",
  monitor: "Passer en surveillance",
  wait_establishment: "Attendre l'établissement",
  wait_third_party: "Attendre un tiers",
  resume: "Reprendre",
  close: "Clore",
  reject: "Rejeter (pas un incident)",
  merge: "Fusionner dans un doublon",
  reopen: "Rouvrir",
};

/** Statuses in which the pole is working on the incident (and a waiting one can return to). */
export const WORKING_STATUSES = [
  "acknowledged",
  "investigating",
  "containment",
  "recovery",
  "monitoring",
] as const;
export type WorkingStatus = (typeof WORKING_STATUSES)[number];
export const WAITING_STATUSES = ["waiting_establishment", "waiting_third_party"] as const;
export const TERMINAL_STATUSES = ["closed", "rejected", "merged"] as const;

export function isOpen(status: IncidentStatus): boolean {
  return !(TERMINAL_STATUSES as readonly string[]).includes(status);
}

const working = new Set<string>(WORKING_STATUSES);
const waiting = new Set<string>(WAITING_STATUSES);

/** What each action needs besides the current status. */
export interface TransitionContext {
  /** The working status a waiting incident returns to on resume. */
  previousStatus?: WorkingStatus | null;
}

const FORWARD: Partial<Record<IncidentAction, { from: readonly IncidentStatus[]; to: IncidentStatus }>> = {
  acknowledge: { from: ["new"], to: "acknowledged" },
  investigate: { from: ["new", "acknowledged"], to: "investigating" },
  contain: { from: ["investigating"], to: "containment" },
  recover: { from: ["investigating", "containment"], to: "recovery" },
  monitor: { from: ["containment", "recovery"], to: "monitoring" },
  close: { from: ["investigating", "containment", "recovery", "monitoring"], to: "closed" },
  reject: { from: ["new", "acknowledged", "investigating"], to: "rejected" },
  merge: {
    from: ["new", "acknowledged", "investigating", "waiting_establishment", "waiting_third_party"],
    to: "merged",
  },
  reopen: { from: ["closed", "rejected"], to: "investigating" },
};

/** The status an action leads to from `status`, or undefined when the machine forbids it. */
export function nextStatus(
  status: IncidentStatus,
  action: IncidentAction,
  context: TransitionContext = {},
): IncidentStatus | undefined {
  if (action === "wait_establishment" || action === "wait_third_party") {
    return working.has(status)
      ? action === "wait_establishment"
        ? "waiting_establishment"
        : "waiting_third_party"
      : undefined;
  }
  if (action === "resume")
    return waiting.has(status) ? (context.previousStatus ?? "investigating") : undefined;
  const rule = FORWARD[action];
  return rule?.from.includes(status) ? rule.to : undefined;
}

/** Every action allowed now, for the 409 that names them and for the buttons a page shows. */
export function allowedActions(status: IncidentStatus, context: TransitionContext = {}): IncidentAction[] {
  return INCIDENT_ACTIONS.filter((a) => nextStatus(status, a, context) !== undefined);
}

/** The pole's service levels: how long each severity may wait to be acknowledged. */
export type ServiceLevels = Record<"P1" | "P2" | "P3" | "P4", number>;

export function ackDueAt(severity: "P1" | "P2" | "P3" | "P4", from: Date, levels: ServiceLevels): Date {
  return new Date(from.getTime() + levels[severity] * 60_000);
}

/**
 * The nearest deadline still open, which the queue sorts on: the acknowledgement service level until
 * acknowledged, and every regulatory clock not yet done.
 */
export function nextDeadline(
  ackDue: Date | null,
  acknowledged: boolean,
  clocks: readonly { dueAt: Date; doneAt: Date | null }[],
): Date | null {
  const open = [
    ...(acknowledged || !ackDue ? [] : [ackDue.getTime()]),
    ...clocks.filter((c) => !c.doneAt).map((c) => c.dueAt.getTime()),
  ];
  return open.length > 0 ? new Date(Math.min(...open)) : null;
}
