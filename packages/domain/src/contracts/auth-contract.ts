import Type, { type Static } from "typebox";
import { ROLES } from "../directory.ts";
import { EmailSchema, Enum, Nullable, UuidSchema } from "./common.ts";

export const LoginSchema = Type.Object(
  { email: EmailSchema, password: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export type Login = Static<typeof LoginSchema>;

const EstablishmentBriefSchema = Type.Object({ id: UuidSchema, finess: Type.String(), name: Type.String() });

export const MeSchema = Type.Object({
  id: UuidSchema,
  email: Type.String(),
  displayName: Type.String(),
  phone: Nullable(Type.String()),
  role: Enum(ROLES),
  ght: Nullable(Type.Object({ id: UuidSchema, name: Type.String() })),
  establishments: Type.Array(EstablishmentBriefSchema, {
    description: "Establishments the user may declare for (an RSSI's own, or their GHT's members)",
  }),
});
export type Me = Static<typeof MeSchema>;

export const SessionSchema = Type.Object({
  accessToken: Type.String({
    description: "Bearer token for API clients; the web app uses the session cookie",
  }),
  tokenType: Type.Literal("Bearer"),
  expiresIn: Type.Integer({ description: "Seconds" }),
  csrfToken: Type.String({
    description: "Send back as X-CSRF-Token on unsafe requests made with the cookie",
  }),
  user: MeSchema,
});
export type Session = Static<typeof SessionSchema>;
