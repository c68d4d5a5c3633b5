import Type, { type Static } from "typebox";
import { DateTimeSchema, Nullable } from "./common.ts";

const Count = (description: string) => Type.Integer({ minimum: 0, description });

/** The administrator's first steps: what the region has of each thing its first day needs. */
export const SetupOverviewSchema = Type.Object(
  {
    territories: Count("Territories in use (not retired)"),
    placeMappings: Count("Départements and communes mapped to a territory, for the registry import"),
    categoryMappings: Count("FINESS categories mapped to the service's categories"),
    establishments: Count("Active establishments"),
    lastImportAt: Nullable(DateTimeSchema, { description: "When a registry import was last applied" }),
    analysts: Count("Active analysts of the pole"),
    arsAgents: Count("Active ARS accounts"),
    establishmentsWithRssi: Count(
      "Active establishments with an active RSSI account (their own or their GHT's)",
    ),
    pendingInvitations: Count("Invitations sent, neither accepted, cancelled nor expired"),
    onCallSlots: Count("Slots of the weekly on-call rota"),
    onCallMinutes: Count("Minutes of the week (of 10,080) someone is on duty"),
  },
  {
    description:
      "How many of each thing the region's first day needs it has (territories, mappings, establishments, accounts, on-call rota), to guide the administrator's setup.",
  },
);
export type SetupOverview = Static<typeof SetupOverviewSchema>;
