import Type, { type Static } from "typebox";
import { CLOCK_KINDS, CLOCK_STATES } from "../clocks.ts";
import { OBSERVABLE_TYPES } from "../observables.ts";
import { RSIT_CLASS_VALUES, RSIT_TYPE_VALUES } from "../rsit.ts";
import { SEVERITIES, SPREADS } from "../severity.ts";
import { TLP_LABELS } from "../tlp.ts";
import {
  DateTimeSchema,
  EmailSchema,
  Enum,
  Nullable,
  PageQuerySchema,
  PhoneSchema,
  UuidSchema,
} from "./common.ts";
import { IncidentWorkflowFields } from "./workflow-contract.ts";

export const AFFECTED_SERVICES = [
  "dpi",
  "email",
  "pacs",
  "laboratory",
  "pharmacy",
  "directory",
  "network",
  "telephony",
  "other",
] as const;
export type AffectedService = (typeof AFFECTED_SERVICES)[number];
export const AFFECTED_SERVICE_LABELS: Record<AffectedService, string> = {
  dpi: "Dossier patient (DPI)",
  email: "Messagerie",
  pacs: "Imagerie (PACS)",
  laboratory: "Laboratoire",
  pharmacy: "Pharmacie",
  directory: "Annuaire (AD)",
  network: "Réseau",
  telephony: "Téléphonie",
  other: "Autre",
};

export const INCIDENT_STATUSES = [
  "new",
  "acknowledged",
  "investigating",
  "containment",
  "recovery",
  "monitoring",
  "waiting_establishment",
  "waiting_third_party",
  "closed",
  "rejected",
  "merged",
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export const INCIDENT_STATUS_LABELS: Record<IncidentStatus, string> = {
  new: "Nouveau",
  acknowledged: "Pris en compte",
  investigating: "En investigation",
  containment: "Endiguement",
  recovery: "Remédiation",
  monitoring: "Surveillance",
  waiting_establishment: "En attente de l'établissement",
  waiting_third_party: "En attente d'un tiers",
  closed: "Clos",
  rejected: "Rejeté",
  merged: "Fusionné",
};

/**
 * How a declaration reached the pole: the establishment's web form, its API key, an e-mail (the
 * mailbox intake, or an analyst typing in what was mailed) or a phone call an analyst took.
 */
export const DECLARATION_CHANNELS = ["form", "api", "email", "phone"] as const;
export type DeclarationChannel = (typeof DECLARATION_CHANNELS)[number];
export const DECLARATION_CHANNEL_LABELS: Record<DeclarationChannel, string> = {
  form: "Formulaire",
  api: "API",
  email: "Courriel",
  phone: "Téléphone",
};

const YesNoUnknownSchema = Enum(["yes", "no", "unknown"] as const);

export const DeclarantSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: "Who declares" }),
    function: Type.Optional(
      Type.String({ maxLength: 200, description: "Their function (RSSI, DSI, cadre de garde…)" }),
    ),
    phone: { ...PhoneSchema, description: "A number reachable during the crisis" },
    email: Type.Optional({
      ...EmailSchema,
      description: "An address that works during the crisis (the establishment's mail may be down)",
    }),
  },
  {
    description: "The person who declares an incident, and how to reach them during the crisis.",
    additionalProperties: false,
  },
);

export const ObservableInputSchema = Type.Object(
  {
    type: Enum(OBSERVABLE_TYPES),
    value: Type.String({ minLength: 1, maxLength: 2048 }),
    comment: Type.Optional(Type.String({ maxLength: 500 })),
  },
  {
    description: "An observable (IOC) as declared: its type, value and an optional comment.",
    additionalProperties: false,
  },
);

/** What an establishment declares. One schema for the API, the worker and the web form. */
export const IncidentDeclarationSchema = Type.Object(
  {
    establishmentId: Type.Optional({
      ...UuidSchema,
      description: "Required when the declarant covers several establishments; implied otherwise",
    }),
    declarant: DeclarantSchema,
    detectedAt: { ...DateTimeSchema, description: "When the establishment became aware of the incident" },
    startedAt: Type.Optional({ ...DateTimeSchema, description: "When the incident started, if known" }),
    ongoing: Type.Boolean({ description: "Is the incident still ongoing?" }),
    title: Type.String({ minLength: 3, maxLength: 200 }),
    description: Type.String({ minLength: 1, maxLength: 20000 }),
    rsitClass: Enum(RSIT_CLASS_VALUES, {
      description: "RSIT class; 'other' with type 'undetermined' at intake if unknown",
    }),
    rsitType: Enum(RSIT_TYPE_VALUES, { description: "RSIT type, belonging to rsitClass" }),
    suspectedMalicious: Type.Optional(YesNoUnknownSchema),
    affectedServices: Type.Optional(Type.Array(Enum(AFFECTED_SERVICES), { uniqueItems: true, maxItems: 9 })),
    affectedServicesOther: Type.Optional(Type.String({ maxLength: 500 })),
    impactGrade: Type.Integer({
      minimum: 0,
      maximum: 5,
      description: "Patient-care impact grade, 0 (none) to 5 (risk to life)",
    }),
    spread: Type.Optional(Enum(SPREADS)),
    personalData: Type.Optional(
      Type.Object(
        {
          breach: YesNoUnknownSchema,
          approxPeople: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000000 })),
        },
        { additionalProperties: false },
      ),
    ),
    measuresTaken: Type.Optional(Type.String({ maxLength: 10000 })),
    support: Type.Optional(
      Type.Object(
        { requested: Type.Boolean(), details: Type.Optional(Type.String({ maxLength: 5000 })) },
        { additionalProperties: false },
      ),
    ),
    nationalPortal: Type.Optional(
      Type.Object(
        {
          declared: Type.Boolean(),
          reference: Type.Optional(Type.String({ maxLength: 100 })),
          declaredAt: Type.Optional(DateTimeSchema),
        },
        { additionalProperties: false },
      ),
    ),
    complaintFiled: Type.Optional(Type.Boolean()),
    observables: Type.Optional(Type.Array(ObservableInputSchema, { maxItems: 500 })),
    tlp: Type.Optional(Enum(TLP_LABELS, { description: "TLP of what is declared; AMBER when absent" })),
    channel: Type.Optional(
      Enum(DECLARATION_CHANNELS, {
        description:
          "How the declaration reached the pole. Only an analyst declaring on behalf of an establishment " +
          "chooses it: 'phone' (the default) or 'email'. A declaration by an API key is 'api', by an RSSI 'form'; " +
          "they may omit it or send that value, any other is refused (400)",
      }),
    ),
  },
  {
    description:
      "An incident as an establishment declares it: what happened and when, its RSIT classification, impact on care, data breach, support requested and observables.",
    additionalProperties: false,
  },
);
export type IncidentDeclaration = Static<typeof IncidentDeclarationSchema>;

export const ClockViewSchema = Type.Object(
  {
    kind: Enum(CLOCK_KINDS),
    label: Type.String(),
    deadline: Type.String({ description: "The legal deadline in words: '72 h', 'sans délai'…" }),
    basis: Type.String({ description: "Legal basis" }),
    startsAt: DateTimeSchema,
    dueAt: DateTimeSchema,
    doneAt: Nullable(DateTimeSchema),
    provisional: Type.Boolean(),
    state: Enum(CLOCK_STATES),
    reference: Type.Optional(Nullable(Type.String(), { description: "The reference the authority gave" })),
    authority: Type.Optional(Nullable(Type.String(), { description: "To whom it was notified" })),
    note: Type.Optional(Nullable(Type.String())),
    lateReason: Type.Optional(Nullable(Type.String(), { description: "Why it was done after the due time" })),
  },
  {
    description:
      "A regulatory clock of an incident (national portal, GDPR, NIS2): its legal basis, deadline, due and done times, and state.",
  },
);
export type ClockView = Static<typeof ClockViewSchema>;

export const EstablishmentRefSchema = Type.Object(
  {
    id: UuidSchema,
    finess: Type.String(),
    name: Type.String(),
    territory: Type.String(),
  },
  { description: "The establishment an incident belongs to, in brief." },
);

export const IncidentSummarySchema = Type.Object(
  {
    id: UuidSchema,
    reference: Type.String({ examples: ["REU-2026-0001"] }),
    status: Enum(INCIDENT_STATUSES),
    severity: Enum(SEVERITIES),
    tlp: Enum(TLP_LABELS),
    title: Type.String(),
    impactGrade: Type.Integer(),
    ongoing: Type.Boolean(),
    establishment: EstablishmentRefSchema,
    detectedAt: DateTimeSchema,
    declaredAt: DateTimeSchema,
    channel: Enum(DECLARATION_CHANNELS, { description: "How the declaration reached the pole" }),
  },
  { description: "An incident in brief, as lists show it." },
);
export type IncidentSummary = Static<typeof IncidentSummarySchema>;

export const ObservableViewSchema = Type.Object(
  {
    type: Enum(OBSERVABLE_TYPES),
    value: Type.String(),
    normalized: Type.String(),
    comment: Nullable(Type.String()),
  },
  { description: "An observable (IOC) as recorded: its type, value as given, normalised form and comment." },
);

export const IncidentSchema = Type.Object(
  {
    ...IncidentSummarySchema.properties,
    severitySuggested: Enum(SEVERITIES),
    severityReasons: Type.Array(Type.String()),
    declaredBy: Type.Object({ kind: Enum(["user", "api_key"] as const), name: Type.String() }),
    declarant: DeclarantSchema,
    startedAt: Nullable(DateTimeSchema),
    description: Type.String(),
    rsitClass: Enum(RSIT_CLASS_VALUES),
    rsitType: Enum(RSIT_TYPE_VALUES),
    suspectedMalicious: YesNoUnknownSchema,
    affectedServices: Type.Array(Enum(AFFECTED_SERVICES)),
    affectedServicesOther: Nullable(Type.String()),
    spread: Enum(SPREADS),
    personalData: Type.Object({
      breach: YesNoUnknownSchema,
      approxPeople: Nullable(Type.Integer()),
    }),
    measuresTaken: Nullable(Type.String()),
    support: Type.Object({ requested: Type.Boolean(), details: Nullable(Type.String()) }),
    nationalPortal: Type.Object({
      declared: Type.Boolean(),
      reference: Nullable(Type.String()),
      declaredAt: Nullable(DateTimeSchema),
    }),
    complaintFiled: Type.Boolean(),
    observables: Type.Array(ObservableViewSchema),
    clocks: Type.Array(ClockViewSchema),
    ackDueAt: Nullable({
      ...DateTimeSchema,
      description: "The pole's service level: the incident is to be acknowledged by then (as in the queue)",
    }),
    acknowledgedAt: Nullable({ ...DateTimeSchema, description: "When the pole first took it in hand" }),
    ...IncidentWorkflowFields,
  },
  {
    description:
      "An incident in full: its declaration, qualification, regulatory clocks, observables and the pole's handling, with the actions the caller may take next.",
  },
);
export type Incident = Static<typeof IncidentSchema>;

export const IncidentListQuerySchema = Type.Object(
  {
    status: Type.Optional(Enum(INCIDENT_STATUSES)),
    severity: Type.Optional(Enum(SEVERITIES)),
    establishmentId: Type.Optional(UuidSchema),
    declaredFrom: Type.Optional(DateTimeSchema),
    declaredTo: Type.Optional(DateTimeSchema),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "Text in the title or the reference" }),
    ),
    ...PageQuerySchema,
  },
  { additionalProperties: false },
);
export type IncidentListQuery = Static<typeof IncidentListQuerySchema>;

export const IncidentPageSchema = Type.Object(
  {
    items: Type.Array(IncidentSummarySchema),
    total: Type.Integer({ description: "Incidents matching the filters within the caller's scope" }),
    nextCursor: Nullable(Type.String()),
  },
  {
    description:
      "A page of incidents, newest first, with the total matching and the cursor of the next page.",
  },
);
