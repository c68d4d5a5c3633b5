import Type, { type Static } from "typebox";

/** A configured identity provider as the login page shows it (no secret, no issuer). */
export const SsoProviderSchema = Type.Object(
  {
    name: Type.String({ description: "Key in the sign-in URL: /api/v1/auth/oidc/{name}/start" }),
    label: Type.String({ description: "Shown on the button: « Se connecter avec {label} »" }),
  },
  { description: "A single sign-on provider offered on the sign-in page." },
);
export type SsoProvider = Static<typeof SsoProviderSchema>;

export const SsoProviderParamsSchema = Type.Object({
  provider: Type.String({ pattern: "^[a-z0-9][a-z0-9-]{0,31}$", maxLength: 32 }),
});

export const SsoStartQuerySchema = Type.Object(
  {
    retour: Type.Optional(
      Type.String({ maxLength: 500, description: "Path of this app to open after signing in" }),
    ),
  },
  { additionalProperties: false },
);

/** The provider's answer, as its redirect brings it back (RFC 6749 §4.1.2). */
export const SsoCallbackQuerySchema = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 2000 })),
  state: Type.Optional(Type.String({ maxLength: 500 })),
  iss: Type.Optional(Type.String({ maxLength: 500 })),
  error: Type.Optional(Type.String({ maxLength: 200 })),
  error_description: Type.Optional(Type.String({ maxLength: 1000 })),
});

/** Back-channel logout (OpenID Connect Back-Channel Logout 1.0 §2.5): a form-encoded logout token. */
export const BackchannelLogoutBodySchema = Type.Object(
  {
    logout_token: Type.String({ minLength: 1, maxLength: 8000 }),
  },
  {
    description:
      "An identity provider's back-channel logout request (OpenID Connect Back-Channel Logout 1.0), form-encoded, carrying its signed logout token.",
  },
);
