import Type, { type Static } from "typebox";
import { CLOCK_KINDS, CLOCK_STATES } from "../clocks.ts";
import { CATEGORY_VALUES } from "../directory.ts";
import { TERMINAL_STATUSES } from "../lifecycle.ts";
import { RSIT_CLASS_VALUES } from "../rsit.ts";
import { SEVERITIES } from "../severity.ts";
import { DateTimeSchema, Enum, Nullable, PageQuerySchema, UuidSchema } from "./common.ts";
import {
  DECLARATION_CHANNELS,
  INCIDENT_STATUSES,
  type IncidentStatus,
  IncidentSummarySchema,
} from "./incident-contract.ts";

/** The statuses the queue shows: every one but closed, rejected and merged. */
export const OPEN_INCIDENT_STATUSES = INCIDENT_STATUSES.filter(
  (s) => !(TERMINAL_STATUSES as readonly string[]).includes(s),
) as Exclude<IncidentStatus, (typeof TERMINAL_STATUSES)[number]>[];
export type OpenIncidentStatus = (typeof OPEN_INCIDENT_STATUSES)[number];

const CHANNEL = `(?:${DECLARATION_CHANNELS.join("|")})`;

const BooleanFlag = (description: string) => Type.Optional(Type.Boolean({ description }));

export const QueueQuerySchema = Type.Object(
  {
    status: Type.Optional(Enum(OPEN_INCIDENT_STATUSES)),
    severity: Type.Optional(Enum(SEVERITIES)),
    territory: Type.Optional(
      Type.String({ minLength: 1, maxLength: 50, description: "Territory code of the establishment" }),
    ),
    category: Type.Optional(Enum(CATEGORY_VALUES, { description: "Category of the establishment" })),
    establishmentId: Type.Optional(UuidSchema),
    assigneeUserId: Type.Optional(UuidSchema),
    unassigned: BooleanFlag("Only incidents nobody has claimed (not with assigneeUserId)"),
    rsitClass: Type.Optional(Enum(RSIT_CLASS_VALUES)),
    channel: Type.Optional(
      Type.Array(
        Type.String({
          pattern: `^${CHANNEL}(?:,${CHANNEL})*$`,
          description: `How the declaration reached the pole: ${DECLARATION_CHANNELS.join(", ")}`,
        }),
        {
          minItems: 1,
          maxItems: DECLARATION_CHANNELS.length,
          description:
            "Only incidents declared through one of these channels: repeat it or separate with commas",
        },
      ),
    ),
    overdue: BooleanFlag(
      "Only incidents with a regulatory clock past its due time and not done, or not acknowledged within the service level",
    ),
    q: Type.Optional(
      Type.String({
        minLength: 3,
        maxLength: 200,
        description:
          "Text in the title or the reference, any case; at least 3 characters (found through trigrams)",
      }),
    ),
    ...PageQuerySchema,
  },
  { additionalProperties: false },
);
export type QueueQuery = Static<typeof QueueQuerySchema>;

export const QueueItemSchema = Type.Object(
  {
    ...IncidentSummarySchema.properties,
    establishment: Type.Object({
      id: UuidSchema,
      finess: Type.String(),
      name: Type.String(),
      territory: Type.String(),
      category: Enum(CATEGORY_VALUES),
    }),
    rsitClass: Enum(RSIT_CLASS_VALUES),
    assignee: Nullable(Type.Object({ id: UuidSchema, name: Type.String() })),
    crisisCell: Type.Boolean({ description: "Escalated to P1: the task force is mobilised" }),
    nextDeadlineAt: Nullable({
      ...DateTimeSchema,
      description: "The nearest service-level or regulatory deadline still open; the queue sorts on it",
    }),
    ackDueAt: Nullable({ ...DateTimeSchema, description: "Service level: to be acknowledged by then" }),
    acknowledgedAt: Nullable(DateTimeSchema),
    ackOverdue: Type.Boolean({ description: "Not acknowledged and the service level has passed" }),
    clocks: Type.Object({
      open: Type.Integer({ description: "Regulatory clocks not done yet" }),
      overdue: Type.Integer({ description: "Of which past their due time" }),
      next: Nullable(
        Type.Object({
          kind: Enum(CLOCK_KINDS),
          dueAt: DateTimeSchema,
          state: Enum(CLOCK_STATES),
        }),
      ),
    }),
  },
  {
    description:
      "An open incident as the analysts' queue shows it: severity, assignee, service level and regulatory deadlines.",
  },
);
export type QueueItem = Static<typeof QueueItemSchema>;

export const QueueCountsSchema = Type.Object(
  Object.fromEntries(OPEN_INCIDENT_STATUSES.map((s) => [s, Type.Integer({ minimum: 0 })])) as Record<
    OpenIncidentStatus,
    Type.TInteger
  >,
  { description: "Open incidents per status, for the same filters except status" },
);

export const QueuePageSchema = Type.Object(
  {
    items: Type.Array(QueueItemSchema),
    nextCursor: Nullable(Type.String()),
    counts: QueueCountsSchema,
    total: Type.Integer({ description: "Incidents matching every filter, status included" }),
  },
  {
    description:
      "A page of the analysts' queue, most urgent first, with the open incidents per status and the total matching.",
  },
);
export type QueuePage = Static<typeof QueuePageSchema>;

/**
 * The queue's live feed (GET /api/v1/queue/events, text/event-stream). Each event's `data` is the JSON
 * below; a client re-reads the queue (or the one incident) rather than patching it from the event.
 */
export const QUEUE_EVENTS = {
  declared: "incident.declared",
  changed: "incident.changed",
  /** Notifications may have been missed (the server lost its database feed): reload the queue. */
  resync: "queue.resync",
} as const;

export const QueueDeclaredEventSchema = Type.Object({
  id: UuidSchema,
  reference: Type.String(),
  severity: Enum(SEVERITIES),
  establishmentName: Type.String(),
});
export type QueueDeclaredEvent = Static<typeof QueueDeclaredEventSchema>;

export const QueueChangedEventSchema = Type.Object({ id: UuidSchema });
export type QueueChangedEvent = Static<typeof QueueChangedEventSchema>;
