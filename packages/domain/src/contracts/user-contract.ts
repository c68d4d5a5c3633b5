import Type, { type Static } from "typebox";
import { ROLES } from "../directory.ts";
import {
  DateTimeSchema,
  EmailSchema,
  Enum,
  Nullable,
  PageQuerySchema,
  PhoneSchema,
  UuidSchema,
} from "./common.ts";
import { PasswordSchema } from "./directory-contract.ts";

/** The people of the directory, as the administrators manage them (issue 11: role, scope, active or not). */

export const UserCreateSchema = Type.Object(
  {
    email: EmailSchema,
    displayName: Type.String({ minLength: 1, maxLength: 200 }),
    phone: Type.Optional(PhoneSchema),
    role: Enum(ROLES),
    establishmentId: Type.Optional(
      Nullable({ ...UuidSchema, description: "For an RSSI of one establishment" }),
    ),
    ghtId: Type.Optional(Nullable({ ...UuidSchema, description: "For an RSSI covering a GHT's members" })),
    password: PasswordSchema,
  },
  {
    description: "A user account an administrator creates directly, with the password they set.",
    additionalProperties: false,
  },
);
export type UserCreate = Static<typeof UserCreateSchema>;

export const UserPatchSchema = Type.Object(
  {
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    phone: Type.Optional(Nullable(PhoneSchema)),
    role: Type.Optional(
      Enum(ROLES, {
        description: "A role other than rssi drops the establishment and GHT unless they are given",
      }),
    ),
    establishmentId: Type.Optional(Nullable(UuidSchema)),
    ghtId: Type.Optional(Nullable(UuidSchema)),
    password: Type.Optional(PasswordSchema),
    active: Type.Optional(Type.Boolean()),
  },
  {
    description: "Changes to a user account; only the fields sent change.",
    additionalProperties: false,
    minProperties: 1,
  },
);
export type UserPatch = Static<typeof UserPatchSchema>;

export const UserSchema = Type.Object(
  {
    id: UuidSchema,
    email: Type.String(),
    displayName: Type.String(),
    phone: Nullable(Type.String()),
    role: Enum(ROLES),
    establishmentId: Nullable(UuidSchema),
    establishmentName: Nullable(Type.String({ description: "Name of the RSSI's establishment" })),
    ghtId: Nullable(UuidSchema),
    ghtName: Nullable(Type.String({ description: "Name of the GHT a GHT-wide RSSI covers" })),
    active: Type.Boolean(),
    createdAt: DateTimeSchema,
    updatedAt: DateTimeSchema,
    lastLoginAt: Nullable(DateTimeSchema),
  },
  {
    description: "A user account as administrators manage it: role, scope, whether active, and last sign-in.",
  },
);
export type User = Static<typeof UserSchema>;

export const UserListQuerySchema = Type.Object(
  {
    role: Type.Optional(Enum(ROLES)),
    establishmentId: Type.Optional({
      ...UuidSchema,
      description: "RSSIs acting for this establishment: its own and those of its GHT",
    }),
    ghtId: Type.Optional({
      ...UuidSchema,
      description: "RSSIs of this GHT: GHT-wide ones and those of its member establishments",
    }),
    active: Type.Optional(Type.Boolean()),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "Text in the name or e-mail" }),
    ),
    ...PageQuerySchema,
  },
  { additionalProperties: false },
);
export type UserListQuery = Static<typeof UserListQuerySchema>;

export const UserPageSchema = Type.Object(
  {
    items: Type.Array(UserSchema),
    total: Type.Integer(),
    nextCursor: Nullable(Type.String()),
  },
  { description: "A page of users, with the total matching and the cursor of the next page." },
);
export type UserPage = Static<typeof UserPageSchema>;

/**
 * Why a change to a user is refused (409): it would leave the service without an active administrator,
 * or an establishment with open incidents without an active RSSI.
 */
export const USER_CONFLICT_CODES = ["last_admin", "only_rssi_with_open_incidents", "email_taken"] as const;
export type UserConflictCode = (typeof USER_CONFLICT_CODES)[number];
