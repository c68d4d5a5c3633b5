import Type, { type Static } from "typebox";
import { UuidSchema } from "./contracts/common.ts";
import { RETEX_DECISIONS } from "./exercises.ts";

const IncidentPayloadSchema = Type.Object({ incidentId: UuidSchema });

/**
 * Every outbox topic, with the payload its rows carry: what a committed write asks the worker to do.
 * The API writes rows through one typed writer and the worker relays and handles them from this one
 * table, so a topic or a payload spelled differently on each side does not compile.
 *
 * Payloads accept properties they do not declare: in a rolling deploy a newer API may add one before
 * every worker knows it. A change that is not an addition takes a new topic name.
 */
export const OUTBOX_PAYLOAD_SCHEMAS = {
  "incident.declared": IncidentPayloadSchema,
  /** Any change to an incident: its timers are planned again. */
  "incident.changed": IncidentPayloadSchema,
  /** Raised to P1: the task force and the ARS are e-mailed. */
  "incident.escalated": IncidentPayloadSchema,
  /**
   * The pole wrote to the establishment: a main-courante entry shared with it, or a question (the
   * incident now waits on the establishment). Its RSSIs are e-mailed once per entry and person.
   */
  "incident.message_shared": Type.Object({ incidentId: UuidSchema, entryId: UuidSchema }),
  /** A bulletin published or revised (or its fan-out resumed): its e-mails are due. */
  "bulletin.published": Type.Object({
    revision: Type.Integer({ minimum: 1 }),
    resumed: Type.Optional(Type.Boolean()),
  }),
  /**
   * The ARS validated a RETEX or sent it back: the establishment's RSSIs are told, once each. The row
   * keeps the comment as the ARS wrote it, since the participation's own is cleared when the RETEX is
   * submitted again and validated.
   */
  "retex.reviewed": Type.Object({
    participationId: UuidSchema,
    decision: Type.Enum(RETEX_DECISIONS),
    comment: Type.Union([Type.String(), Type.Null()]),
  }),
  /**
   * An invitation created or re-sent: its e-mail is due. The send count names the e-mail (one per
   * sending); the worker signs the link from the invitation's row as it is then.
   */
  "invitation.sent": Type.Object({ sendCount: Type.Integer({ minimum: 1 }) }),
  /**
   * Someone asked for a password reset link. The aggregate is the account the address belongs to, or a
   * fresh id when it belongs to none: the API does the same work either way, and the worker finds out.
   * The payload carries the link's expiry, counted from the request; never the address.
   */
  "password.reset_requested": Type.Object({ expiresAt: Type.String({ format: "date-time" }) }),
  /**
   * A functional mailbox unsubscribed from the bulletins through its one-click link (RFC 8058): the
   * establishment's RSSIs are told, once each. The aggregate is the bulletin recipient whose link it was.
   */
  "bulletin.mailbox_unsubscribed": Type.Object({ establishmentId: UuidSchema }),
  /**
   * A file was handed over on an incident and stored, not yet scanned: the worker scans it with clamd
   * and records the verdict; until then it is never served. The aggregate is the incident.
   */
  "evidence.received": Type.Object({ incidentId: UuidSchema, fileId: UuidSchema }),
  /**
   * A file handed over on an incident was found infected or could not be scanned: it is quarantined,
   * and the pole's analysts are e-mailed, once each per file. The aggregate is the incident.
   */
  "evidence.quarantined": Type.Object({ incidentId: UuidSchema, fileId: UuidSchema }),
  /**
   * The pole attached a quarantined message of the intake mailbox to an establishment: the worker reads
   * it again from the mailbox and stores its attachments as evidence files of the incident it became.
   * The aggregate is the incident.
   */
  "intake.attached": Type.Object({ mailIntakeId: UuidSchema }),
} as const;

export type OutboxTopic = keyof typeof OUTBOX_PAYLOAD_SCHEMAS;
export type OutboxPayload<T extends OutboxTopic = OutboxTopic> = Static<(typeof OUTBOX_PAYLOAD_SCHEMAS)[T]>;
export type RetexReviewedPayload = OutboxPayload<"retex.reviewed">;
export type IncidentMessageSharedPayload = OutboxPayload<"incident.message_shared">;

export const OUTBOX_TOPICS = Object.keys(OUTBOX_PAYLOAD_SCHEMAS) as OutboxTopic[];

export function isOutboxTopic(topic: string): topic is OutboxTopic {
  return Object.hasOwn(OUTBOX_PAYLOAD_SCHEMAS, topic);
}

/** One outbox row as a writer states it: the payload is the one its topic declares. */
export type OutboxMessage = {
  [T in OutboxTopic]: { topic: T; aggregateId: string; payload: OutboxPayload<T> };
}[OutboxTopic];

/** The incident topics whose payload is the incident alone. */
export type IncidentTopic = Exclude<Extract<OutboxTopic, `incident.${string}`>, "incident.message_shared">;
export type EvidenceReceivedPayload = OutboxPayload<"evidence.received">;
export type EvidenceQuarantinedPayload = OutboxPayload<"evidence.quarantined">;
export type IntakeAttachedPayload = OutboxPayload<"intake.attached">;

/** A message about an incident: the incident is its aggregate and its payload. */
export function incidentMessage(topic: IncidentTopic, incidentId: string): OutboxMessage {
  return { topic, aggregateId: incidentId, payload: { incidentId } };
}

/** The pole attached a quarantined message to an establishment: its attachments are stored. */
export function intakeAttachedMessage(incidentId: string, mailIntakeId: string): OutboxMessage {
  return { topic: "intake.attached", aggregateId: incidentId, payload: { mailIntakeId } };
}

/** A file was stored and waits for its scan. */
export function evidenceReceivedMessage(incidentId: string, fileId: string): OutboxMessage {
  return { topic: "evidence.received", aggregateId: incidentId, payload: { incidentId, fileId } };
}

/** A file was quarantined (infected or unscannable): the pole is told. */
export function evidenceQuarantinedMessage(incidentId: string, fileId: string): OutboxMessage {
  return { topic: "evidence.quarantined", aggregateId: incidentId, payload: { incidentId, fileId } };
}

/** The pole wrote to the establishment (a shared entry or a question): its RSSIs are told. */
export function messageSharedMessage(incidentId: string, entryId: string): OutboxMessage {
  return { topic: "incident.message_shared", aggregateId: incidentId, payload: { incidentId, entryId } };
}
