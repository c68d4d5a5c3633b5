import type { Config } from "@pris/config";
import { establishments, incidentClocks, incidents, type Tx, timers } from "@pris/db";
import {
  CLOCK_LABELS,
  type ClockKind,
  formatInZone,
  IMPACT_GRADE_LABELS,
  type ImpactGrade,
  INCIDENT_STATUS_LABELS,
  type IncidentStatus,
  SEVERITY_LABELS,
  type Severity,
  type TimerKind,
  TLP_COLORS,
  TLP_DESCRIPTIONS,
  type Tlp,
  tlpAllowsContentByEmail,
  tlpTag,
} from "@pris/domain";
import { eq } from "drizzle-orm";
import type { TimerPayload } from "../timers/timer-state.ts";
import { incidentLink, type MailConfig } from "./incident-declared-mail.ts";
import {
  type DeadlineNoticeView,
  type IncidentNoticeView,
  type PoleContact,
  poleContact,
  type RenderedMail,
  renderClockOverdue,
  renderClockReminder,
  renderFollowupDue,
  renderIncidentEscalated,
  renderSlaMissed,
  renderSlaReminder,
} from "./templates.ts";

/** The incident as notices show it, read fresh when the e-mail is sent. */
export async function loadIncidentForNotice(db: Tx, incidentId: string) {
  const [row] = await db
    .select({
      id: incidents.id,
      reference: incidents.reference,
      status: incidents.status,
      severity: incidents.severity,
      tlp: incidents.tlp,
      title: incidents.title,
      impactGrade: incidents.impactGrade,
      ackDueAt: incidents.ackDueAt,
      followUpAt: incidents.followUpAt,
      escalatedAt: incidents.escalatedAt,
      crisisCell: incidents.crisisCell,
      establishmentId: incidents.establishmentId,
      establishmentName: establishments.name,
    })
    .from(incidents)
    .innerJoin(establishments, eq(establishments.id, incidents.establishmentId))
    .where(eq(incidents.id, incidentId));
  return row;
}
export type IncidentForNotice = NonNullable<Awaited<ReturnType<typeof loadIncidentForNotice>>>;

export function incidentNoticeView(incident: IncidentForNotice, config: MailConfig): IncidentNoticeView {
  const tlp = incident.tlp as Tlp;
  const severity = incident.severity as Severity;
  return {
    tlpTag: tlpTag(tlp),
    tlpDescription: TLP_DESCRIPTIONS[tlp],
    tlpColor: TLP_COLORS[tlp],
    reference: incident.reference,
    establishmentName: incident.establishmentName,
    severity,
    severityLabel: SEVERITY_LABELS[severity],
    statusLabel: INCIDENT_STATUS_LABELS[incident.status as IncidentStatus] ?? incident.status,
    regionName: config.REGION_NAME,
    link: incidentLink(config.PUBLIC_URL, incident.id),
    title: tlpAllowsContentByEmail(tlp) ? incident.title : null,
  };
}

export function renderEscalationMail(incident: IncidentForNotice, config: MailConfig): RenderedMail {
  const grade = incident.impactGrade as ImpactGrade;
  return renderIncidentEscalated({
    ...incidentNoticeView(incident, config),
    escalatedAt: formatInZone(incident.escalatedAt ?? new Date(), config.REGION_TIMEZONE),
    impactGrade: grade,
    impactLabel: IMPACT_GRADE_LABELS[grade].short,
  });
}

/** A timer with what its e-mail talks about: the incident, and the clock for a clock timer. */
export async function loadTimerForMail(db: Tx, timerId: string) {
  const [timer] = await db.select().from(timers).where(eq(timers.id, timerId));
  if (!timer) return undefined;
  const payload = timer.payload as Partial<TimerPayload>;
  const incident = await loadIncidentForNotice(db, payload.incidentId ?? timer.subjectId);
  if (!incident) return undefined;
  const { kind } = timer;
  let clock: { kind: ClockKind; dueAt: Date } | undefined;
  if (kind === "clock.remind" || kind === "clock.overdue") {
    const [row] = await db
      .select({ kind: incidentClocks.kind, dueAt: incidentClocks.dueAt })
      .from(incidentClocks)
      .where(eq(incidentClocks.id, timer.subjectId));
    if (!row) return undefined;
    clock = row;
  }
  const deadline = payload.deadline ? new Date(payload.deadline) : timer.dueAt;
  return { kind, deadline, incident, clock };
}
export type TimerForMail = NonNullable<Awaited<ReturnType<typeof loadTimerForMail>>>;

/**
 * Whether naming a clock would tell what the declaration holds: a CNIL clock exists only when
 * personal data was breached. The others follow from the law and the establishment's registry.
 */
function clockRevealsContent(kind: ClockKind): boolean {
  return kind === "gdpr_cnil";
}

function duration(minutes: number): string {
  if (minutes % 1440 === 0) return minutes === 1440 ? "24 h" : `${minutes / 1440} jours`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  if (minutes > 60) return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")}`;
  return `${minutes} min`;
}

const RENDER = {
  "sla.remind": renderSlaReminder,
  "sla.missed": renderSlaMissed,
  "followup.due": renderFollowupDue,
  "clock.remind": renderClockReminder,
  "clock.overdue": renderClockOverdue,
} satisfies Record<TimerKind, (view: DeadlineNoticeView, pole?: PoleContact) => RenderedMail>;

export function timerMailView(
  timer: TimerForMail,
  config: MailConfig & { serviceLevels: Record<Severity, number> },
): DeadlineNoticeView {
  const base = incidentNoticeView(timer.incident, config);
  const severity = timer.incident.severity as Severity;
  const at = (date: Date) => formatInZone(date, config.REGION_TIMEZONE);
  const view: DeadlineNoticeView = {
    ...base,
    what: "",
    basis: null,
    deadline: at(timer.deadline),
    serviceLevel: null,
    waitingOn: null,
    lateReasonRequired: false,
  };
  switch (timer.kind) {
    case "sla.remind":
    case "sla.missed":
      return {
        ...view,
        what: "Prise en compte du signalement par le pôle",
        deadline: at(timer.incident.ackDueAt ?? timer.deadline),
        serviceLevel: duration(config.serviceLevels[severity]),
      };
    case "followup.due":
      return {
        ...view,
        what: "Relancer et reprendre l'incident",
        deadline: at(timer.incident.followUpAt ?? timer.deadline),
        waitingOn:
          timer.incident.status === "waiting_third_party"
            ? "en attente d'un tiers"
            : timer.incident.status === "waiting_establishment"
              ? "en attente de l'établissement"
              : "en attente",
      };
    case "clock.remind":
    case "clock.overdue": {
      const clock = timer.clock!;
      const label = CLOCK_LABELS[clock.kind];
      const named = base.title !== null || !clockRevealsContent(clock.kind);
      return {
        ...view,
        what: named ? label.label : "Échéance réglementaire (le détail est dans PRIS)",
        basis: named ? `${label.basis} — délai : ${label.deadline}` : null,
        deadline: at(clock.dueAt),
        lateReasonRequired: named && clock.kind === "gdpr_cnil",
      };
    }
  }
}

export function renderTimerMail(
  timer: TimerForMail,
  config: MailConfig & Pick<Config, "POLE_EMERGENCY_PHONE"> & { serviceLevels: Record<Severity, number> },
): RenderedMail {
  // A regulatory clock's e-mail reaches the establishment's RSSIs: it gives the pole's emergency phone.
  const toEstablishment = timer.kind === "clock.remind" || timer.kind === "clock.overdue";
  return RENDER[timer.kind](timerMailView(timer, config), toEstablishment ? poleContact(config) : undefined);
}
