import Type, { type Static } from "typebox";
import { ROLES, type Role } from "../directory.ts";
import { DateTimeSchema, EmailSchema, Enum, Nullable, PageQuerySchema, UuidSchema } from "./common.ts";
import { PasswordSchema } from "./directory-contract.ts";

/**
 * People onboarded by invitation: someone allowed to invite names a person, a role and (for an RSSI)
 * an establishment or a GHT; the person gets an e-mail with a single-use link that expires, chooses a
 * password and lands signed in. Who may invite whom (see inviterScope in the API):
 * - an administrator: anyone, any role;
 * - an analyst of the pole: RSSIs of any establishment or GHT (the pole onboards the network);
 * - an RSSI attached to a GHT: RSSIs of the GHT's member establishments;
 * - nobody else (an RSSI of one establishment, the task force, the ARS).
 */

/** pending: waiting, link valid; expired: waiting, link lapsed (re-send it); accepted; cancelled. */
export const INVITATION_STATUSES = ["pending", "accepted", "expired", "cancelled"] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];
export const INVITATION_STATUS_LABELS: Record<InvitationStatus, string> = {
  pending: "En attente",
  accepted: "Acceptée",
  expired: "Expirée",
  cancelled: "Annulée",
};

/** An invitation's state at an instant: closed ones first, then the link's expiry. */
export function invitationStatus(
  row: { acceptedAt: Date | null; cancelledAt: Date | null; expiresAt: Date },
  now = new Date(),
): InvitationStatus {
  if (row.acceptedAt) return "accepted";
  if (row.cancelledAt) return "cancelled";
  return row.expiresAt.getTime() <= now.getTime() ? "expired" : "pending";
}

/** The roles an inviter may give; a role outside it is refused with 403. */
export function invitableRoles(inviter: Role, ghtId: string | null): readonly Role[] {
  if (inviter === "admin") return ROLES;
  if (inviter === "analyst") return ["rssi"];
  if (inviter === "rssi" && ghtId) return ["rssi"];
  return [];
}

/** Why a link cannot be used, as its problem's `code`. */
export const INVITATION_LINK_PROBLEMS = {
  invalid_link:
    "Ce lien d'invitation n'est pas valide. Utilisez le lien reçu par courriel, sans le modifier.",
  invitation_expired:
    "Ce lien d'invitation a expiré. Demandez à la personne qui vous a invité de vous renvoyer l'invitation.",
  invitation_used:
    "Cette invitation a déjà été utilisée\u00a0: votre compte existe. Connectez-vous avec votre adresse et votre mot de passe.",
  invitation_cancelled:
    "Cette invitation a été annulée. Contactez la personne qui vous a invité si vous pensez qu'il s'agit d'une erreur.",
  invitation_superseded:
    "Ce lien a été remplacé par une invitation renvoyée plus récemment. Utilisez le lien du dernier courriel reçu.",
} as const;
export type InvitationLinkProblem = keyof typeof INVITATION_LINK_PROBLEMS;

const displayName = Type.String({ minLength: 1, maxLength: 200 });

export const InvitationCreateSchema = Type.Object(
  {
    email: EmailSchema,
    displayName,
    role: Enum(ROLES),
    establishmentId: Type.Optional(
      Nullable({ ...UuidSchema, description: "For an RSSI of one establishment" }),
    ),
    ghtId: Type.Optional(Nullable({ ...UuidSchema, description: "For an RSSI covering a GHT's members" })),
  },
  {
    description:
      "A person to invite by e-mail, with their role and, for an RSSI, their establishment or GHT.",
    additionalProperties: false,
  },
);
export type InvitationCreate = Static<typeof InvitationCreateSchema>;

export const InvitationSchema = Type.Object(
  {
    id: UuidSchema,
    email: Type.String(),
    displayName: Type.String(),
    role: Enum(ROLES),
    establishment: Nullable(Type.Object({ id: UuidSchema, finess: Type.String(), name: Type.String() })),
    ght: Nullable(Type.Object({ id: UuidSchema, name: Type.String() })),
    status: Enum(INVITATION_STATUSES),
    invitedBy: Nullable(Type.String({ description: "The inviter's name" })),
    createdAt: DateTimeSchema,
    expiresAt: DateTimeSchema,
    sendCount: Type.Integer({ minimum: 1 }),
    lastSentAt: DateTimeSchema,
    acceptedAt: Nullable(DateTimeSchema),
    cancelledAt: Nullable(DateTimeSchema),
    delivery: Nullable(
      Type.Object(
        {
          status: Type.String({ description: "queued, sent, deferred or failed" }),
          sentAt: Nullable(DateTimeSchema),
          error: Nullable(Type.String()),
        },
        { description: "The last e-mail's delivery; null until the worker has taken it" },
      ),
    ),
  },
  {
    description:
      "An invitation: who is invited with which role and scope, its status, expiry and last e-mail's delivery.",
  },
);
export type Invitation = Static<typeof InvitationSchema>;

export const InvitationListQuerySchema = Type.Object(
  {
    status: Type.Optional(Enum(INVITATION_STATUSES)),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "Text in the e-mail, name or establishment" }),
    ),
    ...PageQuerySchema,
  },
  { additionalProperties: false },
);

export const InvitationPageSchema = Type.Object(
  {
    items: Type.Array(InvitationSchema),
    total: Type.Integer(),
    nextCursor: Nullable(Type.String()),
  },
  {
    description:
      "A page of invitations, newest first, with the total matching and the cursor of the next page.",
  },
);

export const BulkInvitationQuerySchema = Type.Object(
  { territory: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: "Territory code" })) },
  {
    description:
      "Limits a bulk invitation of RSSIs to one territory; every establishment in the inviter's scope when absent.",
    additionalProperties: false,
  },
);

export const BulkInvitationCandidateSchema = Type.Object(
  {
    establishmentId: UuidSchema,
    finess: Type.String(),
    establishmentName: Type.String(),
    territory: Type.String(),
    email: Type.String(),
    displayName: Type.String(),
  },
  {
    description:
      "An establishment's RSSI, taken from its imported contacts, whom a bulk invitation would invite.",
  },
);

export const BulkInvitationPreviewSchema = Type.Object(
  {
    count: Type.Integer({ description: "Invitations a bulk send would create now" }),
    items: Type.Array(BulkInvitationCandidateSchema),
  },
  { description: "The establishments' RSSIs a bulk invitation would invite now, and their count." },
);

export const BulkInvitationResultSchema = Type.Object(
  {
    count: Type.Integer({ description: "Invitations created and queued for e-mail" }),
  },
  { description: "How many invitations a bulk invitation created." },
);

export const InvitationTokenParamsSchema = Type.Object(
  { token: Type.String({ minLength: 10, maxLength: 300 }) },
  { additionalProperties: false },
);

/** What a valid link shows, without login. */
export const InvitationLinkSchema = Type.Object(
  {
    email: Type.String(),
    displayName: Type.String(),
    role: Enum(ROLES),
    establishmentName: Nullable(Type.String()),
    ghtName: Nullable(Type.String()),
    expiresAt: DateTimeSchema,
  },
  { description: "Who a valid invitation link invites, with which role and scope, and until when it works." },
);
export type InvitationLink = Static<typeof InvitationLinkSchema>;

export const InvitationAcceptSchema = Type.Object(
  { password: PasswordSchema },
  {
    description: "The password the invited person chooses, which creates their account.",
    additionalProperties: false,
  },
);
