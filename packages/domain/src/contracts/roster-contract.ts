import Type, { type Static } from "typebox";
import { MINUTES_PER_WEEK } from "../roster.ts";
import { DateTimeSchema, Nullable, UuidSchema } from "./common.ts";

const WeekMinute = (description: string, minimum: number, maximum: number) =>
  Type.Integer({ minimum, maximum, description });

export const OnCallPersonSchema = Type.Object(
  {
    id: UuidSchema,
    displayName: Type.String(),
    email: Type.String(),
    phone: Nullable(Type.String()),
    active: Type.Boolean(),
  },
  { description: "An analyst of the pole as the on-call rota names them." },
);
export type OnCallPerson = Static<typeof OnCallPersonSchema>;

export const OnCallSlotSchema = Type.Object(
  {
    id: UuidSchema,
    startMinute: Type.Integer({ description: "Minutes from Monday 00:00, region's zone" }),
    endMinute: Type.Integer({ description: "Minutes from Monday 00:00, region's zone (exclusive)" }),
    primary: OnCallPersonSchema,
    backup: Nullable(OnCallPersonSchema),
    note: Nullable(Type.String()),
    updatedAt: DateTimeSchema,
  },
  {
    description:
      "A slot of the pole's weekly on-call rota: its span in the week, the analyst on duty and the backup.",
  },
);
export type OnCallSlot = Static<typeof OnCallSlotSchema>;

const slotFields = {
  startMinute: WeekMinute(
    "First minute of the slot, from Monday 00:00 in the region's zone (0–10079)",
    0,
    MINUTES_PER_WEEK - 1,
  ),
  endMinute: WeekMinute(
    "Minute the slot ends (exclusive), from Monday 00:00 (1–10080; a slot does not cross Sunday midnight)",
    1,
    MINUTES_PER_WEEK,
  ),
  primaryUserId: { ...UuidSchema, description: "The analyst on duty: reminded of service levels" },
  backupUserId: Type.Optional(
    Nullable({ ...UuidSchema, description: "The backup analyst: alerted when a service level is missed" }),
  ),
  note: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
};

export const OnCallSlotCreateSchema = Type.Object(slotFields, {
  description: "A slot to add to the pole's weekly on-call rota.",
  additionalProperties: false,
});
export type OnCallSlotCreate = Static<typeof OnCallSlotCreateSchema>;

export const OnCallSlotPatchSchema = Type.Object(
  {
    startMinute: Type.Optional(slotFields.startMinute),
    endMinute: Type.Optional(slotFields.endMinute),
    primaryUserId: Type.Optional(slotFields.primaryUserId),
    backupUserId: slotFields.backupUserId,
    note: slotFields.note,
  },
  {
    description: "Changes to a slot of the on-call rota; only the fields sent change.",
    additionalProperties: false,
    minProperties: 1,
  },
);
export type OnCallSlotPatch = Static<typeof OnCallSlotPatchSchema>;

export const OnCallRotaSchema = Type.Object(
  {
    timeZone: Type.String({ description: "The zone the week's minutes are read in" }),
    slots: Type.Array(OnCallSlotSchema),
  },
  { description: "The pole's weekly on-call rota, its slots in the order of the week." },
);

const OnDutySchema = Nullable(OnCallPersonSchema);

export const OnCallNowSchema = Type.Object(
  {
    at: DateTimeSchema,
    timeZone: Type.String(),
    slot: Nullable(OnCallSlotSchema),
    primary: { ...OnDutySchema, description: "Who is reminded now; null: every active analyst is" },
    backup: { ...OnDutySchema, description: "Who is alerted of a miss now; null: every active analyst is" },
    nextChange: Nullable(
      Type.Object({
        at: DateTimeSchema,
        slot: Nullable(OnCallSlotSchema, { description: "The slot in force from then; null: none" }),
      }),
    ),
  },
  { description: "Who is on duty and who is the backup now, and when that changes next." },
);
export type OnCallNow = Static<typeof OnCallNowSchema>;
