import type { apiKeys, establishments, incidentClocks, incidentObservables, incidents } from "@pris/db";
import {
  allowedActions,
  CLOCK_KINDS,
  CLOCK_LABELS,
  type ClockView,
  clockState,
  type Incident,
  type IncidentAction,
  type IncidentClosure,
  type IncidentStatus,
  type IncidentSummary,
  mayWorkOnIncident,
  type UserRef,
  type WorkingStatus,
} from "@pris/domain";

type IncidentRow = typeof incidents.$inferSelect;
type EstablishmentRow = Pick<typeof establishments.$inferSelect, "id" | "finess" | "name" | "territory">;
type ClockRow = Pick<
  typeof incidentClocks.$inferSelect,
  "kind" | "startsAt" | "dueAt" | "doneAt" | "provisional"
> &
  Partial<Pick<typeof incidentClocks.$inferSelect, "reference" | "authority" | "note" | "lateReason">>;
type ObservableRow = Pick<
  typeof incidentObservables.$inferSelect,
  "type" | "value" | "normalized" | "comment"
>;

export function toClockView(clock: ClockRow, now: Date): ClockView {
  const { kind } = clock;
  return {
    kind,
    ...CLOCK_LABELS[kind],
    startsAt: clock.startsAt.toISOString(),
    dueAt: clock.dueAt.toISOString(),
    doneAt: clock.doneAt?.toISOString() ?? null,
    provisional: clock.provisional,
    state: clockState(clock, now),
    reference: clock.reference ?? null,
    authority: clock.authority ?? null,
    note: clock.note ?? null,
    lateReason: clock.lateReason ?? null,
  };
}

export function toIncidentSummary(row: IncidentRow, establishment: EstablishmentRow): IncidentSummary {
  return {
    id: row.id,
    reference: row.reference,
    status: row.status as IncidentSummary["status"],
    severity: row.severity as IncidentSummary["severity"],
    tlp: row.tlp as IncidentSummary["tlp"],
    title: row.title,
    impactGrade: row.impactGrade,
    ongoing: row.ongoing,
    establishment: {
      id: establishment.id,
      finess: establishment.finess,
      name: establishment.name,
      territory: establishment.territory,
    },
    detectedAt: row.detectedAt.toISOString(),
    declaredAt: row.declaredAt.toISOString(),
    channel: row.channel,
  };
}

export function toIncidentView(
  row: IncidentRow,
  establishment: EstablishmentRow,
  observables: ObservableRow[],
  clocks: ClockRow[],
  declaredBy: { kind: "user" | "api_key"; name: string },
  now: Date,
  workflow: IncidentWorkflowView = { assignee: null, allowedActions: [], mergedIntoId: null },
): Incident {
  return {
    ...toIncidentSummary(row, establishment),
    severitySuggested: row.severitySuggested as Incident["severitySuggested"],
    severityReasons: row.severityReasons,
    declaredBy,
    declarant: row.declarant,
    startedAt: row.startedAt?.toISOString() ?? null,
    description: row.description,
    rsitClass: row.rsitClass as Incident["rsitClass"],
    rsitType: row.rsitType as Incident["rsitType"],
    suspectedMalicious: row.suspectedMalicious as Incident["suspectedMalicious"],
    affectedServices: row.affectedServices as Incident["affectedServices"],
    affectedServicesOther: row.affectedServicesOther,
    spread: row.spread as Incident["spread"],
    personalData: {
      breach: row.personalDataBreach as Incident["suspectedMalicious"],
      approxPeople: row.personalDataPeople,
    },
    measuresTaken: row.measuresTaken,
    support: { requested: row.supportRequested, details: row.supportDetails },
    nationalPortal: {
      declared: row.nationalPortalDeclared,
      reference: row.nationalPortalReference,
      declaredAt: row.nationalPortalDeclaredAt?.toISOString() ?? null,
    },
    complaintFiled: row.complaintFiled,
    observables: observables.map((o) => ({
      type: o.type as Incident["observables"][number]["type"],
      value: o.value,
      normalized: o.normalized,
      comment: o.comment,
    })),
    clocks: clocks
      .map((c) => toClockView(c, now))
      .sort(
        (a, b) => a.dueAt.localeCompare(b.dueAt) || CLOCK_KINDS.indexOf(a.kind) - CLOCK_KINDS.indexOf(b.kind),
      ),
    ackDueAt: row.ackDueAt?.toISOString() ?? null,
    acknowledgedAt: row.acknowledgedAt?.toISOString() ?? null,
    assignee: workflow.assignee,
    crisisCell: row.crisisCell,
    escalatedAt: row.escalatedAt?.toISOString() ?? null,
    allowedActions: workflow.allowedActions,
    followUpAt: row.followUpAt?.toISOString() ?? null,
    mergedIntoId: workflow.mergedIntoId,
    closure: (row.closure as IncidentClosure | null) ?? null,
  };
}

/** The lifecycle actions the caller may take on the incident now: none for those who only read it. */
export function actionsFor(role: string, row: Pick<IncidentRow, "status" | "previousStatus" | "crisisCell">) {
  if (!mayWorkOnIncident(role, row)) return [];
  return allowedActions(row.status as IncidentStatus, {
    previousStatus: row.previousStatus as WorkingStatus | null,
  });
}

/** What the pole's work adds to the view, resolved for the caller (names, rights, what they may see). */
export interface IncidentWorkflowView {
  assignee: UserRef | null;
  allowedActions: IncidentAction[];
  /** Null when the incident it was merged into is outside the caller's scope. */
  mergedIntoId: string | null;
}

export type ApiKeyRow = typeof apiKeys.$inferSelect;
