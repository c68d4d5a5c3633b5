import type { Config } from "@pris/config";
import { establishments, incidents, type Tx } from "@pris/db";
import {
  formatInZone,
  IMPACT_GRADE_LABELS,
  type ImpactGrade,
  SEVERITY_LABELS,
  type Severity,
  TLP_COLORS,
  TLP_DESCRIPTIONS,
  type Tlp,
  tlpAllowsContentByEmail,
  tlpTag,
} from "@pris/domain";
import { eq, inArray } from "drizzle-orm";
import { type IncidentDeclaredView, type RenderedMail, renderIncidentDeclared } from "./templates.ts";

export type MailConfig = Pick<Config, "PUBLIC_URL" | "REGION_NAME" | "REGION_TIMEZONE">;

const incidentForMail = {
  id: incidents.id,
  reference: incidents.reference,
  severity: incidents.severity,
  tlp: incidents.tlp,
  title: incidents.title,
  impactGrade: incidents.impactGrade,
  declaredAt: incidents.declaredAt,
  establishmentName: establishments.name,
};

/** What the notification needs, read fresh: the e-mail says what the incident is now. */
export async function loadIncidentForMail(db: Tx, incidentId: string) {
  const [row] = await db
    .select(incidentForMail)
    .from(incidents)
    .innerJoin(establishments, eq(establishments.id, incidents.establishmentId))
    .where(eq(incidents.id, incidentId));
  return row;
}
export type IncidentForMail = NonNullable<Awaited<ReturnType<typeof loadIncidentForMail>>>;

/** The same for a batch of e-mails, in one query; by incident id. */
export async function loadIncidentsForMail(
  db: Tx,
  incidentIds: string[],
): Promise<Map<string, IncidentForMail>> {
  if (incidentIds.length === 0) return new Map();
  const rows = await db
    .select(incidentForMail)
    .from(incidents)
    .innerJoin(establishments, eq(establishments.id, incidents.establishmentId))
    .where(inArray(incidents.id, incidentIds));
  return new Map(rows.map((r) => [r.id, r]));
}

export function incidentLink(publicUrl: string, incidentId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/incidents/${incidentId}`;
}

/**
 * Reference, establishment, severity, impact and link always travel; the title only when the
 * declaration's TLP lets its content go by e-mail. Description, declarant and observables never do.
 */
export function incidentDeclaredView(incident: IncidentForMail, config: MailConfig): IncidentDeclaredView {
  const tlp = incident.tlp as Tlp;
  const severity = incident.severity as Severity;
  const grade = incident.impactGrade as ImpactGrade;
  return {
    tlpTag: tlpTag(tlp),
    tlpDescription: TLP_DESCRIPTIONS[tlp],
    tlpColor: TLP_COLORS[tlp],
    reference: incident.reference,
    establishmentName: incident.establishmentName,
    severity,
    severityLabel: SEVERITY_LABELS[severity],
    majorIncident: severity === "P1",
    impactGrade: grade,
    impactLabel: IMPACT_GRADE_LABELS[grade].short,
    declaredAt: formatInZone(incident.declaredAt, config.REGION_TIMEZONE),
    regionName: config.REGION_NAME,
    link: incidentLink(config.PUBLIC_URL, incident.id),
    title: tlpAllowsContentByEmail(tlp) ? incident.title : null,
  };
}

export function renderIncidentDeclaredMail(incident: IncidentForMail, config: MailConfig): RenderedMail {
  return renderIncidentDeclared(incidentDeclaredView(incident, config));
}
