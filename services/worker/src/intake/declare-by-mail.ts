import type { Config } from "@pris/config";
import {
  declarationSettings,
  type establishments,
  firstLogEntry,
  newIncident,
  storeDeclaredIncident,
  type Tx,
} from "@pris/db";
import { declarationFromMail } from "@pris/domain";
import { v7 as uuidv7 } from "uuid";

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
  const now = input.at;
  const declaration = declarationFromMail({
    declarant: input.declarant,
    subject: input.subject,
    text: input.text,
    at: now,
    sentAt: input.sentAt,
  });
  const declared = newIncident({
    declaration,
    establishment: input.establishment,
    declaredBy: { userId: input.userId },
    channel: "email",
    now,
    settings: declarationSettings(config),
  });
  const { incident, suggestion } = declared;
  const id = incident.id;
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
  const result = await storeDeclaredIncident(tx, {
    ...declared,
    log: { id: logEntryId, ...log },
    regionCode: config.REGION_CODE,
    timeZone: config.REGION_TIMEZONE,
  });
  if (result.outcome !== "created") throw new Error(`declare_incident answered ${result.outcome}`);
  return { incidentId: id, reference: result.reference, logEntryId };
}
