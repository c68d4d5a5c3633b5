import Type, { type Static } from "typebox";
import { DateTimeSchema, EmailSchema } from "./common.ts";
import { PasswordSchema } from "./directory-contract.ts";

/**
 * A person's own password: changed while signed in (the current one asked again), or reset from a link
 * e-mailed to their address ("mot de passe oublié"). Every new password passes the password policy.
 */

export const PasswordChangeSchema = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 1000 }),
    newPassword: PasswordSchema,
  },
  { description: "A signed-in person's new password, with their current one.", additionalProperties: false },
);
export type PasswordChange = Static<typeof PasswordChangeSchema>;

export const PasswordResetRequestSchema = Type.Object(
  { email: EmailSchema },
  { description: "The e-mail address to send a password reset link to.", additionalProperties: false },
);
export type PasswordResetRequest = Static<typeof PasswordResetRequestSchema>;

/** The one answer to a reset request, whether the address has an account or not. */
export const PASSWORD_RESET_REQUESTED =
  "Si un compte correspond à cette adresse, un courriel vient de lui être envoyé avec un lien pour choisir un nouveau mot de passe.";

export const PasswordResetRequestedSchema = Type.Object(
  { message: Type.String() },
  {
    description:
      "The answer to a password reset request, the same whether or not the address has an account.",
  },
);

export const PasswordResetTokenParamsSchema = Type.Object(
  { token: Type.String({ minLength: 10, maxLength: 300 }) },
  { additionalProperties: false },
);

/** What a valid reset link shows, without login. */
export const PasswordResetLinkSchema = Type.Object(
  {
    email: Type.String(),
    displayName: Type.String(),
    expiresAt: DateTimeSchema,
  },
  { description: "Whose password a valid reset link resets, and until when the link works." },
);
export type PasswordResetLink = Static<typeof PasswordResetLinkSchema>;

export const PasswordResetSchema = Type.Object(
  { password: PasswordSchema },
  { description: "The new password chosen from a reset link.", additionalProperties: false },
);

/** Why a reset link cannot be used, as its problem's `code`. */
export const PASSWORD_RESET_LINK_PROBLEMS = {
  reset_link_invalid:
    "Ce lien de réinitialisation n'est pas valide. Utilisez le lien reçu par courriel, sans le modifier, ou demandez-en un nouveau.",
  reset_link_expired:
    "Ce lien de réinitialisation a expiré. Demandez un nouveau lien depuis la page « Mot de passe oublié ».",
  reset_link_used:
    "Ce lien a déjà servi, ou votre mot de passe a changé depuis son envoi. Connectez-vous, ou demandez un nouveau lien.",
} as const;
export type PasswordResetLinkProblem = keyof typeof PASSWORD_RESET_LINK_PROBLEMS;
