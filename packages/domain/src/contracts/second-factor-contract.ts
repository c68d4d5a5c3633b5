import Type, { type Static } from "typebox";
import { ROLES } from "../directory.ts";
import { DateTimeSchema, Enum, Nullable, Text } from "./common.ts";

/** The second factors a person can prove at sign-in, passkeys first. */
export const SECOND_FACTOR_METHODS = ["webauthn", "totp", "recovery"] as const;
export type SecondFactorMethod = (typeof SECOND_FACTOR_METHODS)[number];

/** How many recovery codes a person is given at once; each works once. */
export const RECOVERY_CODE_COUNT = 10;

/**
 * Whether a role's second factor is required at `now`: required, and the rollout date (if any) passed.
 * Before that date it is offered, not imposed.
 */
export function secondFactorRequiredNow(
  policy: { required: boolean; requiredFrom: Date | string | null } | undefined,
  now = new Date(),
): boolean {
  if (!policy?.required) return false;
  return policy.requiredFrom === null || new Date(policy.requiredFrom).getTime() <= now.getTime();
}

/** Login's answer when the password was right but a second factor must still be given (or enrolled). */
export const SecondFactorChallengeSchema = Type.Object(
  {
    secondFactor: Enum(["verify", "enrol"] as const, {
      description:
        "verify: prove one of `methods`; enrol: the role requires a factor and none is enrolled yet. Only the second-factor routes answer until then",
    }),
    methods: Type.Array(Enum(SECOND_FACTOR_METHODS)),
    csrfToken: Type.String({ description: "Send back as X-CSRF-Token on the second-factor routes" }),
  },
  {
    description:
      "Login's answer when the password was right but a second factor must still be proved or enrolled; until then only the second-factor routes answer.",
  },
);
export type SecondFactorChallenge = Static<typeof SecondFactorChallengeSchema>;

/**
 * A password was just set (invitation, reset) but the person owes a second factor: no session is opened;
 * they sign in, and the login asks for the factor (or its enrolment).
 */
export const SignInWithSecondFactorSchema = Type.Object(
  {
    signIn: Type.Literal("second_factor", {
      description:
        "Sign in with the new password: the login then asks for the second factor or its enrolment",
    }),
  },
  {
    description:
      "The answer when a password was just set (invitation or reset) but the person owes a second factor: no session is opened, they sign in with the new password.",
  },
);
export type SignInWithSecondFactor = Static<typeof SignInWithSecondFactorSchema>;

export const PasskeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    createdAt: DateTimeSchema,
    lastUsedAt: Nullable(DateTimeSchema),
  },
  { description: "A passkey (WebAuthn credential) the person enrolled as a second factor." },
);

/** A person's own factors, as the enrolment and "Sécurité du compte" pages show them. */
export const MyFactorsSchema = Type.Object(
  {
    passkeys: Type.Array(PasskeySchema),
    totp: Type.Object({ enrolled: Type.Boolean(), confirmedAt: Nullable(DateTimeSchema) }),
    recoveryCodes: Type.Object({ remaining: Type.Integer(), generatedAt: Nullable(DateTimeSchema) }),
    required: Type.Boolean({ description: "The person's role requires a second factor now" }),
    requiredFrom: Nullable(DateTimeSchema, { description: "When it becomes required (rollout date)" }),
    pending: Type.Boolean({ description: "This session still waits for its second factor" }),
  },
  {
    description:
      "The caller's second factors (passkeys, authenticator application, recovery codes) and whether their role requires one.",
  },
);
export type MyFactors = Static<typeof MyFactorsSchema>;

/** PublicKeyCredential*OptionsJSON from @simplewebauthn, passed through to the browser. */
export const WebAuthnOptionsSchema = Type.Object(
  {},
  {
    description:
      "WebAuthn options to pass to navigator.credentials.create() or navigator.credentials.get(), as @simplewebauthn produces them.",
    additionalProperties: true,
  },
);
/** The browser's RegistrationResponseJSON / AuthenticationResponseJSON. */
const WebAuthnResponseSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1024 }),
    rawId: Type.String({ minLength: 1, maxLength: 1024 }),
    type: Type.Literal("public-key"),
    response: Type.Object({}, { additionalProperties: true }),
    clientExtensionResults: Type.Object({}, { additionalProperties: true }),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: true },
);
export const PasskeyRegistrationSchema = Type.Object(
  { response: WebAuthnResponseSchema, name: Type.Optional(Text(80, "What the person calls it")) },
  {
    description:
      "The browser's answer to navigator.credentials.create(), to finish adding a passkey, with the name the person gives it.",
    additionalProperties: false,
  },
);
export const PasskeyAuthenticationSchema = Type.Object(
  { response: WebAuthnResponseSchema },
  {
    description:
      "The browser's answer to navigator.credentials.get(), to prove the second factor with a passkey.",
    additionalProperties: false,
  },
);

export const TotpSetupSchema = Type.Object(
  {
    secret: Type.String({ description: "Base32, for typing into an application by hand" }),
    uri: Type.String({ description: "otpauth:// URI, what the QR code holds" }),
    qrSvg: Type.String({ description: "The QR code as an SVG document" }),
  },
  {
    description:
      "A new authenticator-application (TOTP) secret, as text, otpauth URI and QR code, in force once a first code confirms it.",
  },
);
export const TotpCodeSchema = Type.Object(
  { code: Type.String({ minLength: 6, maxLength: 6, pattern: "^[0-9]{6}$" }) },
  { description: "A six-digit code from the authenticator application.", additionalProperties: false },
);
export const RecoveryCodeSchema = Type.Object(
  { code: Type.String({ minLength: 8, maxLength: 40 }) },
  { description: "One of the person's single-use recovery codes.", additionalProperties: false },
);
export const RecoveryCodesSchema = Type.Object(
  {
    codes: Type.Array(Type.String(), { description: "Shown once: only their digests are kept" }),
  },
  { description: "A person's new recovery codes, shown in this answer only; the earlier ones stop working." },
);

export const SecondFactorPolicySchema = Type.Object(
  {
    role: Enum(ROLES),
    required: Type.Boolean(),
    requiredFrom: Nullable(DateTimeSchema, {
      description: "Before this instant the factor is offered, not required; null: from now",
    }),
    updatedAt: DateTimeSchema,
  },
  { description: "Whether a role's members must use a second factor, and from when." },
);
export type SecondFactorPolicy = Static<typeof SecondFactorPolicySchema>;
export const SecondFactorPolicyUpdateSchema = Type.Object(
  { required: Type.Boolean(), requiredFrom: Nullable(DateTimeSchema) },
  {
    description: "Whether a role's members must use a second factor, and from when (null: at once).",
    additionalProperties: false,
  },
);
export const RoleParamsSchema = Type.Object({ role: Enum(ROLES) }, { additionalProperties: false });
export const PasskeyParamsSchema = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 1024, pattern: "^[A-Za-z0-9_-]+$" }) },
  { additionalProperties: false },
);
