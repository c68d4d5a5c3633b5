import type { Config } from "@pris/config";
import {
  ackDueAt,
  type Clock,
  computeClocks,
  type DeclarationChannel,
  incidentMessage,
  type Nis2Status,
  type NormalizedDeclaration,
  nextDeadline,
  type ServiceLevels,
  type SeveritySuggestion,
  suggestSeverityFor,
  yearInZone,
} from "@pris/domain";
import { sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { Db, Tx } from "./client.ts";
import { columnRecord } from "./column-record.ts";
import type { firstLogEntry } from "./incident-log.ts";
import { outboxValues } from "./outbox.ts";
import {
  type establishments,
  incidentClocks,
  incidentLog,
  incidentObservables,
  incidents,
  outbox,
} from "./schema.ts";

export interface DeclarationSettings {
  regionCode: string;
  timeZone: string;
  nationalPortalDueHours: number;
  serviceLevels: ServiceLevels;
}

/** The region's settings a declaration is numbered and timed by, whichever process takes it. */
export function declarationSettings(
  config: Pick<
    Config,
    | "REGION_CODE"
    | "REGION_TIMEZONE"
    | "NATIONAL_PORTAL_DUE_HOURS"
    | "SLA_ACK_MINUTES_P1"
    | "SLA_ACK_MINUTES_P2"
    | "SLA_ACK_MINUTES_P3"
    | "SLA_ACK_MINUTES_P4"
  >,
): DeclarationSettings {
  return {
    regionCode: config.REGION_CODE,
    timeZone: config.REGION_TIMEZONE,
    nationalPortalDueHours: config.NATIONAL_PORTAL_DUE_HOURS,
    serviceLevels: serviceLevels(config),
  };
}

/** Minutes to acknowledge an incident of each severity, as the region set them. */
export function serviceLevels(
  config: Pick<
    Config,
    "SLA_ACK_MINUTES_P1" | "SLA_ACK_MINUTES_P2" | "SLA_ACK_MINUTES_P3" | "SLA_ACK_MINUTES_P4"
  >,
): ServiceLevels {
  return {
    P1: config.SLA_ACK_MINUTES_P1,
    P2: config.SLA_ACK_MINUTES_P2,
    P3: config.SLA_ACK_MINUTES_P3,
    P4: config.SLA_ACK_MINUTES_P4,
  };
}

/** Rows of the incident's own, before it is stored. */
type Owned<T> = T & { id: string; incidentId: string };

export interface NewIncident {
  incident: typeof incidents.$inferSelect;
  observables: Owned<NormalizedDeclaration["observables"][number]>[];
  clocks: Owned<Clock>[];
  suggestion: SeveritySuggestion;
}

/**
 * The rows of a new incident from a normalized declaration, whatever its channel (the form, the API, a
 * message): its suggested severity, its regulatory clocks, its service level and next deadline. Not yet
 * numbered (the reference is the database's, in declare_incident()).
 */
export function newIncident(input: {
  declaration: NormalizedDeclaration;
  establishment: Pick<typeof establishments.$inferSelect, "id" | "category" | "nis2Status">;
  /** The account or API key that declared; an establishment contact writing by e-mail has neither. */
  declaredBy: { userId: string | null } | { apiKeyId: string };
  channel: DeclarationChannel;
  now: Date;
  settings: DeclarationSettings;
}): NewIncident {
  const { declaration, establishment, settings, now } = input;
  const id = uuidv7();
  const suggestion = suggestSeverityFor(declaration, establishment.category);
  const clocks = computeClocks(
    {
      awareAt: declaration.detectedAt,
      personalDataBreach: declaration.personalData.breach,
      nis2Status: establishment.nis2Status as Nis2Status,
      nationalPortal: declaration.nationalPortal,
    },
    { timeZone: settings.timeZone, nationalPortalDueHours: settings.nationalPortalDueHours },
  ).map((c) => ({ ...c, id: uuidv7(), incidentId: id }));
  const observables = declaration.observables.map((o) => ({ ...o, id: uuidv7(), incidentId: id }));
  const ackDue = ackDueAt(suggestion.severity, now, settings.serviceLevels);
  const incident: typeof incidents.$inferSelect = {
    id,
    reference: "",
    establishmentId: establishment.id,
    status: "new",
    severity: suggestion.severity,
    severitySuggested: suggestion.severity,
    severityReasons: suggestion.reasons,
    tlp: declaration.tlp,
    title: declaration.title,
    description: declaration.description,
    declarant: declaration.declarant,
    detectedAt: declaration.detectedAt,
    startedAt: declaration.startedAt,
    ongoing: declaration.ongoing,
    rsitClass: declaration.rsitClass,
    rsitType: declaration.rsitType,
    suspectedMalicious: declaration.suspectedMalicious,
    affectedServices: declaration.affectedServices,
    affectedServicesOther: declaration.affectedServicesOther,
    impactGrade: declaration.impactGrade,
    spread: declaration.spread,
    personalDataBreach: declaration.personalData.breach,
    personalDataPeople: declaration.personalData.approxPeople,
    measuresTaken: declaration.measuresTaken,
    supportRequested: declaration.support.requested,
    supportDetails: declaration.support.details,
    nationalPortalDeclared: declaration.nationalPortal.declared,
    nationalPortalReference: declaration.nationalPortal.reference,
    nationalPortalDeclaredAt: declaration.nationalPortal.declaredAt,
    complaintFiled: declaration.complaintFiled,
    declaredByUserId: "userId" in input.declaredBy ? input.declaredBy.userId : null,
    declaredByApiKeyId: "apiKeyId" in input.declaredBy ? input.declaredBy.apiKeyId : null,
    declaredAt: now,
    channel: input.channel,
    updatedAt: now,
    assigneeUserId: null,
    previousStatus: null,
    followUpAt: null,
    mergedIntoId: null,
    severityOverrideReason: null,
    crisisCell: false,
    escalatedAt: null,
    acknowledgedAt: null,
    containedAt: null,
    closedAt: null,
    closure: null,
    ackDueAt: ackDue,
    nextDeadlineAt: nextDeadline(ackDue, false, clocks),
  };
  return { incident, observables, clocks, suggestion };
}

export type DeclareOutcome =
  | { outcome: "created"; reference: string }
  | { outcome: "replay"; status: number; body: unknown }
  | { outcome: "in_flight" }
  | { outcome: "key_reused" };

/**
 * Stores a new incident in one call of the declare_incident() database function (see its migration for
 * why): the incident, its observables, its clocks, the first entry of its main courante and the outbox
 * row that alerts the pole, numbered in the region's sequence of the year; with `idempotency`, the
 * Idempotency-Key's claim and the answer it replays. Every rule is applied before; the function only
 * stores and numbers.
 */
export async function storeDeclaredIncident(
  db: Db | Tx,
  input: NewIncident & {
    log: ReturnType<typeof firstLogEntry> & { id: string };
    regionCode: string;
    timeZone: string;
    /** The Idempotency-Key's claim (with its lifetime) and the answer a retry with the key replays. */
    idempotency?: { claim: Record<string, unknown>; answer: unknown };
  },
): Promise<DeclareOutcome> {
  const { incident } = input;
  const year = yearInZone(incident.declaredAt, input.timeZone);
  const doc = {
    incident: columnRecord(incidents, incident),
    observables: input.observables.map((o) => columnRecord(incidentObservables, o)),
    clocks: input.clocks.map((c) => columnRecord(incidentClocks, c)),
    log: columnRecord(incidentLog, input.log),
    outbox: columnRecord(outbox, {
      id: uuidv7(),
      ...outboxValues(incidentMessage("incident.declared", incident.id)),
    }),
    scope: `incident:${input.regionCode}`,
    year,
    prefix: `${input.regionCode}-${year}-`,
    ...(input.idempotency ? { idempotency: input.idempotency.claim, answer: input.idempotency.answer } : {}),
  };
  const { rows } = await db.execute<{ result: DeclareOutcome }>(
    sql`SELECT declare_incident(${JSON.stringify(doc)}::jsonb) AS result`,
  );
  return rows[0]!.result;
}
