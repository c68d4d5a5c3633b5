import Type, { type Static, type TSchema } from "typebox";
import { INCIDENT_ACTIONS, type IncidentAction } from "../lifecycle.ts";
import { RSIT_CLASS_VALUES, RSIT_TYPE_VALUES } from "../rsit.ts";
import { SEVERITIES } from "../severity.ts";
import { TLP_LABELS } from "../tlp.ts";
import { DateTimeSchema, Enum, Nullable, Text, UuidSchema } from "./common.ts";

/**
 * A JSON Schema `oneOf` with an OpenAPI `discriminator`: the validator checks only the branch the tag
 * names, so a client reads "reason is required", not one error per branch.
 */
function Discriminated<T extends TSchema[]>(tag: string, branches: [...T], description: string) {
  const union = Type.Union(branches);
  return Type.Unsafe<Static<typeof union>>({
    type: "object",
    oneOf: union.anyOf,
    discriminator: { propertyName: tag },
    description,
  });
}

export const UserRefSchema = Type.Object({ id: UuidSchema, name: Type.String() });
export type UserRef = Static<typeof UserRefSchema>;

/** What closing an incident requires: the final classification and what was learnt. */
export const IncidentClosureSchema = Type.Object(
  {
    rsitClass: Enum(RSIT_CLASS_VALUES, { description: "Final RSIT class (not other/undetermined)" }),
    rsitType: Enum(RSIT_TYPE_VALUES, { description: "Final RSIT type, belonging to rsitClass" }),
    rootCause: Text(10000, "Root cause"),
    measures: Text(10000, "Measures taken to contain, remediate and prevent"),
    lessons: Text(10000, "Lessons learnt"),
  },
  {
    description:
      "What closing an incident records: the final RSIT classification, the root cause, the measures taken and the lessons learnt.",
    additionalProperties: false,
  },
);
export type IncidentClosure = Static<typeof IncidentClosureSchema>;

const note = {
  note: Type.Optional(
    Text(
      5000,
      "A word recorded with the status change, which the establishment reads (except on a merge); " +
        "for the pole's eyes only, add an internal comment",
    ),
  ),
};
function Plain<A extends IncidentAction>(action: A, description: string) {
  return Type.Object({ action: Type.Literal(action), ...note }, { description, additionalProperties: false });
}
function Waiting<A extends "wait_establishment" | "wait_third_party">(action: A, description: string) {
  return Type.Object(
    {
      action: Type.Literal(action),
      followUpAt: { ...DateTimeSchema, description: "When to follow up (the assignee is reminded then)" },
      reason: Type.Optional(Text(2000, "What is awaited")),
      ...note,
    },
    { description, additionalProperties: false },
  );
}
function WithReason<A extends "reject" | "reopen">(action: A, description: string) {
  return Type.Object(
    { action: Type.Literal(action), reason: Text(2000, "Why"), ...note },
    { description, additionalProperties: false },
  );
}

/** A lifecycle transition; which fields it needs depends on the action. */
export const TransitionRequestSchema = Discriminated(
  "action",
  [
    Plain("acknowledge", "Acknowledge a new incident: the pole takes it in hand."),
    Plain("investigate", "Start investigating the incident."),
    Plain("contain", "Move the incident to containment."),
    Plain("recover", "Move the incident to recovery (remediation)."),
    Plain("monitor", "Move the incident to monitoring."),
    Plain("resume", "End a wait: the incident returns to the working status it was in."),
    Waiting("wait_establishment", "Wait on the establishment, with a time to follow up."),
    Waiting("wait_third_party", "Wait on a third party, with a time to follow up."),
    Type.Object(
      { action: Type.Literal("close"), closure: IncidentClosureSchema, ...note },
      { description: "Close the incident with its closure summary.", additionalProperties: false },
    ),
    WithReason("reject", "Reject the report as not an incident, saying why."),
    WithReason("reopen", "Reopen a closed or rejected incident, saying why."),
    Type.Object(
      {
        action: Type.Literal("merge"),
        mergeInto: { ...UuidSchema, description: "The open incident this one duplicates" },
        ...note,
      },
      {
        description: "Merge the incident into the open incident it duplicates.",
        additionalProperties: false,
      },
    ),
  ],
  "reason is required to reject and to reopen; followUpAt to wait; closure to close; mergeInto to merge",
);
export type TransitionRequest = Static<typeof TransitionRequestSchema>;

export const AssignRequestSchema = Type.Object(
  { userId: { ...UuidSchema, description: "An active analyst (or task-force member on a crisis cell)" } },
  { description: "The person to assign an incident to.", additionalProperties: false },
);

export const QualificationPatchSchema = Type.Object(
  {
    severity: Type.Optional(Enum(SEVERITIES, { description: "P1 opens the crisis cell" })),
    reason: Type.Optional(Text(2000, "Required when the severity changes")),
    rsitClass: Type.Optional(Enum(RSIT_CLASS_VALUES)),
    rsitType: Type.Optional(Enum(RSIT_TYPE_VALUES, { description: "Must belong to the (new) class" })),
    tlp: Type.Optional(Enum(TLP_LABELS)),
  },
  {
    description:
      "The pole's qualification of an incident (severity, with a reason to change it, RSIT classification and TLP); only the fields sent change.",
    additionalProperties: false,
    minProperties: 1,
  },
);
export type QualificationPatch = Static<typeof QualificationPatchSchema>;

/** Fields the pole's work adds to an incident's detail (spread into IncidentSchema). */
export const IncidentWorkflowFields = {
  assignee: Nullable(UserRefSchema),
  crisisCell: Type.Boolean({ description: "Raised to P1: the task force is mobilised and has access" }),
  escalatedAt: Nullable(DateTimeSchema),
  allowedActions: Type.Array(Enum(INCIDENT_ACTIONS), {
    description: "Lifecycle actions the caller may take now (none for an establishment)",
  }),
  followUpAt: Nullable(DateTimeSchema),
  mergedIntoId: Nullable(UuidSchema),
  closure: Nullable(IncidentClosureSchema),
};

export const LOG_VISIBILITIES = ["internal", "shared"] as const;

const visibility = {
  visibility: Type.Optional(
    Enum(LOG_VISIBILITIES, {
      description: "internal to the pole (default for the pole) or shared with the establishment",
    }),
  ),
};

/** What a person adds to the main courante by hand; the API writes the other kinds itself. */
export const LogEntryCreateSchema = Discriminated(
  "kind",
  [
    Type.Object(
      { kind: Type.Literal("comment"), text: Text(10000), ...visibility },
      { description: "A comment added to the main courante.", additionalProperties: false },
    ),
    Type.Object(
      {
        kind: Type.Literal("call"),
        with: Text(300, "Who was on the phone"),
        summary: Text(10000),
        ...visibility,
      },
      {
        description: "A phone call recorded in the main courante: who was on the line and what was said.",
        additionalProperties: false,
      },
    ),
    Type.Object(
      { kind: Type.Literal("action"), text: Text(10000, "Something done"), ...visibility },
      { description: "Something done, recorded in the main courante.", additionalProperties: false },
    ),
  ],
  "A comment, a phone call or an action. An establishment's entries are always shared.",
);
export type LogEntryCreate = Static<typeof LogEntryCreateSchema>;

export const LogEntrySchema = Type.Object(
  {
    id: UuidSchema,
    seq: Type.Integer({ minimum: 1 }),
    at: DateTimeSchema,
    kind: Type.String({ examples: ["declared", "status_changed", "comment"] }),
    visibility: Enum(LOG_VISIBILITIES),
    actor: Nullable(
      Type.Object({
        kind: Enum(["user", "api_key"] as const),
        id: UuidSchema,
        name: Type.String(),
      }),
    ),
    body: Type.Object({}, { additionalProperties: true, description: "Structured content of the entry" }),
    prevHash: Nullable(Type.String()),
    hash: Type.String({ description: "SHA-256 of the previous hash and this entry's canonical content" }),
  },
  {
    description:
      "An entry of an incident's main courante: append-only, timestamped, attributed and chained by hash.",
  },
);
export type LogEntry = Static<typeof LogEntrySchema>;

export const LogQuerySchema = Type.Object(
  {
    afterSeq: Type.Optional(Type.Integer({ minimum: 0, description: "Entries after this sequence number" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 200 })),
  },
  { additionalProperties: false },
);
export type LogQuery = Static<typeof LogQuerySchema>;

export const LogPageSchema = Type.Object(
  {
    items: Type.Array(LogEntrySchema),
    nextAfterSeq: Nullable(Type.Integer({ description: "Pass as afterSeq for the next page" })),
  },
  { description: "A page of an incident's main courante, oldest first, with where the next page starts." },
);

/** Why an entry no longer holds. */
export const LOG_BREAK_REASONS = [
  "content_altered",
  "chain_broken",
  "sequence_gap",
  /** Hashed under a key the service does not hold: rewritten by someone without the key. */
  "unknown_key",
  /** Hashed without a key, yet not among the entries the first checkpoint found written before the key. */
  "unkeyed",
  /** The entry at the anchored or attested head is not the one anchored or attested: the chain was rewritten. */
  "head_mismatch",
  /** Beyond the anchored head: written behind the database's back. */
  "beyond_head",
] as const;
export type LogBreakReason = (typeof LOG_BREAK_REASONS)[number];

const HeadSchema = Type.Object({ seq: Type.Integer(), hash: Type.String() });

export const LogVerificationSchema = Type.Object(
  {
    valid: Type.Boolean({
      description: "Every entry holds, and the table reaches the anchored and attested head",
    }),
    entries: Type.Integer({ description: "Entries checked" }),
    firstBroken: Nullable(
      Type.Object({
        seq: Type.Integer(),
        id: UuidSchema,
        reason: Enum(LOG_BREAK_REASONS),
      }),
    ),
    missing: Nullable(
      Type.Object(
        {
          fromSeq: Type.Integer(),
          toSeq: Type.Integer(),
          attestedBy: Enum(["anchor", "checkpoint"] as const),
        },
        {
          description:
            "Entries cut from the end: the anchor (moved at every append) or a signed checkpoint names a head the table no longer reaches",
        },
      ),
    ),
    anchor: Nullable(HeadSchema),
    checkpoint: Nullable(
      Type.Object({
        seq: Type.Integer({ description: "The latest signed checkpoint that attests this chain" }),
        issuedAt: DateTimeSchema,
        headSeq: Type.Integer(),
        authentic: Type.Boolean({ description: "Its signature holds and its stored head is the one signed" }),
      }),
    ),
    legacyEntries: Type.Integer({
      description:
        "Entries hashed before the chain was keyed, attested by the first checkpoint (SHA-256 only)",
    }),
  },
  {
    description:
      "The result of recomputing an incident's main-courante hash chain: whether it holds, and the first broken or missing entries if not.",
  },
);
export type LogVerification = Static<typeof LogVerificationSchema>;

export const TaskCreateSchema = Type.Object(
  {
    title: Text(500),
    ownerUserId: Type.Optional({ ...UuidSchema, description: "A member of the pole" }),
    dueAt: Type.Optional(DateTimeSchema),
  },
  {
    description: "A task to add to an incident, with an owner from the pole and a due time.",
    additionalProperties: false,
  },
);
export type TaskCreate = Static<typeof TaskCreateSchema>;

export const TaskParamsSchema = Type.Object(
  { id: UuidSchema, taskId: UuidSchema },
  { additionalProperties: false },
);

export const TaskSchema = Type.Object(
  {
    id: UuidSchema,
    incidentId: UuidSchema,
    title: Type.String(),
    owner: Nullable(UserRefSchema),
    dueAt: Nullable(DateTimeSchema),
    doneAt: Nullable(DateTimeSchema),
    createdAt: DateTimeSchema,
  },
  { description: "A task of an incident's handling, with its owner, due time and completion." },
);
export type Task = Static<typeof TaskSchema>;

export const TaskListSchema = Type.Object(
  { items: Type.Array(TaskSchema) },
  { description: "An incident's tasks." },
);
