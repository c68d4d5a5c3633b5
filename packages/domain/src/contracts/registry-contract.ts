import Type, { type Static } from "typebox";
import { CATEGORY_VALUES } from "../directory.ts";
import { IMPORT_OUTCOMES, REFUSAL_PROBLEMS } from "../registry.ts";
import { DateTimeSchema, Enum, Nullable, PageQuerySchema, UuidSchema } from "./common.ts";

const Count = (description: string) => Type.Integer({ minimum: 0, description });

/** What a preview found, and (once applied) what the apply did. */
export const RegistryImportSummarySchema = Type.Object(
  {
    records: Count("Establishment records read (structureet lines, or CSV lines)"),
    geolocations: Count("geolocalisation records met (their coordinates are not kept)"),
    outOfRegion: Count("Records of other départements: counted, not listed"),
    notFollowed: Count("Records of a FINESS category the region does not follow: counted, not listed"),
    region: Count("Records of the region"),
    new: Count("Establishments the apply would create"),
    changed: Count("Establishments the apply would update"),
    unchanged: Count("Establishments already as the file says"),
    missing: Count("Active establishments absent from the file: proposed for deactivation"),
    refused: Count("Lines refused, each with its reason"),
    refusedNotListed: Count("Refused lines beyond the listed ones (a file mostly garbled)"),
    created: Type.Optional(Count("Applied: establishments created")),
    updated: Type.Optional(Count("Applied: establishments updated")),
    deactivated: Type.Optional(Count("Applied: establishments deactivated")),
    kept: Type.Optional(Count("Applied: missing establishments the admin kept active")),
  },
  {
    description:
      "The counts of a registry import: what its preview found and, once applied, what the apply did.",
  },
);
export type RegistryImportSummary = Static<typeof RegistryImportSummarySchema>;

export const RegistryImportSchema = Type.Object(
  {
    id: UuidSchema,
    fileName: Type.String(),
    format: Enum(["finess", "csv"] as const, { description: "FINESS public extract, or hand-made CSV" }),
    sha256: Type.String({ description: "SHA-256 of the file, hex" }),
    status: Enum(["preview", "applied", "superseded"] as const),
    summary: RegistryImportSummarySchema,
    createdAt: DateTimeSchema,
    createdBy: Nullable(Type.String()),
    appliedAt: Nullable(DateTimeSchema),
    appliedBy: Nullable(Type.String()),
    mappingsChanged: Type.Boolean({
      description:
        "A mapping changed after this preview was made: the preview does not take it into account; preview the file again",
    }),
  },
  {
    description:
      "An import of the FINESS registry file: the file, its status, who made and applied it, and its counts.",
  },
);
export type RegistryImport = Static<typeof RegistryImportSchema>;

export const RegistryImportListQuerySchema = Type.Object(
  { ...PageQuerySchema },
  { additionalProperties: false },
);
export const RegistryImportPageSchema = Type.Object(
  {
    items: Type.Array(RegistryImportSchema),
    nextCursor: Nullable(Type.String()),
  },
  { description: "A page of registry imports, newest first, with the cursor of the next page." },
);

export const FieldChangeSchema = Type.Object(
  { before: Type.Unknown(), after: Type.Unknown() },
  { description: "A field's value before and after a registry import." },
);

export const RegistryImportRowSchema = Type.Object(
  {
    seq: Type.Integer(),
    line: Nullable(
      Type.Integer({ description: "Line of the file; null for an establishment missing from it" }),
    ),
    outcome: Enum(IMPORT_OUTCOMES),
    finess: Nullable(Type.String()),
    establishmentId: Nullable(UuidSchema),
    name: Nullable(Type.String()),
    data: Nullable(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          "The establishment as the file gives it (new, changed, unchanged), or what was read (refused)",
      }),
    ),
    changes: Nullable(Type.Record(Type.String(), FieldChangeSchema, { description: "Field by field" })),
    reason: Nullable(Type.String({ description: "Why the line is refused, in French" })),
    problem: Nullable(Enum(REFUSAL_PROBLEMS)),
  },
  {
    description:
      "A line of a previewed registry import: its outcome, the establishment it concerns, and its changes or why it is refused.",
  },
);
export type RegistryImportRow = Static<typeof RegistryImportRowSchema>;

export const RegistryImportRowsQuerySchema = Type.Object(
  {
    outcome: Type.Optional(Enum(IMPORT_OUTCOMES)),
    ...PageQuerySchema,
  },
  { additionalProperties: false },
);
export const RegistryImportRowPageSchema = Type.Object(
  {
    items: Type.Array(RegistryImportRowSchema),
    total: Type.Integer(),
    nextCursor: Nullable(Type.String()),
  },
  {
    description:
      "A page of a previewed import's lines in file order, with the total matching and the cursor of the next page.",
  },
);

export const RegistryApplySchema = Type.Object(
  {
    keep: Type.Optional(
      Type.Array(UuidSchema, {
        maxItems: 10_000,
        description:
          "Establishments proposed for deactivation (missing from the file) to keep active; all others are deactivated",
      }),
    ),
  },
  {
    description: "Which establishments missing from the file to keep active when a preview is applied.",
    additionalProperties: false,
  },
);
export type RegistryApply = Static<typeof RegistryApplySchema>;

/** What the refused lines of a preview lack: the mapping editors' lists. */
export const RegistryUnmappedSchema = Type.Object(
  {
    categories: Type.Array(
      Type.Object({
        code: Type.String(),
        label: Type.String(),
        lines: Type.Integer(),
        suggestion: Nullable(Enum(CATEGORY_VALUES), {
          description: "The service's category most regions use for it",
        }),
      }),
    ),
    places: Type.Array(
      Type.Object({
        kind: Enum(["commune", "departement"] as const),
        code: Type.String({ description: "INSEE code of the commune, or the département's code" }),
        postalLine: Nullable(Type.String()),
        departement: Type.String(),
        lines: Type.Integer(),
      }),
    ),
  },
  { description: "The FINESS categories and places a preview's refused lines need a mapping for." },
);

export type RegistryUnmapped = Static<typeof RegistryUnmappedSchema>;

export const FinessCategoryParamsSchema = Type.Object(
  { code: Type.String({ pattern: "^[0-9A-Za-z]{1,10}$", description: "FINESS category code (categetab)" }) },
  { additionalProperties: false },
);
export const CategoryMappingPutSchema = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: 300, description: "The registry's label (libcategetab)" }),
    category: Nullable(Enum(CATEGORY_VALUES), {
      description: "The service's category, or null: the region does not follow it",
    }),
  },
  {
    description:
      "The service's category a FINESS category maps to, or null when the region does not follow it.",
    additionalProperties: false,
  },
);
export const CategoryMappingSchema = Type.Object(
  {
    finessCategory: Type.String(),
    label: Type.String(),
    category: Nullable(Enum(CATEGORY_VALUES)),
    updatedAt: DateTimeSchema,
  },
  {
    description:
      "How a FINESS category maps to one of the service's establishment categories (null: not followed).",
  },
);
export type CategoryMapping = Static<typeof CategoryMappingSchema>;

export const PLACE_KINDS = ["departement", "commune"] as const;
export const PlaceMappingParamsSchema = Type.Object(
  {
    kind: Enum(PLACE_KINDS),
    code: Type.String({
      pattern: "^[0-9][0-9AB][0-9]{0,3}$",
      description: "Département code (974, 13, 2A) or INSEE commune code (97416)",
    }),
  },
  { additionalProperties: false },
);
export const PlaceMappingPutSchema = Type.Object(
  { territory: Type.String({ minLength: 1, maxLength: 50, description: "Territory code of the region" }) },
  { description: "The territory a département or commune belongs to.", additionalProperties: false },
);
export const PlaceMappingSchema = Type.Object(
  {
    kind: Enum(PLACE_KINDS),
    code: Type.String(),
    territory: Type.String(),
    updatedAt: DateTimeSchema,
  },
  {
    description:
      "The territory a département or commune of the region belongs to, used to place imported establishments.",
  },
);
export type PlaceMapping = Static<typeof PlaceMappingSchema>;
