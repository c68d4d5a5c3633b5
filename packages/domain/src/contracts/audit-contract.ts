import Type, { type Static } from "typebox";
import { DateTimeSchema, Nullable, UuidSchema } from "./common.ts";

/** The administration trail (issue 11, point 5): who changed what, when, before → after. */

const Word = (description: string) =>
  Type.String({ minLength: 1, maxLength: 100, pattern: "^[a-z0-9_.]+$", description });

export const AuditQuerySchema = Type.Object(
  {
    actorUserId: Type.Optional({ ...UuidSchema, description: "Changes made by this person" }),
    objectKind: Type.Optional(Word("Kind of object: user, territory, ght, establishment, apikey, oncall…")),
    objectId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "The object's id (a territory's code)" }),
    ),
    action: Type.Optional(Word("Actions starting with this: 'user.' or 'user.deactivate'")),
    from: Type.Optional({ ...DateTimeSchema, description: "Entries at or after this instant" }),
    to: Type.Optional({ ...DateTimeSchema, description: "Entries before this instant" }),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "Text in the object's label at the time" }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: "nextCursor of the previous page" })),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuerySchema>;

export const AuditExportQuerySchema = Type.Omit(AuditQuerySchema, ["limit", "cursor"], {
  additionalProperties: false,
});
export type AuditExportQuery = Static<typeof AuditExportQuerySchema>;

const Snapshot = Nullable(
  Type.Record(Type.String(), Type.Unknown(), {
    description: "The fields that changed (a creation has no before, a removal no after)",
  }),
);

export const AuditTrailEntrySchema = Type.Object(
  {
    id: UuidSchema,
    at: DateTimeSchema,
    actor: Type.Object({
      userId: Nullable(UuidSchema),
      label: Type.String({ description: "The person as named at the time, or « système »" }),
    }),
    action: Type.String({ description: "<object kind>.<verb>" }),
    objectKind: Type.String(),
    objectId: Type.String(),
    objectLabel: Type.String(),
    before: Snapshot,
    after: Snapshot,
    requestId: Nullable(Type.String()),
    ip: Nullable(Type.String()),
  },
  {
    description:
      "One entry of the administration trail: who changed which object, when, and its fields before and after.",
  },
);
export type AuditTrailEntry = Static<typeof AuditTrailEntrySchema>;

export const AuditPageSchema = Type.Object(
  {
    items: Type.Array(AuditTrailEntrySchema),
    nextCursor: Nullable(Type.String()),
  },
  { description: "A page of the administration trail, newest first, with the cursor of the next page." },
);
export type AuditPage = Static<typeof AuditPageSchema>;
