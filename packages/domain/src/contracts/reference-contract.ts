import Type, { type Static } from "typebox";
import { CATEGORY_VALUES, NIS2_STATUSES } from "../directory.ts";
import { DaySchema, Enum, Nullable, PageQuerySchema, UuidSchema } from "./common.ts";
import {
  EstablishmentCreateSchema,
  EstablishmentPatchSchema,
  GhtSchema,
  TerritorySchema,
} from "./directory-contract.ts";

/**
 * The region's reference data as the administrator keeps it: territories (created, renamed, retired —
 * never deleted), GHTs with their members and support establishment, and every field of an establishment.
 */

export const TERRITORY_CODE_PATTERN = "^[a-z0-9][a-z0-9_-]{0,49}$";

export const TerritoryListQuerySchema = Type.Object(
  {
    includeRetired: Type.Optional(
      Type.Boolean({ description: "Also the retired territories (hidden from pickers by default)" }),
    ),
  },
  { additionalProperties: false },
);

export const TerritoryCodeParamsSchema = Type.Object(
  { code: Type.String({ pattern: TERRITORY_CODE_PATTERN, description: "Territory code" }) },
  { additionalProperties: false },
);

export const TerritoryCreateSchema = Type.Object(
  {
    code: Type.String({
      pattern: TERRITORY_CODE_PATTERN,
      description: "Short code, lower case (letters, digits, - and _): never changes",
    }),
    name: Type.String({ minLength: 2, maxLength: 200 }),
  },
  { description: "A territory to create: its permanent code and its name.", additionalProperties: false },
);

export const TerritoryPatchSchema = Type.Object(
  { name: Type.String({ minLength: 2, maxLength: 200 }) },
  { description: "A territory's new name.", additionalProperties: false },
);

/** A territory, with how many active establishments use it for the roles that see the whole directory. */
export const TerritoryAdminSchema = Type.Object(
  {
    ...TerritorySchema.properties,
    activeEstablishments: Type.Optional(
      Type.Integer({ description: "Active establishments in this territory" }),
    ),
  },
  {
    description:
      "A territory of the region (a sub-area establishments belong to), with its active establishments for the roles that see the whole directory.",
  },
);
export type TerritoryAdmin = Static<typeof TerritoryAdminSchema>;

export const GhtPatchSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 2, maxLength: 300 })),
    supportEstablishmentId: Type.Optional(
      Nullable({ ...UuidSchema, description: "Support establishment: must be a member" }),
    ),
  },
  {
    description: "Changes to a GHT: its name or its support establishment; only the fields sent change.",
    additionalProperties: false,
    minProperties: 1,
  },
);

export const GhtMemberSchema = Type.Object(
  {
    id: UuidSchema,
    finess: Type.String(),
    name: Type.String(),
    category: Enum(CATEGORY_VALUES),
    territory: Type.String(),
    active: Type.Boolean(),
  },
  { description: "An establishment that is a member of a GHT." },
);
export type GhtMember = Static<typeof GhtMemberSchema>;

export const GhtDetailSchema = Type.Object(
  {
    ...GhtSchema.properties,
    members: Type.Array(GhtMemberSchema),
  },
  { description: "A GHT with its member establishments." },
);
export type GhtDetail = Static<typeof GhtDetailSchema>;

export const GhtMemberAddSchema = Type.Object(
  { establishmentId: UuidSchema },
  { description: "The establishment to add to a GHT.", additionalProperties: false },
);

export const GhtMemberParamsSchema = Type.Object(
  { id: UuidSchema, establishmentId: UuidSchema },
  { additionalProperties: false },
);

const activePeriod = {
  activeFrom: Type.Optional(
    Nullable({ ...DaySchema, description: "Day the establishment entered the registry" }),
  ),
  activeUntil: Type.Optional(Nullable({ ...DaySchema, description: "Day it left the registry" })),
};

/** What the administrator sends to register an establishment: every field the directory holds. */
export const EstablishmentAdminCreateSchema = Type.Object(
  { ...EstablishmentCreateSchema.properties, activeFrom: activePeriod.activeFrom },
  {
    description: "An establishment an administrator registers, with every field the directory holds.",
    additionalProperties: false,
  },
);
export type EstablishmentAdminCreate = Static<typeof EstablishmentAdminCreateSchema>;

export const EstablishmentAdminPatchSchema = Type.Object(
  { ...EstablishmentPatchSchema.properties, ...activePeriod },
  {
    description: "Changes an administrator makes to an establishment; only the fields sent change.",
    additionalProperties: false,
    minProperties: 1,
  },
);
export type EstablishmentAdminPatch = Static<typeof EstablishmentAdminPatchSchema>;

export const EstablishmentSearchQuerySchema = Type.Object(
  {
    territory: Type.Optional(Type.String({ maxLength: 50 })),
    category: Type.Optional(Enum(CATEGORY_VALUES)),
    ghtId: Type.Optional(UuidSchema),
    nis2Status: Type.Optional(Enum(NIS2_STATUSES)),
    active: Type.Optional(
      Type.Boolean({
        description: "Only establishments still in the registry (true) or closed ones (false)",
      }),
    ),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "Text in the name or FINESS" }),
    ),
    ...PageQuerySchema,
  },
  { additionalProperties: false },
);
export type EstablishmentSearchQuery = Static<typeof EstablishmentSearchQuerySchema>;
