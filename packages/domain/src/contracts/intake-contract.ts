import Type, { type Static } from "typebox";
import { DateTimeSchema, Enum, Nullable, UuidSchema } from "./common.ts";

export const QUARANTINE_REASON_VALUES = [
  "unknown_sender",
  "authentication_failed",
  "forged_reference",
  "ambiguous_sender",
  "too_large",
  "unreadable",
  "automatic",
] as const;

export const QUARANTINE_REASON_LABELS: Record<(typeof QUARANTINE_REASON_VALUES)[number], string> = {
  unknown_sender: "Expéditeur inconnu de l'annuaire",
  authentication_failed: "Authentification du domaine en échec (SPF, DKIM ou DMARC)",
  forged_reference: "Référence d'un incident d'un autre établissement",
  ambiguous_sender: "Expéditeur rattaché à plusieurs établissements",
  too_large: "Message trop volumineux",
  unreadable: "Message illisible",
  automatic: "Réponse automatique (absence, erreur de distribution)",
};

export const QuarantinedMessageSchema = Type.Object(
  {
    id: UuidSchema,
    receivedAt: DateTimeSchema,
    sentAt: Nullable(DateTimeSchema),
    from: Nullable(Type.String({ description: "The sender's address, lower-cased" })),
    fromName: Nullable(Type.String()),
    subject: Type.String(),
    reason: Enum(QUARANTINE_REASON_VALUES, { description: "Why the message was set aside" }),
    reasonLabel: Type.String({ description: "The reason, in French" }),
    size: Type.Integer({ description: "Bytes, as the mail server counts them" }),
    text: Type.String({ description: "The message's text, quoted history stripped (empty when unread)" }),
    attachments: Type.Array(
      Type.Object({
        name: Type.String(),
        size: Type.Integer(),
        sha256: Type.String(),
        contentType: Type.String(),
      }),
    ),
    authentication: Nullable(
      Type.Object({
        authservId: Nullable(Type.String()),
        spf: Nullable(Type.String()),
        dkim: Nullable(Type.String()),
        dmarc: Nullable(Type.String()),
      }),
    ),
  },
  { description: "A message of the pole's mailbox set aside for an analyst to review." },
);
export type QuarantinedMessage = Static<typeof QuarantinedMessageSchema>;

export const QuarantineListQuerySchema = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) },
  { additionalProperties: false },
);

export const QuarantinePageSchema = Type.Object(
  { items: Type.Array(QuarantinedMessageSchema), total: Type.Integer() },
  { description: "Quarantined messages not reviewed yet, newest first." },
);
export type QuarantinePage = Static<typeof QuarantinePageSchema>;

export const QuarantineAttachSchema = Type.Object(
  { establishmentId: { ...UuidSchema, description: "The establishment the message is declared for" } },
  { additionalProperties: false, description: "Attach a quarantined message to an establishment." },
);
export type QuarantineAttach = Static<typeof QuarantineAttachSchema>;

export const QuarantineAttachedSchema = Type.Object(
  { incidentId: UuidSchema, reference: Type.String() },
  { description: "The declaration the message became." },
);
export type QuarantineAttached = Static<typeof QuarantineAttachedSchema>;
