import Type, { type Static } from "typebox";
import { CLOCK_KINDS } from "../clocks.ts";
import { SEVERITIES } from "../severity.ts";
import { DateTimeSchema, DaySchema, Enum, Nullable } from "./common.ts";
import { DECLARATION_CHANNELS, INCIDENT_STATUSES } from "./incident-contract.ts";

export const IncidentStatsQuerySchema = Type.Object(
  {
    from: Type.Optional({
      ...DaySchema,
      description: "First day, included; twelve months before `to` by default",
    }),
    to: Type.Optional({ ...DaySchema, description: "Last day, included; today by default" }),
  },
  { additionalProperties: false },
);
export type IncidentStatsQuery = Static<typeof IncidentStatsQuerySchema>;

const MedianSchema = Type.Object({
  medianSeconds: Nullable(Type.Number(), {
    description: "Median from the declaration, over the incidents of the period that reached the step",
  }),
  incidents: Type.Integer({ description: "How many incidents reached the step" }),
});

export const IncidentStatsSchema = Type.Object(
  {
    from: Type.String({ format: "date" }),
    to: Type.String({ format: "date" }),
    timeZone: Type.String({ description: "Months and days are the region's" }),
    total: Type.Integer({
      description: "Incidents declared in the period (merged duplicates and rejected ones excluded)",
    }),
    counts: Type.Array(
      Type.Object({
        month: Type.String({ pattern: "^\\d{4}-\\d{2}$" }),
        category: Type.String(),
        territory: Type.String(),
        rsitClass: Type.String(),
        severity: Enum(SEVERITIES),
        count: Type.Integer(),
      }),
      {
        description:
          "One row per month × establishment category × territory × RSIT class × severity: pivot at will",
      },
    ),
    byChannel: Type.Array(
      Type.Object({ channel: Enum(DECLARATION_CHANNELS), count: Type.Integer({ minimum: 0 }) }),
      {
        description:
          "Incidents declared in the period per channel (form, API, e-mail, phone), every channel listed, in that order",
      },
    ),
    durations: Type.Object({
      acknowledge: MedianSchema,
      contain: MedianSchema,
      close: MedianSchema,
    }),
    deadlines: Type.Object(
      {
        due: Type.Integer(),
        metOnTime: Type.Integer(),
        share: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
        byKind: Type.Array(
          Type.Object({ kind: Enum(CLOCK_KINDS), due: Type.Integer(), metOnTime: Type.Integer() }),
        ),
      },
      {
        description:
          "Regulatory clocks due in the period (already due, or done): the share done by their due time",
      },
    ),
    majorIncidents: Type.Array(
      Type.Object({
        reference: Type.String(),
        establishment: Type.String({ description: "Names appear for P1 incidents only" }),
        category: Type.String(),
        territory: Type.String(),
        status: Enum(INCIDENT_STATUSES),
        declaredAt: DateTimeSchema,
      }),
    ),
  },
  {
    description:
      "Incident statistics over a period: counts to pivot, median handling times, regulatory deadlines met and the major incidents.",
  },
);
export type IncidentStats = Static<typeof IncidentStatsSchema>;
