import Type, { type Static } from "typebox";
import {
  BULLETIN_ANSWERS,
  BULLETIN_KINDS,
  BULLETIN_SEVERITIES,
  BULLETIN_STATUSES,
  DELIVERY_STATUSES,
  RECIPIENT_ROLES,
} from "../bulletins.ts";
import { CATEGORY_VALUES } from "../directory.ts";
import { TLP_LABELS } from "../tlp.ts";
import { DateTimeSchema, Enum, Nullable, Text, UuidSchema } from "./common.ts";
import { ObservableInputSchema, ObservableViewSchema } from "./incident-contract.ts";

export const AudienceSchema = Type.Object(
  {
    all: Type.Optional(Type.Boolean({ description: "Every active establishment of the region" })),
    territories: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 50 }), {
        maxItems: 50,
        description: "Territory codes",
      }),
    ),
    categories: Type.Optional(Type.Array(Enum(CATEGORY_VALUES), { maxItems: 50 })),
    ghtIds: Type.Optional(Type.Array(UuidSchema, { maxItems: 50 })),
    products: Type.Optional(
      Type.Array(
        Type.Object(
          {
            vendor: Type.String({ minLength: 1, maxLength: 200 }),
            product: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        {
          maxItems: 50,
          description: "Establishments that declared this supplier (and product), without case",
        },
      ),
    ),
    establishmentIds: Type.Optional(
      Type.Array(UuidSchema, { maxItems: 1000, description: "Named establishments" }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "The union of every criterion. Under TLP:AMBER+STRICT and TLP:RED only establishmentIds is allowed.",
  },
);
export type AudienceInput = Static<typeof AudienceSchema>;

export const AffectedProductSchema = Type.Object(
  {
    vendor: Type.String({ minLength: 1, maxLength: 200 }),
    product: Type.Optional(Type.String({ maxLength: 200 })),
    versions: Type.Optional(Type.String({ maxLength: 500, description: "Affected versions, in words" })),
  },
  {
    description: "A product a bulletin concerns: its vendor, name and affected versions.",
    additionalProperties: false,
  },
);

/** The content of a bulletin, shaped like CERT-FR's alerts and advisories. */
const contentFields = {
  title: Text(300, "Title"),
  summary: Text(20000, "Summary"),
  risks: Type.Array(Type.String({ minLength: 1, maxLength: 300 }), {
    maxItems: 20,
    description: "Risks, e.g. 'Exécution de code arbitraire à distance'",
  }),
  affectedSystems: Type.String({ maxLength: 10000, description: "Affected systems, in words" }),
  products: Type.Array(AffectedProductSchema, { maxItems: 100, description: "Affected products" }),
  recommendations: Type.String({ maxLength: 20000, description: "Recommended actions" }),
  cves: Type.Array(Type.String({ pattern: "^CVE-\\d{4}-\\d{4,}$" }), { maxItems: 200 }),
  links: Type.Array(Type.String({ format: "uri", maxLength: 2000, pattern: "^https?://" }), { maxItems: 50 }),
  observables: Type.Array(ObservableInputSchema, { maxItems: 500 }),
  severity: Enum(BULLETIN_SEVERITIES),
};

export const BulletinDraftSchema = Type.Object(
  {
    kind: Enum(BULLETIN_KINDS),
    tlp: Enum(TLP_LABELS, { description: "TLP 2.0 label; fixed once published" }),
    audience: AudienceSchema,
    ...contentFields,
  },
  {
    description: "A draft alert bulletin: its kind, TLP, audience and content.",
    additionalProperties: false,
  },
);
export type BulletinDraft = Static<typeof BulletinDraftSchema>;

/** A revision of a published bulletin: new content and what changed. Kind, TLP and audience stay. */
export const BulletinRevisionInputSchema = Type.Object(
  { ...contentFields, changes: Text(2000, "What changed, for the recipients") },
  {
    description: "A revision of a published bulletin: the new content and what changed.",
    additionalProperties: false,
  },
);
export type BulletinRevisionInput = Static<typeof BulletinRevisionInputSchema>;

export const AudiencePreviewInputSchema = Type.Object(
  { tlp: Enum(TLP_LABELS), audience: AudienceSchema },
  {
    description: "A TLP and an audience whose recipients to count before publishing.",
    additionalProperties: false,
  },
);
export type AudiencePreviewInput = Static<typeof AudiencePreviewInputSchema>;

export const AudiencePreviewSchema = Type.Object(
  {
    establishments: Type.Integer({ description: "Establishments reached" }),
    people: Type.Integer({ description: "Distinct recipients (by e-mail address)" }),
    emailed: Type.Integer({ description: "Of them, how many get an e-mail (none under TLP:RED)" }),
    withoutRecipient: Type.Integer({ description: "Establishments reached that have nobody to receive it" }),
  },
  {
    description:
      "How many establishments and people an audience reaches, and how many of them get an e-mail.",
  },
);
export type AudiencePreview = Static<typeof AudiencePreviewSchema>;

export const BulletinRevisionSchema = Type.Object(
  {
    revision: Type.Integer(),
    publishedAt: DateTimeSchema,
    publishedBy: Type.String(),
    changes: Type.String(),
    changedFields: Type.Array(Type.String()),
  },
  { description: "A published revision of a bulletin: when, by whom and what changed." },
);

export const BulletinSummarySchema = Type.Object(
  {
    id: UuidSchema,
    reference: Nullable(Type.String({ description: "Given at publication: REU-2026-ALE-003" })),
    kind: Enum(BULLETIN_KINDS),
    status: Enum(BULLETIN_STATUSES),
    title: Type.String(),
    severity: Enum(BULLETIN_SEVERITIES),
    tlp: Enum(TLP_LABELS),
    revision: Type.Integer({ description: "1 at publication, +1 per revision" }),
    paused: Type.Boolean({ description: "Fan-out paused: nothing more is sent until resumed" }),
    publishedAt: Nullable(DateTimeSchema),
    updatedAt: DateTimeSchema,
    myAnswer: Type.Optional(Nullable(Enum(BULLETIN_ANSWERS))),
  },
  { description: "An alert bulletin in brief, as lists show it, with the caller's answer for an RSSI." },
);
export type BulletinSummary = Static<typeof BulletinSummarySchema>;

export const BulletinSchema = Type.Object(
  {
    ...BulletinSummarySchema.properties,
    ...contentFields,
    observables: Type.Array(ObservableViewSchema),
    audience: AudienceSchema,
    sourceIncidentId: Nullable(UuidSchema),
    createdAt: DateTimeSchema,
    revisions: Type.Array(BulletinRevisionSchema),
  },
  {
    description:
      "An alert bulletin in full, shaped like CERT-FR's alerts and advisories, with its audience and revisions.",
  },
);
export type Bulletin = Static<typeof BulletinSchema>;

export const BulletinListQuerySchema = Type.Object(
  {
    status: Type.Optional(Enum(BULLETIN_STATUSES)),
    kind: Type.Optional(Enum(BULLETIN_KINDS)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: "nextCursor of the previous page" })),
  },
  { additionalProperties: false },
);
export type BulletinListQuery = Static<typeof BulletinListQuerySchema>;

export const BulletinListSchema = Type.Object(
  {
    items: Type.Array(BulletinSummarySchema),
    nextCursor: Nullable(Type.String()),
  },
  { description: "A page of bulletins, newest first, with the cursor of the next page." },
);
export type BulletinList = Static<typeof BulletinListSchema>;

export const PublishResultSchema = Type.Object(
  {
    bulletin: BulletinSchema,
    recipients: Type.Integer(),
    deliveries: Type.Integer({ description: "E-mails queued (0 under TLP:RED)" }),
  },
  {
    description: "A bulletin just published or revised, with its number of recipients and of e-mails queued.",
  },
);
export type PublishResult = Static<typeof PublishResultSchema>;

export const AnswerInputSchema = Type.Object(
  { answer: Enum(BULLETIN_ANSWERS) },
  {
    description: "A recipient's answer to a bulletin: received, concerned, not concerned or fixed.",
    additionalProperties: false,
  },
);
export type AnswerInput = Static<typeof AnswerInputSchema>;

export const AnswerResultSchema = Type.Object(
  {
    answer: Enum(BULLETIN_ANSWERS),
    answeredAt: DateTimeSchema,
    recipients: Type.Integer({ description: "Recipient records answered (an RSSI may hold several)" }),
  },
  { description: "The answer recorded to a bulletin, when, and for how many recipient records." },
);

const Counts = {
  recipients: Type.Integer(),
  delivered: Type.Integer({ description: "E-mail accepted by the recipient's server" }),
  acknowledged: Type.Integer({ description: "Answered anything" }),
  concerned: Type.Integer(),
  notConcerned: Type.Integer(),
  fixed: Type.Integer(),
};

export const BulletinDashboardSchema = Type.Object(
  {
    bulletinId: UuidSchema,
    totals: Type.Object({
      ...Counts,
      received: Type.Integer({ description: "Answered 'bien reçu' only" }),
      read: Type.Integer({
        description: "Opened in the application or answered (the pole's previews never count)",
      }),
      queued: Type.Integer(),
      deferred: Type.Integer(),
      failed: Type.Integer(),
      establishments: Type.Integer(),
    }),
    byTerritory: Type.Array(Type.Object({ territory: Type.String(), name: Type.String(), ...Counts })),
    byCategory: Type.Array(Type.Object({ category: Type.String(), ...Counts })),
    pending: Type.Array(
      Type.Object({
        recipientId: UuidSchema,
        name: Type.String(),
        email: Type.String(),
        role: Enum(RECIPIENT_ROLES),
        establishment: Type.String(),
        territory: Type.String({ description: "The establishment's territory code" }),
        territoryName: Type.String(),
        category: Type.String({ description: "The establishment's category" }),
        delivery: Nullable(Enum(DELIVERY_STATUSES)),
        readAt: Nullable(DateTimeSchema),
        remindedAt: Nullable(DateTimeSchema),
      }),
      { description: "Recipients who have not answered" },
    ),
    failures: Type.Array(
      Type.Object({
        recipientId: UuidSchema,
        email: Type.String(),
        attempts: Type.Integer(),
        smtpResponse: Nullable(Type.String()),
        lastError: Nullable(Type.String()),
      }),
    ),
  },
  {
    description:
      "How far a bulletin reached: deliveries and answers in total, by territory and by category, the recipients yet to answer and the delivery failures.",
  },
);
export type BulletinDashboard = Static<typeof BulletinDashboardSchema>;

export const AckTokenParamsSchema = Type.Object(
  { token: Type.String({ minLength: 10, maxLength: 200 }) },
  { additionalProperties: false },
);

/** What the personal link shows, without login. */
export const AckViewSchema = Type.Object(
  {
    reference: Type.String(),
    kind: Enum(BULLETIN_KINDS),
    title: Type.String(),
    severity: Enum(BULLETIN_SEVERITIES),
    tlp: Enum(TLP_LABELS),
    revision: Type.Integer(),
    summary: Type.String(),
    recommendations: Type.String(),
    recipientName: Type.String(),
    establishment: Type.String(),
    answer: Nullable(Enum(BULLETIN_ANSWERS)),
    answeredAt: Nullable(DateTimeSchema),
    expiresAt: DateTimeSchema,
  },
  {
    description:
      "What a recipient's personal link shows without login: the bulletin in brief and their answer.",
  },
);
export type AckView = Static<typeof AckViewSchema>;
