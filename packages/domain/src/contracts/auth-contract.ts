import Type, { type Static } from "typebox";
import { ROLES } from "../directory.ts";
import { DateTimeSchema, EmailSchema, Enum, Nullable, UuidSchema } from "./common.ts";

export const LoginSchema = Type.Object(
  { email: EmailSchema, password: Type.String({ minLength: 1, maxLength: 200 }) },
  { description: "The e-mail address and password to sign in with.", additionalProperties: false },
);
export type Login = Static<typeof LoginSchema>;

const EstablishmentBriefSchema = Type.Object({
  id: UuidSchema,
  finess: Type.String(),
  name: Type.String(),
  category: Type.String({
    description: "Registry category (chu, ch, ehpad…): the suggested severity weighs it",
  }),
});

export const MeSchema = Type.Object(
  {
    id: UuidSchema,
    email: Type.String(),
    displayName: Type.String(),
    phone: Nullable(Type.String()),
    role: Enum(ROLES),
    ght: Nullable(Type.Object({ id: UuidSchema, name: Type.String() })),
    establishments: Type.Array(EstablishmentBriefSchema, {
      description: "Establishments the user may declare for (an RSSI's own, or their GHT's members)",
    }),
  },
  { description: "The signed-in person: identity, role, GHT and the establishments they may declare for." },
);
export type Me = Static<typeof MeSchema>;

export const SessionSchema = Type.Object(
  {
    accessToken: Type.String({
      description: "Bearer token for API clients; the web app uses the session cookie",
    }),
    tokenType: Type.Literal("Bearer"),
    expiresIn: Type.Integer({ description: "Seconds" }),
    csrfToken: Type.String({
      description: "Send back as X-CSRF-Token on unsafe requests made with the cookie",
    }),
    user: MeSchema,
  },
  {
    description:
      "A signed-in session: a bearer token for API clients, the CSRF token for requests made with the cookie, and the signed-in person.",
  },
);
export type Session = Static<typeof SessionSchema>;

/** One of a person's open sessions, as "Mes sessions" and the administrator list them. */
export const SessionInfoSchema = Type.Object(
  {
    id: UuidSchema,
    current: Type.Boolean({ description: "The session this request came with" }),
    createdAt: DateTimeSchema,
    lastSeenAt: DateTimeSchema,
    expiresAt: DateTimeSchema,
    ip: Nullable(Type.String()),
    userAgent: Nullable(Type.String()),
    device: Type.String({
      description: "Browser and system read from the user agent, e.g. 'Firefox, Windows'",
    }),
    methods: Type.Array(Type.String(), {
      description: "How the person proved who they are (amr): pwd, webauthn, otp, sso…",
    }),
    provider: Nullable(Type.String({ description: "The identity provider of a single sign-on" })),
  },
  {
    description:
      "One of a person's open sessions: its device, address, and when it was opened, last used and expires.",
  },
);
export type SessionInfo = Static<typeof SessionInfoSchema>;
export const SessionListSchema = Type.Object(
  { items: Type.Array(SessionInfoSchema) },
  { description: "A person's open sessions." },
);
export type SessionList = Static<typeof SessionListSchema>;
export const SessionsEndedSchema = Type.Object(
  { ended: Type.Integer({ minimum: 0 }) },
  { description: "How many sessions were ended." },
);
