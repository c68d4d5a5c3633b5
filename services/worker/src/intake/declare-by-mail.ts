import type { Config } from "@pris/config";
import {
  columnRecord,
  type establishments,
  firstLogEntry,
  incidentClocks,
  incidentLog,
  incidents,
  outbox,
  outboxValues,
  type Tx,
} from "@pris/db";
import {
  ackDueAt,
  computeClocks,
  declarationFromMail,
  incidentMessage,
  type Nis2Status,
  nextDeadline,
  suggestSeverityFor,
  yearInZone,
} from "@pris/domain";
import { sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { timerPlanSettings } from "../timers/timer-state.ts";

export interface MailDeclaration {
  establishment: typeof establishments.$inferSelect;
  declarant: { name: string; email: string; phone: string };
  /** The RSSI account that wrote, if the sender is one; an establishment contact has none. */
  userId: string | null;
  subject: string;
  text: string;
  /** What the first entry of the main courante records of the message besides its text. */
  message: Record<string, unknown>;
  at: Date;
  sentAt: Date | null;
}

/**
 * A declaration "to complete" from a message: written as the API writes one — the same
 * declare_incident() call, so the incident, its clocks, its first entry and the outbox row that alerts
 * the pole land together and it enters the queue like any other — inside the intake's transaction.
 * The first entry of the main courante carries the message's text and what was attached; the channel is
 * e-mail.
 */
export async function declareByMail(
  tx: Tx,
  config: Config,
  input: MailDeclaration,
): Promise<{ incidentId: string; reference: string; logEntryId: string }> {
  const id = uuidv7();
  const now = input.at;
  const declaration = declarationFromMail({
    declarant: input.declarant,
    subject: input.subject,
    text: input.text,
    at: now,
    sentAt: input.sentAt,
  });
  const { establishment } = input;
  const suggestion = suggestSeverityFor(declaration, establishment.category);
  const clocks = computeClocks(
    {
      awareAt: declaration.detectedAt,
      personalDataBreach: declaration.personalData.breach,
      nis2Status: establishment.nis2Status as Nis2Status,
      nationalPortal: declaration.nationalPortal,
    },
    { timeZone: config.REGION_TIMEZONE, nationalPortalDueHours: config.NATIONAL_PORTAL_DUE_HOURS },
  ).map((c) => ({ ...c, id: uuidv7(), incidentId: id }));
  const ackDue = ackDueAt(suggestion.severity, now, timerPlanSettings(config).serviceLevels);
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
    startedAt: null,
    ongoing: declaration.ongoing,
    rsitClass: declaration.rsitClass,
    rsitType: declaration.rsitType,
    suspectedMalicious: declaration.suspectedMalicious,
    affectedServices: declaration.affectedServices,
    affectedServicesOther: null,
    impactGrade: declaration.impactGrade,
    spread: declaration.spread,
    personalDataBreach: declaration.personalData.breach,
    personalDataPeople: null,
    measuresTaken: null,
    supportRequested: false,
    supportDetails: null,
    nationalPortalDeclared: false,
    nationalPortalReference: null,
    nationalPortalDeclaredAt: null,
    complaintFiled: false,
    declaredByUserId: input.userId,
    declaredByApiKeyId: null,
    declaredAt: now,
    updatedAt: now,
    assigneeUserId: null,
    previousStatus: null,
    followUpAt: null,
    channel: "email",
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
  const logEntryId = uuidv7();
  const log = firstLogEntry({
    incidentId: id,
    kind: "declared",
    visibility: "shared",
    body: {
      severity: suggestion.severity,
      impactGrade: declaration.impactGrade,
      by: input.declarant.name,
      channel: "email",
      toComplete: true,
      text: declaration.description,
      ...input.message,
    },
    at: now,
    actorUserId: input.userId,
  });
  const year = yearInZone(now, config.REGION_TIMEZONE);
  const doc = {
    incident: columnRecord(incidents, incident),
    observables: [],
    clocks: clocks.map((c) => columnRecord(incidentClocks, c)),
    log: columnRecord(incidentLog, { id: logEntryId, ...log }),
    outbox: columnRecord(outbox, { id: uuidv7(), ...outboxValues(incidentMessage("incident.declared", id)) }),
    scope: `incident:${config.REGION_CODE}`,
    year,
    prefix: `${config.REGION_CODE}-${year}-`,
  };
  const { rows } = await tx.execute<{ result: { outcome: string; reference?: string } }>(
    sql`SELECT declare_incident(${JSON.stringify(doc)}::jsonb) AS result`,
  );
  const result = rows[0]!.result;
  if (result.outcome !== "created" || !result.reference) {
    throw new Error(`declare_incident answered ${result.outcome}`);
  }
  return { incidentId: id, reference: result.reference, logEntryId };
}
