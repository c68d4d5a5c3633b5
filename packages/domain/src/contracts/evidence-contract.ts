import Type, { type Static } from "typebox";
import { DateTimeSchema, Enum, Nullable, UuidSchema } from "./common.ts";

/** Who may read the evidence of the service: the checkpoints of the main courantes and the traces of access. */
export const EVIDENCE_ROLES = ["admin", "ars"] as const;

export const LogCheckpointSummarySchema = Type.Object(
  {
    seq: Type.Integer({ description: "Checkpoints are numbered from 1 without gaps" }),
    issuedAt: DateTimeSchema,
    keyId: Type.String({ description: "Fingerprint of the key that signed it" }),
    digest: Type.String({ description: "SHA-256 of the signed document, hex (quoted in the ARS's e-mail)" }),
    heads: Type.Integer({ description: "Main courantes whose head it attests" }),
    authentic: Type.Boolean({ description: "Its signature holds under the key it names" }),
  },
  { description: "A daily signed checkpoint that attests the heads of the main courantes' hash chains." },
);
export type LogCheckpointSummary = Static<typeof LogCheckpointSummarySchema>;

export const LogCheckpointListSchema = Type.Object(
  {
    items: Type.Array(LogCheckpointSummarySchema),
    nextBeforeSeq: Nullable(Type.Integer({ description: "Pass as beforeSeq for the next (older) page" })),
  },
  {
    description:
      "Signed checkpoints of the main courantes, newest first, with where the next (older) page starts.",
  },
);

export const LogCheckpointListQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 30 })),
    beforeSeq: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const LogCheckpointParamsSchema = Type.Object(
  { seq: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) },
  { additionalProperties: false },
);

/** The signed file, as e-mailed to the ARS: check `signature` over the bytes of `document` with `publicKey`. */
export const LogCheckpointFileSchema = Type.Object(
  {
    document: Type.String({ description: "RFC 8785 canonical JSON: exactly the bytes signed" }),
    digest: Type.String(),
    signature: Type.String({ description: "Ed25519 signature of document, base64" }),
    signatureAlgorithm: Type.Literal("Ed25519"),
    keyId: Type.String(),
    publicKey: Nullable(Type.String({ description: "SPKI PEM of the verification key" })),
    authentic: Type.Boolean(),
  },
  {
    description:
      "A signed checkpoint as the file e-mailed to the ARS: the signed document, its Ed25519 signature and the key that verifies it.",
  },
);
export type LogCheckpointFile = Static<typeof LogCheckpointFileSchema>;

/** What was read: an incident (its detail, main courante, tasks, observables, exports), a bulletin's dashboard, an aggregate export. */
export const ACCESS_OBJECT_KINDS = ["incident", "bulletin", "exercise_completion", "incident_stats"] as const;
export type AccessObjectKind = (typeof ACCESS_OBJECT_KINDS)[number];

export const AccessTraceSchema = Type.Object(
  {
    id: UuidSchema,
    at: DateTimeSchema,
    actor: Type.Object({
      kind: Enum(["user", "api_key"] as const),
      id: UuidSchema,
      name: Type.String(),
      role: Type.String(),
    }),
    establishmentId: Nullable(UuidSchema),
    objectKind: Enum(ACCESS_OBJECT_KINDS),
    objectId: Nullable(UuidSchema),
    action: Type.String({ description: "The API operation (operationId)" }),
    method: Type.String(),
    path: Type.String(),
    query: Nullable(Type.String()),
    statusCode: Type.Integer(),
    ip: Nullable(Type.String({ description: "Client address as seen through the trusted proxies" })),
    userAgent: Nullable(Type.String()),
  },
  {
    description:
      "A trace of someone reading an incident, a bulletin's dashboard or an aggregate export: who, what, when and from where.",
  },
);
export type AccessTrace = Static<typeof AccessTraceSchema>;

export const AccessTraceQuerySchema = Type.Object(
  {
    userId: Type.Optional(UuidSchema),
    apiKeyId: Type.Optional(UuidSchema),
    establishmentId: Type.Optional(UuidSchema),
    objectId: Type.Optional({ ...UuidSchema, description: "An incident or a bulletin" }),
    objectKind: Type.Optional(Enum(ACCESS_OBJECT_KINDS)),
    from: Type.Optional({ ...DateTimeSchema, description: "Traces at or after this instant" }),
    to: Type.Optional({ ...DateTimeSchema, description: "Traces before this instant" }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: "nextCursor of the previous page" })),
  },
  { additionalProperties: false },
);
export type AccessTraceQuery = Static<typeof AccessTraceQuerySchema>;

export const AccessTraceExportQuerySchema = Type.Omit(AccessTraceQuerySchema, ["limit", "cursor"], {
  additionalProperties: false,
});
export type AccessTraceExportQuery = Static<typeof AccessTraceExportQuerySchema>;

export const AccessTracePageSchema = Type.Object(
  {
    items: Type.Array(AccessTraceSchema),
    nextCursor: Nullable(Type.String()),
  },
  { description: "A page of access traces, newest first, with the cursor of the next page." },
);
export type AccessTracePage = Static<typeof AccessTracePageSchema>;
