import Type, { type Static } from "typebox";
import { CATEGORY_VALUES } from "../directory.ts";
import {
  EXERCISE_KINDS,
  EXERCISE_LEVELS,
  FINDING_POLARITIES,
  FINDING_THEMES,
  IMPROVEMENT_ACTION_STATUSES,
  PARTICIPATION_ACTIONS,
  PARTICIPATION_STATUSES,
  RETEX_PHASES,
  RETEX_SHARE_TLPS,
} from "../exercises.ts";
import { DateTimeSchema, DaySchema, Enum, Nullable, PageQuerySchema, Text, UuidSchema } from "./common.ts";

const YearSchema = Type.Integer({ minimum: 2000, maximum: 2100, description: "Calendar year in the region" });

export const ParticipationItemParamsSchema = Type.Object(
  { id: UuidSchema, itemId: UuidSchema },
  { additionalProperties: false },
);

const exerciseFields = {
  title: Text(200),
  level: Enum(EXERCISE_LEVELS),
  scenario: Text(5000, "What the exercise simulates"),
  objectives: Type.Array(Text(500), { maxItems: 20, description: "What the exercise is meant to test" }),
  plannedOn: DaySchema,
  participants: Type.String({
    maxLength: 2000,
    description: "Who takes part: services, functions, partners (free text)",
  }),
  organiser: Text(200, "Who runs the exercise (a person, a service, the ARS)"),
};

export const ExerciseCreateSchema = Type.Object(
  {
    kind: Enum(EXERCISE_KINDS),
    ...exerciseFields,
    establishmentIds: Type.Array(UuidSchema, {
      minItems: 1,
      maxItems: 5000,
      uniqueItems: true,
      description:
        "Participating establishments. An RSSI names establishments of their scope (several: an exercise " +
        "pooled by the GHT, which counts for each); a regional exercise is created by the ARS or the pole.",
    }),
  },
  {
    description:
      "An exercise to plan for one or several establishments: kind, level, scenario, planned day and organiser.",
    additionalProperties: false,
  },
);
export type ExerciseCreate = Static<typeof ExerciseCreateSchema>;

export const ExercisePatchSchema = Type.Object(
  {
    title: Type.Optional(exerciseFields.title),
    level: Type.Optional(exerciseFields.level),
    scenario: Type.Optional(exerciseFields.scenario),
    objectives: Type.Optional(exerciseFields.objectives),
    plannedOn: Type.Optional(exerciseFields.plannedOn),
    participants: Type.Optional(exerciseFields.participants),
    organiser: Type.Optional(exerciseFields.organiser),
  },
  {
    description: "Changes to a planned exercise; only the fields sent change.",
    additionalProperties: false,
    minProperties: 1,
  },
);
export type ExercisePatch = Static<typeof ExercisePatchSchema>;

export const ExerciseParticipantParamsSchema = Type.Object(
  { id: UuidSchema, participationId: UuidSchema },
  { additionalProperties: false },
);

export const ExerciseParticipantsAddSchema = Type.Object(
  {
    establishmentIds: Type.Array(UuidSchema, {
      minItems: 1,
      maxItems: 5000,
      uniqueItems: true,
      description:
        "Establishments joining the exercise (those already taking part are left as they are). An RSSI adds " +
        "establishments of their scope only; larger selections are sent in several requests.",
    }),
  },
  { description: "Establishments to add to an exercise.", additionalProperties: false },
);
export type ExerciseParticipantsAdd = Static<typeof ExerciseParticipantsAddSchema>;

export const ExerciseHoldSchema = Type.Object(
  { heldOn: { ...DaySchema, description: "Day the exercise took place (not in the future)" } },
  { description: "The day an exercise was held.", additionalProperties: false },
);
export const ExerciseCancelSchema = Type.Object(
  { reason: Text(1000, "Why the exercise is cancelled") },
  { description: "Why a planned exercise is cancelled.", additionalProperties: false },
);

export const ParticipationSummarySchema = Type.Object(
  {
    id: UuidSchema,
    establishmentId: UuidSchema,
    establishmentName: Type.String(),
    category: Type.String(),
    territory: Type.String(),
    status: Enum(PARTICIPATION_STATUSES),
    actionsOpen: Type.Integer(),
    actionsTotal: Type.Integer(),
  },
  {
    description:
      "One establishment's participation in an exercise, in brief: its status and improvement actions.",
  },
);
export type ParticipationSummary = Static<typeof ParticipationSummarySchema>;

export const ExerciseSchema = Type.Object(
  {
    id: UuidSchema,
    kind: Enum(EXERCISE_KINDS),
    level: Enum(EXERCISE_LEVELS),
    title: Type.String(),
    scenario: Type.String(),
    objectives: Type.Array(Type.String()),
    plannedOn: DaySchema,
    heldOn: Nullable(DaySchema),
    participants: Type.String(),
    organiser: Type.String(),
    status: Type.Union([Type.Literal("planned"), Type.Literal("held"), Type.Literal("cancelled")]),
    cancelReason: Nullable(Type.String()),
    pooled: Type.Boolean({ description: "More than one establishment takes part: it counts for each" }),
    participantCount: Type.Integer({ description: "Establishments taking part (all of them, whoever asks)" }),
    participations: Type.Array(ParticipationSummarySchema, {
      description: "The participations the caller may see: an RSSI sees their establishments' only",
    }),
    createdAt: DateTimeSchema,
  },
  {
    description:
      "A continuity or crisis exercise: its kind, level, scenario, days and status, with the participations the caller may see.",
  },
);
export type Exercise = Static<typeof ExerciseSchema>;

export const ExerciseListQuerySchema = Type.Object(
  {
    year: Type.Optional({ ...YearSchema, description: "Exercises planned or held in this year" }),
    kind: Type.Optional(Enum(EXERCISE_KINDS)),
    establishmentId: Type.Optional(UuidSchema),
    ...PageQuerySchema,
  },
  { additionalProperties: false },
);
export type ExerciseListQuery = Static<typeof ExerciseListQuerySchema>;

export const ExercisePageSchema = Type.Object(
  {
    items: Type.Array(ExerciseSchema),
    nextCursor: Nullable(Type.String()),
  },
  { description: "A page of exercises, newest planned first, with the cursor of the next page." },
);

export const FindingCreateSchema = Type.Object(
  {
    phase: Enum(RETEX_PHASES),
    theme: Enum(FINDING_THEMES),
    polarity: Enum(FINDING_POLARITIES),
    text: Text(2000),
  },
  {
    description:
      "A finding to add to a RETEX: its phase, theme, whether positive or negative, and what was seen.",
    additionalProperties: false,
  },
);
export type FindingCreate = Static<typeof FindingCreateSchema>;

export const FindingSchema = Type.Object(
  {
    id: UuidSchema,
    phase: Enum(RETEX_PHASES),
    theme: Enum(FINDING_THEMES),
    polarity: Enum(FINDING_POLARITIES),
    text: Type.String(),
    createdAt: DateTimeSchema,
  },
  { description: "A finding of a RETEX: its phase, theme, whether positive or negative, and what was seen." },
);

export const ActionCreateSchema = Type.Object(
  {
    title: Text(500),
    owner: Text(200, "Who carries the action (a name or a function)"),
    dueOn: DaySchema,
    findingId: Type.Optional(UuidSchema),
  },
  {
    description:
      "An improvement action to add to a participation: what, who carries it, its due day and the finding it answers.",
    additionalProperties: false,
  },
);
export type ActionCreate = Static<typeof ActionCreateSchema>;

export const ActionPatchSchema = Type.Object(
  {
    status: Type.Optional(Enum(IMPROVEMENT_ACTION_STATUSES)),
    owner: Type.Optional(Text(200)),
    dueOn: Type.Optional(DaySchema),
  },
  {
    description: "Follow-up of an improvement action (status, owner, due day); only the fields sent change.",
    additionalProperties: false,
    minProperties: 1,
  },
);
export type ActionPatch = Static<typeof ActionPatchSchema>;

export const ActionSchema = Type.Object(
  {
    id: UuidSchema,
    findingId: Nullable(UuidSchema),
    title: Type.String(),
    owner: Type.String(),
    dueOn: DaySchema,
    status: Enum(IMPROVEMENT_ACTION_STATUSES),
    closedAt: Nullable(DateTimeSchema),
  },
  { description: "An improvement action decided after an exercise, followed to closure." },
);

export const RetexPutSchema = Type.Object(
  {
    hotSummary: Type.Optional(Type.String({ maxLength: 10000, description: "Hot debrief, right after" })),
    hotOn: Type.Optional(DaySchema),
    coldSummary: Type.Optional(Type.String({ maxLength: 10000, description: "Cold RETEX, with hindsight" })),
    coldOn: Type.Optional(DaySchema),
  },
  {
    description: "A participation's hot and cold RETEX summaries, with their days.",
    additionalProperties: false,
  },
);
export type RetexPut = Static<typeof RetexPutSchema>;

export const RetexReturnSchema = Type.Object(
  { comment: Text(2000, "What the establishment should complete") },
  {
    description: "The ARS's comment sending a submitted RETEX back to the establishment.",
    additionalProperties: false,
  },
);
export const RetexShareSchema = Type.Object(
  {
    shared: Type.Boolean({ description: "false withdraws it from the network" }),
    tlp: Type.Optional(Enum(RETEX_SHARE_TLPS)),
    named: Type.Optional(
      Type.Boolean({
        default: false,
        description: "The establishment agrees to be named; anonymised otherwise",
      }),
    ),
  },
  {
    description:
      "Whether a validated RETEX is shared with the network, under which TLP, and whether the establishment is named.",
    additionalProperties: false,
  },
);
export type RetexShare = Static<typeof RetexShareSchema>;

export const ParticipationSchema = Type.Object(
  {
    id: UuidSchema,
    exercise: Type.Object({
      id: UuidSchema,
      kind: Enum(EXERCISE_KINDS),
      level: Enum(EXERCISE_LEVELS),
      title: Type.String(),
      plannedOn: DaySchema,
      heldOn: Nullable(DaySchema),
      pooled: Type.Boolean(),
    }),
    establishmentId: UuidSchema,
    establishmentName: Type.String(),
    status: Enum(PARTICIPATION_STATUSES),
    allowedActions: Type.Array(Enum(PARTICIPATION_ACTIONS)),
    retex: Type.Object({
      hotSummary: Nullable(Type.String()),
      hotOn: Nullable(DaySchema),
      coldSummary: Nullable(Type.String()),
      coldOn: Nullable(DaySchema),
      submittedAt: Nullable(DateTimeSchema),
      validatedAt: Nullable(DateTimeSchema),
      returnComment: Nullable(Type.String()),
      shared: Type.Boolean(),
      shareTlp: Nullable(Enum(RETEX_SHARE_TLPS)),
      shareNamed: Type.Boolean(),
    }),
    findings: Type.Array(FindingSchema),
    actions: Type.Array(ActionSchema),
  },
  {
    description:
      "One establishment's part in an exercise: its status, RETEX, findings and improvement actions.",
  },
);
export type Participation = Static<typeof ParticipationSchema>;

export const SharedRetexQuerySchema = Type.Object(
  {
    year: Type.Optional(YearSchema),
    theme: Type.Optional({
      ...Enum(FINDING_THEMES),
      description: "Only RETEX with at least one finding of this theme",
    }),
    category: Type.Optional(Enum(CATEGORY_VALUES)),
    territory: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: "Territory code" })),
    sharedSince: Type.Optional({
      ...DateTimeSchema,
      description: "Only RETEX shared after this instant (what is new since a visit)",
    }),
    ...PageQuerySchema,
  },
  { additionalProperties: false },
);
export type SharedRetexQuery = Static<typeof SharedRetexQuerySchema>;
export const SharedRetexPageSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        id: UuidSchema,
        tlp: Enum(RETEX_SHARE_TLPS),
        establishment: Nullable(Type.String(), {
          description: "Named only when the establishment agreed; null when anonymised",
        }),
        category: Type.String(),
        territory: Type.String(),
        kind: Enum(EXERCISE_KINDS),
        level: Enum(EXERCISE_LEVELS),
        heldOn: DaySchema,
        scenario: Type.String(),
        hotSummary: Nullable(Type.String()),
        coldSummary: Nullable(Type.String()),
        sharedAt: DateTimeSchema,
        findings: Type.Array(Type.Omit(FindingSchema, ["id", "createdAt"])),
      }),
    ),
    nextCursor: Nullable(Type.String()),
  },
  {
    description:
      "A page of RETEX shared with the network, newest first, anonymised unless the establishment agreed to be named.",
  },
);
export type SharedRetexPage = Static<typeof SharedRetexPageSchema>;

export const YearQuerySchema = Type.Object(
  { year: Type.Optional({ ...YearSchema, description: "The current year by default" }) },
  { additionalProperties: false },
);
export type YearQuery = Static<typeof YearQuerySchema>;

export const RecurringFindingsSchema = Type.Object(
  {
    year: Type.Integer(),
    retexCount: Type.Integer({ description: "RETEX submitted for exercises held in the year" }),
    themes: Type.Array(
      Type.Object({
        theme: Enum(FINDING_THEMES),
        negative: Type.Integer({ description: "Negative findings of the theme" }),
        positive: Type.Integer(),
        retex: Type.Integer({ description: "RETEX with at least one negative finding of the theme" }),
      }),
      { description: "Most negative findings first" },
    ),
  },
  { description: "The findings recurring across the region's RETEX of a year, counted per theme." },
);

const CountsSchema = {
  subject: Type.Integer({ description: "Establishments subject to the obligation in the year" }),
  planned: Type.Integer({
    description: "Subject establishments with an exercise planned or held in the year",
  }),
  held: Type.Integer({ description: "Subject establishments with at least one exercise held in the year" }),
  retexSubmitted: Type.Integer({ description: "Subject establishments with a RETEX submitted for the year" }),
  actionsTotal: Type.Integer({ description: "Improvement actions of the year's exercises" }),
  actionsClosed: Type.Integer(),
  rate: Nullable(Type.Number({ minimum: 0, maximum: 1 }), {
    description: "held ÷ subject; null when none is subject",
  }),
};

export const CompletionSchema = Type.Object(
  {
    year: Type.Integer(),
    total: Type.Object(CountsSchema),
    rows: Type.Array(
      Type.Object({
        territory: Type.String(),
        territoryName: Type.String(),
        category: Type.String(),
        ...CountsSchema,
      }),
      { description: "One row per territory × category with at least one subject establishment" },
    ),
    trend: Type.Array(
      Type.Object({
        year: Type.Integer(),
        subject: Type.Integer(),
        held: Type.Integer(),
        rate: Nullable(Type.Number()),
      }),
      { description: "The four years before, then this one" },
    ),
  },
  {
    description:
      "The yearly exercise completion per territory and category, its total, and its trend over the years.",
  },
);
export type Completion = Static<typeof CompletionSchema>;

export const LATE_SORTS = ["name", "territory", "category"] as const;
export type LateSort = (typeof LATE_SORTS)[number];

export const LateQuerySchema = Type.Object(
  {
    year: Type.Optional(YearSchema),
    territory: Type.Optional(Type.String({ maxLength: 50 })),
    category: Type.Optional(Enum(CATEGORY_VALUES)),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: "Part of the name or the FINESS number" }),
    ),
    sort: Type.Optional({
      ...Enum(LATE_SORTS),
      description: "Order of the list: by name (default), territory then name, category then name",
    }),
    ...PageQuerySchema,
  },
  { additionalProperties: false },
);
export type LateQuery = Static<typeof LateQuerySchema>;

export const LatePageSchema = Type.Object(
  {
    year: Type.Integer(),
    total: Type.Integer({ description: "Subject establishments without a held exercise in the year" }),
    items: Type.Array(
      Type.Object({
        establishmentId: UuidSchema,
        finess: Type.String(),
        name: Type.String(),
        category: Type.String(),
        territory: Type.String(),
        planned: Type.Boolean({ description: "An exercise is planned for the year" }),
        rssiName: Nullable(Type.String()),
        rssiEmail: Nullable(Type.String()),
        rssiPhone: Nullable(Type.String()),
        rssiFromAccount: Type.Boolean({
          description:
            "The registry names no RSSI: the contact is an active RSSI account of the establishment",
        }),
      }),
    ),
    nextCursor: Nullable(Type.String()),
  },
  {
    description:
      "A page of establishments subject to the yearly exercise without one held in the year, with their RSSI's contact.",
  },
);
export type LatePage = Static<typeof LatePageSchema>;
