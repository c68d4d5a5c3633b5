import Type, { type Static } from "typebox";
import { DateTimeSchema, Nullable, UuidSchema } from "./common.ts";
import { ObservableInputSchema, ObservableViewSchema } from "./incident-contract.ts";

/** Observables added to an incident after its declaration, by the pole or the establishment. */
export const ObservablesAddSchema = Type.Object(
  { observables: Type.Array(ObservableInputSchema, { minItems: 1, maxItems: 100 }) },
  {
    description: "Observables (IOCs) to add to an incident after its declaration.",
    additionalProperties: false,
  },
);
export type ObservablesAdd = Static<typeof ObservablesAddSchema>;

export const ObservableItemSchema = Type.Object(
  {
    id: UuidSchema,
    ...ObservableViewSchema.properties,
    createdAt: DateTimeSchema,
  },
  { description: "An observable (IOC) recorded on an incident." },
);

export const ObservablesAddedSchema = Type.Object(
  {
    added: Type.Array(ObservableItemSchema),
    duplicates: Type.Integer({
      description: "Values the incident already had (same type and normalised form)",
    }),
  },
  {
    description: "The observables just added to an incident, and how many of the values sent it already had.",
  },
);

/** "Also in REU-2026-0007 (CH Ouest)": for the pole only. */
export const ObservableMatchesSchema = Type.Object(
  {
    incidents: Type.Array(
      Type.Object({
        reference: Type.String(),
        establishment: Type.String({ description: "The establishment's name" }),
        how: Type.String({ description: "'same' value, or 'network' overlap of addresses and CIDR ranges" }),
      }),
    ),
    products: Type.Array(
      Type.Object({
        establishment: Type.String(),
        kind: Type.String(),
        vendor: Type.String(),
        product: Nullable(Type.String()),
      }),
      {
        description:
          "Declared products and suppliers whose vendor or product name is a label of the observable's host",
      },
    ),
  },
  {
    description:
      "The other incidents of the region and the declared products or suppliers an observable matches, shown to the pole only.",
  },
);

export const ObservableWithMatchesSchema = Type.Object(
  {
    ...ObservableItemSchema.properties,
    seenElsewhere: Type.Boolean({
      description: "Seen in an incident of another establishment of the region — all an establishment learns",
    }),
    matches: Type.Optional(ObservableMatchesSchema),
  },
  {
    description:
      "An incident's observable, whether another establishment's incident has it and, for the pole, what it matches.",
  },
);

export const ObservableListSchema = Type.Object(
  { items: Type.Array(ObservableWithMatchesSchema) },
  { description: "An incident's observables, with their matches across the region." },
);
export type ObservableList = Static<typeof ObservableListSchema>;

export const StixBundleSchema = Type.Object(
  {
    type: Type.Literal("bundle"),
    id: Type.String({ pattern: "^bundle--" }),
    objects: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  },
  { description: "An incident's observables as a STIX 2.1 bundle, marked with its TLP 2.0 label." },
);
export type StixBundle = Static<typeof StixBundleSchema>;
