import Type, { type Static } from "typebox";
import { CLOCK_KINDS, CLOCK_STATES } from "../clocks.ts";
import { SEVERITIES } from "../severity.ts";
import { TLP_LABELS } from "../tlp.ts";
import { DateTimeSchema, Enum, Nullable, UuidSchema } from "./common.ts";
import { ClockViewSchema, DeclarantSchema, INCIDENT_STATUSES } from "./incident-contract.ts";

export const ClockParamsSchema = Type.Object(
  { id: UuidSchema, kind: Enum(CLOCK_KINDS) },
  { additionalProperties: false },
);

/**
 * What the NIS2 final-report clock records: the final report, or — while the incident is still open —
 * a progress report (NIS2 art. 23(4)(e)): the final one is then owed within a month of the end.
 */
export const REPORT_KINDS = ["final", "progress"] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** Recording that an obligation was met: when, to whom, under which reference. */
export const ClockRecordSchema = Type.Object(
  {
    doneAt: { ...DateTimeSchema, description: "When it was notified / declared / sent" },
    authority: Type.String({
      minLength: 1,
      maxLength: 200,
      description: "To whom: 'CERT Santé / portail de signalement', 'CNIL', 'ANSSI / CSIRT'…",
    }),
    reference: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "The reference the authority gave" }),
    ),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    lateReason: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description:
          "Required when doneAt is after the due time (GDPR art. 33(1): a late notification states why)",
      }),
    ),
    report: Type.Optional(
      Enum(REPORT_KINDS, {
        description:
          "NIS2 final report only: 'progress' records a progress report while the incident is still open " +
          "(the final report is then due one month after the incident ends); 'final' by default",
      }),
    ),
  },
  {
    description:
      "Recording that a regulatory obligation was met: when, to which authority, under which reference, and why late if it was.",
    additionalProperties: false,
  },
);
export type ClockRecord = Static<typeof ClockRecordSchema>;

/** One submission recorded on a clock (a progress report, then the final one; or a correction). */
export const ClockSubmissionSchema = Type.Object(
  {
    recordedAt: DateTimeSchema,
    doneAt: DateTimeSchema,
    report: Nullable(Enum(REPORT_KINDS)),
    authority: Type.String(),
    reference: Nullable(Type.String()),
    note: Nullable(Type.String()),
    lateReason: Nullable(Type.String()),
    recordedBy: Type.String(),
  },
  {
    description:
      "One submission recorded on a regulatory clock (a progress report, the final one, or a correction).",
  },
);

/** "What was notified to whom and when", for the regulator. */
export const NotificationExportSchema = Type.Object(
  {
    reference: Type.String(),
    title: Type.String(),
    tlp: Enum(TLP_LABELS),
    establishment: Type.Object({ name: Type.String(), finess: Type.String() }),
    severity: Enum(SEVERITIES),
    status: Enum(INCIDENT_STATUSES),
    declarant: DeclarantSchema,
    detectedAt: DateTimeSchema,
    declaredAt: DateTimeSchema,
    timeZone: Type.String({ description: "The region's zone, in which the printable page shows times" }),
    generatedAt: DateTimeSchema,
    notifications: Type.Array(
      Type.Object({
        kind: Enum(CLOCK_KINDS),
        obligation: Type.Object({
          label: Type.String(),
          basis: Type.String({ description: "Legal basis" }),
          deadline: Type.String({ description: "The deadline in words" }),
        }),
        startsAt: DateTimeSchema,
        dueAt: DateTimeSchema,
        provisional: Type.Boolean(),
        doneAt: Nullable(DateTimeSchema),
        authority: Nullable(Type.String()),
        reference: Nullable(Type.String()),
        note: Nullable(Type.String()),
        lateReason: Nullable(Type.String()),
        state: Enum(CLOCK_STATES),
        stateLabel: Type.String(),
        submissions: Type.Array(ClockSubmissionSchema),
      }),
    ),
  },
  {
    description:
      "What an incident notified to which authority and when, obligation by obligation, for the regulator.",
  },
);
export type NotificationExport = Static<typeof NotificationExportSchema>;

export const ClockRecordedSchema = ClockViewSchema;
