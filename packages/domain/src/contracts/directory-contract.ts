import Type, { type Static } from "typebox";
import {
  CATEGORY_VALUES,
  FINESS_PATTERN,
  NIS2_STATUSES,
  PRODUCT_KINDS,
  SECTORS,
  SUPPLIER_SERVICES,
} from "../directory.ts";
import {
  DateTimeSchema,
  DaySchema,
  EmailSchema,
  Enum,
  Nullable,
  PageQuerySchema,
  PhoneSchema,
  UuidSchema,
} from "./common.ts";

export const ContactSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.Optional(EmailSchema),
    phone: Type.Optional(PhoneSchema),
  },
  {
    description: "A person to reach at an establishment: name, e-mail and phone.",
    additionalProperties: false,
  },
);

export const ContactsSchema = Type.Object(
  {
    rssi: Type.Optional(ContactSchema),
    deputy: Type.Optional(ContactSchema),
    director: Type.Optional(ContactSchema),
    dpo: Type.Optional(ContactSchema),
    functionalMailbox: Type.Optional(EmailSchema),
  },
  {
    description: "An establishment's contacts by role: RSSI, deputy, director, DPO and functional mailbox.",
    additionalProperties: false,
  },
);
export type Contacts = Static<typeof ContactsSchema>;

export const ProductSchema = Type.Object(
  {
    kind: Enum(PRODUCT_KINDS),
    vendor: Type.String({ minLength: 1, maxLength: 200 }),
    product: Type.Optional(Type.String({ maxLength: 200 })),
  },
  {
    description:
      "A product an establishment declares (its kind, vendor and name), used to target alerts and spot contagion.",
    additionalProperties: false,
  },
);

export const SupplierSchema = Type.Object(
  {
    service: Enum(SUPPLIER_SERVICES),
    name: Type.String({ minLength: 1, maxLength: 200 }),
  },
  {
    description:
      "A supplier an establishment declares (the service it provides and its name), used to target alerts and spot contagion.",
    additionalProperties: false,
  },
);
export type Supplier = Static<typeof SupplierSchema>;

export const RegistryAddressSchema = Type.Object(
  {
    lines: Type.Array(Type.String({ maxLength: 300 }), { maxItems: 6, description: "Street lines" }),
    commune: Type.Optional(
      Type.String({ pattern: "^[0-9][0-9AB][0-9]{3}$", description: "INSEE code of the commune" }),
    ),
    postalLine: Type.Optional(Type.String({ maxLength: 300, description: "Postcode and town" })),
  },
  { additionalProperties: false },
);

const establishmentFields = {
  finess: Type.String({ pattern: FINESS_PATTERN, description: "FINESS number (9 characters)" }),
  legalEntityFiness: Type.Optional(
    Nullable(Type.String({ pattern: FINESS_PATTERN, description: "The legal entity's FINESS (EJ)" })),
  ),
  siret: Type.Optional(Nullable(Type.String({ pattern: "^[0-9]{14}$" }))),
  name: Type.String({ minLength: 2, maxLength: 300 }),
  category: Enum(CATEGORY_VALUES),
  territory: Type.String({ minLength: 1, maxLength: 50, description: "Territory code of the region" }),
  ghtId: Type.Optional(Nullable(UuidSchema)),
  smallStructure: Type.Optional(Type.Boolean({ description: "Small structure: light exercise kit" })),
  nis2Status: Type.Optional(Enum(NIS2_STATUSES)),
  contacts: Type.Optional(ContactsSchema),
  products: Type.Optional(Type.Array(ProductSchema, { maxItems: 100 })),
  suppliers: Type.Optional(Type.Array(SupplierSchema, { maxItems: 50 })),
  address: Type.Optional(Nullable(RegistryAddressSchema)),
  phone: Type.Optional(Nullable(PhoneSchema)),
};

export const EstablishmentCreateSchema = Type.Object(establishmentFields, { additionalProperties: false });
export type EstablishmentCreate = Static<typeof EstablishmentCreateSchema>;

export const EstablishmentPatchSchema = Type.Object(
  {
    name: Type.Optional(establishmentFields.name),
    category: Type.Optional(establishmentFields.category),
    territory: Type.Optional(establishmentFields.territory),
    ghtId: establishmentFields.ghtId,
    smallStructure: establishmentFields.smallStructure,
    nis2Status: establishmentFields.nis2Status,
    contacts: establishmentFields.contacts,
    products: establishmentFields.products,
    suppliers: establishmentFields.suppliers,
    legalEntityFiness: establishmentFields.legalEntityFiness,
    siret: establishmentFields.siret,
    address: establishmentFields.address,
    phone: establishmentFields.phone,
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type EstablishmentPatch = Static<typeof EstablishmentPatchSchema>;

export const EstablishmentSchema = Type.Object(
  {
    id: UuidSchema,
    finess: Type.String(),
    name: Type.String(),
    category: Enum(CATEGORY_VALUES),
    sector: Enum(SECTORS),
    territory: Type.String(),
    ghtId: Nullable(UuidSchema),
    smallStructure: Type.Boolean(),
    nis2Status: Enum(NIS2_STATUSES),
    contacts: ContactsSchema,
    products: Type.Array(ProductSchema),
    suppliers: Type.Array(SupplierSchema),
    legalEntityFiness: Nullable(Type.String()),
    siret: Nullable(Type.String()),
    finessCategory: Nullable(Type.String({ description: "The registry's category code (categetab)" })),
    address: Nullable(RegistryAddressSchema),
    phone: Nullable(Type.String()),
    active: Type.Boolean(),
    activeFrom: Nullable(DaySchema),
    activeUntil: Nullable(DaySchema),
    registryUpdatedOn: Nullable(DaySchema),
    createdAt: DateTimeSchema,
  },
  {
    description:
      "An establishment's registry entry: FINESS, category, territory, GHT, NIS2 status, contacts, declared products and suppliers.",
  },
);
export type Establishment = Static<typeof EstablishmentSchema>;

export const EstablishmentListQuerySchema = Type.Object(
  {
    territory: Type.Optional(Type.String({ maxLength: 50 })),
    category: Type.Optional(Enum(CATEGORY_VALUES)),
    ghtId: Type.Optional(UuidSchema),
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

export const EstablishmentPageSchema = Type.Object(
  {
    items: Type.Array(EstablishmentSchema),
    total: Type.Integer(),
    nextCursor: Nullable(Type.String()),
  },
  {
    description:
      "A page of establishments, by name, with the total matching and the cursor of the next page.",
  },
);

export const TerritorySchema = Type.Object({
  code: Type.String(),
  name: Type.String(),
  retiredAt: Nullable(DateTimeSchema),
});

export const GhtCreateSchema = Type.Object(
  {
    code: Type.String({ minLength: 2, maxLength: 50 }),
    name: Type.String({ minLength: 2, maxLength: 300 }),
    supportEstablishmentId: Type.Optional(Nullable(UuidSchema)),
  },
  { description: "A GHT to register, with its support establishment if known.", additionalProperties: false },
);
export const GhtSchema = Type.Object(
  {
    id: UuidSchema,
    code: Type.String(),
    name: Type.String(),
    supportEstablishmentId: Nullable(UuidSchema),
  },
  { description: "A GHT (public hospital group of a territory) and its support establishment." },
);

/**
 * A new password. The schema only bounds the request; the password policy (password-policy.ts) decides,
 * and refuses with a French reason naming the field: at least 12 characters besides spaces at either
 * end, at most 128, and hard enough to guess (not common, not the person's name or e-mail, PRIS or the
 * region's name).
 */
export const PasswordSchema = Type.String({
  minLength: 1,
  maxLength: 1000,
  description:
    "At least 12 characters (spaces at either end not counted), at most 128, and not common or guessable: " +
    "refused with 400 and a French reason otherwise",
});

export const ApiKeyCreateSchema = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200, description: "What uses this key" }) },
  {
    description: "A new API key for an establishment, named after what uses it.",
    additionalProperties: false,
  },
);
export const ApiKeySchema = Type.Object(
  {
    id: UuidSchema,
    establishmentId: UuidSchema,
    name: Type.String(),
    prefix: Type.String({ description: "Public part of the key, to recognise it" }),
    createdAt: DateTimeSchema,
    lastUsedAt: Nullable(DateTimeSchema),
    revokedAt: Nullable(DateTimeSchema),
  },
  { description: "An establishment's API key, without its secret." },
);
export const ApiKeyCreatedSchema = Type.Object(
  {
    ...ApiKeySchema.properties,
    key: Type.String({ description: "The whole key, shown this once: store it now" }),
  },
  { description: "A new API key, with the whole key shown this once." },
);
