import type {
  ClockKind,
  Contacts,
  DeclarationChannel,
  MailDeliveryTemplate,
  OutboxTopic,
  TimerKind,
} from "@pris/domain";
import { type SQL, sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { at, createdAt, id } from "./columns.ts";

export const territories = pgTable("territories", {
  code: text("code").primaryKey(),
  name: text("name").notNull(),
  /** A retired territory takes no new establishment; one that establishments use is never deleted. */
  retiredAt: at("retired_at"),
});

export const ghts = pgTable("ghts", {
  id: id(),
  code: text("code").notNull().unique(),
  name: text("name").notNull(),
  supportEstablishmentId: uuid("support_establishment_id"),
  createdAt: createdAt(),
});

export type Product = { kind: string; vendor: string; product?: string };
export type Supplier = { service: string; name: string };
/** Where the registry places an establishment: its address and commune (INSEE code). */
export type RegistryAddress = { lines: string[]; commune?: string; postalLine?: string };

export const establishments = pgTable(
  "establishments",
  {
    id: id(),
    finess: text("finess").notNull().unique(),
    /** The legal entity's FINESS (nofinessej): a hospital group's establishments share it. */
    legalEntityFiness: text("legal_entity_finess"),
    siret: text("siret"),
    name: text("name").notNull(),
    /** The registry's category code (categetab), when the establishment came from FINESS. */
    finessCategory: text("finess_category"),
    category: text("category").notNull(),
    sector: text("sector").notNull(),
    territory: text("territory")
      .notNull()
      .references(() => territories.code),
    ghtId: uuid("ght_id").references(() => ghts.id),
    smallStructure: boolean("small_structure").notNull().default(false),
    nis2Status: text("nis2_status").notNull().default("not_subject"),
    contacts: jsonb("contacts").$type<Contacts>().notNull().default({}),
    products: jsonb("products").$type<Product[]>().notNull().default([]),
    /** Who runs part of its information system: MSP, hosting, software maintenance, telecoms. */
    suppliers: jsonb("suppliers").$type<Supplier[]>().notNull().default([]),
    address: jsonb("address").$type<RegistryAddress>(),
    /** The switchboard, from the registry: what the pole calls at 3 a.m. when nobody answers. */
    phone: text("phone"),
    /** The registry's own last update of the record (maj). */
    registryUpdatedOn: date("registry_updated_on", { mode: "string" }),
    active: boolean("active").notNull().default(true),
    /**
     * Days (in the region's zone) the establishment entered and left the registry, for the yearly
     * exercise obligation; null when before any year counted, or still there. Deactivating sets
     * active_until (a trigger, migration 0014).
     */
    activeFrom: date("active_from", { mode: "string" }),
    activeUntil: date("active_until", { mode: "string" }),
    createdAt: createdAt(),
    updatedAt: at("updated_at").notNull().defaultNow(),
  },
  (t) => [index("establishments_ght_idx").on(t.ghtId), index("establishments_territory_idx").on(t.territory)],
);

export const users = pgTable(
  "users",
  {
    id: id(),
    email: text("email").notNull(),
    displayName: text("display_name").notNull(),
    phone: text("phone"),
    role: text("role").notNull(),
    establishmentId: uuid("establishment_id").references(() => establishments.id),
    ghtId: uuid("ght_id").references(() => ghts.id),
    passwordHash: text("password_hash").notNull(),
    /** When the password last changed: a reset link made before it no longer works. */
    passwordChangedAt: at("password_changed_at"),
    active: boolean("active").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: at("updated_at").notNull().defaultNow(),
    lastLoginAt: at("last_login_at"),
  },
  (t) => [
    uniqueIndex("users_email_key").on(sql`lower(${t.email})`),
    index("users_role_idx").on(t.role),
    check(
      "users_rssi_scope",
      sql`${t.role} <> 'rssi' OR ${t.establishmentId} IS NOT NULL OR ${t.ghtId} IS NOT NULL`,
    ),
  ],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: id(),
    establishmentId: uuid("establishment_id")
      .notNull()
      .references(() => establishments.id),
    name: text("name").notNull(),
    /** Public part of the key, used to find it. */
    prefix: text("prefix").notNull().unique(),
    /** SHA-256 of the whole key, hex. */
    secretHash: text("secret_hash").notNull(),
    createdByUserId: uuid("created_by_user_id").references(() => users.id),
    createdAt: createdAt(),
    lastUsedAt: at("last_used_at"),
    revokedAt: at("revoked_at"),
  },
  (t) => [index("api_keys_establishment_idx").on(t.establishmentId)],
);

/** Gapless sequences for human references: one row per scope (region, kind) and year. */
export const referenceCounters = pgTable(
  "reference_counters",
  {
    scope: text("scope").notNull(),
    year: integer("year").notNull(),
    last: integer("last").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.year] })],
);

/**
 * An incident the pole still works on (not closed, rejected or merged): the predicate of the queue's
 * partial indexes, which a query must repeat to use them. Literal values, never parameters.
 */
export function incidentIsOpen(status: AnyPgColumn | SQL) {
  return sql`${status} NOT IN ('closed', 'rejected', 'merged')`;
}

export type Declarant = { name: string; function?: string; phone: string; email?: string };

export const incidents = pgTable(
  "incidents",
  {
    id: id(),
    reference: text("reference").notNull().unique(),
    establishmentId: uuid("establishment_id")
      .notNull()
      .references(() => establishments.id),
    status: text("status").notNull().default("new"),
    severity: text("severity").notNull(),
    severitySuggested: text("severity_suggested").notNull(),
    severityReasons: jsonb("severity_reasons").$type<string[]>().notNull(),
    tlp: text("tlp").notNull(),
    title: text("title").notNull(),
    description: text("description").notNull(),
    declarant: jsonb("declarant").$type<Declarant>().notNull(),
    detectedAt: at("detected_at").notNull(),
    startedAt: at("started_at"),
    ongoing: boolean("ongoing").notNull(),
    rsitClass: text("rsit_class").notNull(),
    rsitType: text("rsit_type").notNull(),
    suspectedMalicious: text("suspected_malicious").notNull(),
    affectedServices: text("affected_services").array().notNull(),
    affectedServicesOther: text("affected_services_other"),
    impactGrade: smallint("impact_grade").notNull(),
    spread: text("spread").notNull(),
    personalDataBreach: text("personal_data_breach").notNull(),
    personalDataPeople: bigint("personal_data_people", { mode: "number" }),
    measuresTaken: text("measures_taken"),
    supportRequested: boolean("support_requested").notNull(),
    supportDetails: text("support_details"),
    nationalPortalDeclared: boolean("national_portal_declared").notNull(),
    nationalPortalReference: text("national_portal_reference"),
    nationalPortalDeclaredAt: at("national_portal_declared_at"),
    complaintFiled: boolean("complaint_filed").notNull(),
    declaredByUserId: uuid("declared_by_user_id").references(() => users.id),
    declaredByApiKeyId: uuid("declared_by_api_key_id").references(() => apiKeys.id),
    declaredAt: at("declared_at").notNull().defaultNow(),
    /** How the declaration reached the pole (declarationChannel() of the domain, or the mailbox intake). */
    channel: text("channel").$type<DeclarationChannel>().notNull().default("form"),
    updatedAt: at("updated_at").notNull().defaultNow(),
    // The pole's work on it.
    assigneeUserId: uuid("assignee_user_id").references(() => users.id),
    /** The working status a waiting incident returns to. */
    previousStatus: text("previous_status"),
    followUpAt: at("follow_up_at"),
    mergedIntoId: uuid("merged_into_id").references((): AnyPgColumn => incidents.id),
    severityOverrideReason: text("severity_override_reason"),
    /** Raised to P1: the task force is mobilised and gains access. */
    crisisCell: boolean("crisis_cell").notNull().default(false),
    escalatedAt: at("escalated_at"),
    acknowledgedAt: at("acknowledged_at"),
    containedAt: at("contained_at"),
    closedAt: at("closed_at"),
    /** Final RSIT class and type, root cause, measures, lessons. */
    closure: jsonb("closure").$type<Record<string, unknown>>(),
    /** The pole's service level: acknowledged by then. */
    ackDueAt: at("ack_due_at"),
    /** The nearest service-level or regulatory deadline still open: the queue sorts on it. */
    nextDeadlineAt: at("next_deadline_at"),
  },
  (t) => [
    index("incidents_establishment_declared_idx").on(t.establishmentId, t.declaredAt.desc(), t.id.desc()),
    index("incidents_declared_idx").on(t.declaredAt.desc(), t.id.desc()),
    index("incidents_status_idx").on(t.status),
    // The analysts' queue: open incidents only (a minority of the table, and what the pole works on),
    // ordered by severity, nearest deadline (none last), id. The queue repeats these exact expressions.
    // Status last in the ordered ones: counts per status of a part of them (one establishment, one
    // assignee, the overdue ones — the head of each severity) read the index alone.
    index("incidents_queue_order_idx")
      .on(t.severity, sql`COALESCE(${t.nextDeadlineAt}, 'infinity'::timestamptz)`, t.id, t.status)
      .where(incidentIsOpen(t.status)),
    index("incidents_queue_establishment_idx")
      .on(
        t.establishmentId,
        t.severity,
        sql`COALESCE(${t.nextDeadlineAt}, 'infinity'::timestamptz)`,
        t.id,
        t.status,
      )
      .where(incidentIsOpen(t.status)),
    index("incidents_queue_assignee_idx")
      .on(
        t.assigneeUserId,
        t.severity,
        sql`COALESCE(${t.nextDeadlineAt}, 'infinity'::timestamptz)`,
        t.id,
        t.status,
      )
      .where(incidentIsOpen(t.status)),
    // Counts per status of the whole queue or of one severity read this one alone (index-only scan);
    // of one RSIT class, the next one; the task force's part (P1 or a crisis cell), these and the last.
    index("incidents_queue_counts_idx").on(t.severity, t.status).where(incidentIsOpen(t.status)),
    index("incidents_queue_rsit_idx").on(t.rsitClass, t.status).where(incidentIsOpen(t.status)),
    index("incidents_queue_crisis_idx")
      .on(t.severity, t.status)
      .where(sql`${t.crisisCell} AND ${incidentIsOpen(t.status)}`),
    index("incidents_queue_title_trgm_idx")
      .using("gin", t.title.op("gin_trgm_ops"))
      .where(incidentIsOpen(t.status)),
    index("incidents_queue_reference_trgm_idx")
      .using("gin", t.reference.op("gin_trgm_ops"))
      .where(incidentIsOpen(t.status)),
    check("incidents_impact_grade", sql`${t.impactGrade} BETWEEN 0 AND 5`),
    // At most one: a declaration that came by e-mail from a contact without an account has neither
    // (migration 0026); its declarant says who wrote.
    check("incidents_declared_by", sql`num_nonnulls(${t.declaredByUserId}, ${t.declaredByApiKeyId}) <= 1`),
    check("incidents_channel", sql`${t.channel} IN ('form', 'api', 'email', 'phone')`),
  ],
);

export const incidentObservables = pgTable(
  "incident_observables",
  {
    id: id(),
    incidentId: uuid("incident_id")
      .notNull()
      .references(() => incidents.id),
    type: text("type").notNull(),
    value: text("value").notNull(),
    normalized: text("normalized").notNull(),
    comment: text("comment"),
    createdAt: createdAt(),
  },
  (t) => [
    index("incident_observables_incident_idx").on(t.incidentId),
    index("incident_observables_match_idx").on(t.type, t.normalized),
  ],
);

/** Regulatory clocks: due and done times are stored; the state is derived when read. */
export const incidentClocks = pgTable(
  "incident_clocks",
  {
    id: id(),
    incidentId: uuid("incident_id")
      .notNull()
      .references(() => incidents.id),
    kind: text("kind").$type<ClockKind>().notNull(),
    startsAt: at("starts_at").notNull(),
    dueAt: at("due_at").notNull(),
    doneAt: at("done_at"),
    provisional: boolean("provisional").notNull().default(false),
    /** What was notified, to whom: the reference the authority gave, its name, a note. */
    reference: text("reference"),
    authority: text("authority"),
    note: text("note"),
    /** Required when done after the due time (GDPR art. 33: a late notification states why). */
    lateReason: text("late_reason"),
    recordedByUserId: uuid("recorded_by_user_id").references(() => users.id),
  },
  (t) => [
    unique("incident_clocks_incident_kind_key").on(t.incidentId, t.kind),
    index("incident_clocks_due_idx").on(t.dueAt),
    // "A clock is overdue": the few clocks not done yet, by due time.
    index("incident_clocks_open_due_idx").on(t.dueAt, t.incidentId).where(sql`${t.doneAt} IS NULL`),
  ],
);

/**
 * The main courante: append-only, hash-chained per incident.
 * hash = SHA-256(prev_hash || canonical JSON of the entry's content).
 */
export const incidentLog = pgTable(
  "incident_log",
  {
    id: id(),
    incidentId: uuid("incident_id")
      .notNull()
      .references(() => incidents.id),
    seq: integer("seq").notNull(),
    at: at("at").notNull().defaultNow(),
    actorUserId: uuid("actor_user_id").references(() => users.id),
    actorApiKeyId: uuid("actor_api_key_id").references(() => apiKeys.id),
    kind: text("kind").notNull(),
    visibility: text("visibility").notNull(),
    body: jsonb("body").$type<Record<string, unknown>>().notNull(),
    prevHash: text("prev_hash"),
    hash: text("hash").notNull(),
  },
  (t) => [unique("incident_log_incident_seq_key").on(t.incidentId, t.seq)],
);

/**
 * Each main courante's head, outside its table: moved by a trigger at every insert into incident_log,
 * in the same transaction, and only ever by one. Entries removed behind the database's back leave the
 * head pointing past the table's end, which verification reports. Written before the incident row at a
 * declaration, so the key is checked at commit (0016).
 */
export const incidentLogHeads = pgTable("incident_log_heads", {
  incidentId: uuid("incident_id")
    .primaryKey()
    .references(() => incidents.id),
  seq: integer("seq").notNull(),
  hash: text("hash").notNull(),
  updatedAt: at("updated_at").notNull().defaultNow(),
});

/** Actions and tasks of an incident, with owner and due date; their history is in the main courante. */
export const incidentTasks = pgTable(
  "incident_tasks",
  {
    id: id(),
    incidentId: uuid("incident_id")
      .notNull()
      .references(() => incidents.id),
    title: text("title").notNull(),
    ownerUserId: uuid("owner_user_id").references(() => users.id),
    dueAt: at("due_at"),
    doneAt: at("done_at"),
    createdByUserId: uuid("created_by_user_id").references(() => users.id),
    createdAt: createdAt(),
  },
  (t) => [index("incident_tasks_incident_idx").on(t.incidentId)],
);

/**
 * Timers the worker fires: service-level reminders, follow-up dates, regulatory deadlines. Kept in
 * PostgreSQL so that they survive worker restarts and the loss of Redis; one row per subject, kind and
 * due time.
 */
export const timers = pgTable(
  "timers",
  {
    id: id(),
    kind: text("kind").$type<TimerKind>().notNull(),
    subjectId: uuid("subject_id").notNull(),
    dueAt: at("due_at").notNull(),
    firedAt: at("fired_at"),
    cancelledAt: at("cancelled_at"),
    attempts: integer("attempts").notNull().default(0),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    unique("timers_subject_kind_due_key").on(t.subjectId, t.kind, t.dueAt),
    index("timers_pending_idx").on(t.dueAt).where(sql`${t.firedAt} IS NULL AND ${t.cancelledAt} IS NULL`),
  ],
);

/**
 * Work that a committed write must cause; the worker relays it to BullMQ. Written through writeOutbox,
 * which ties the payload to its topic; the payload is read back as plain JSON and checked by the worker.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: id(),
    topic: text("topic").$type<OutboxTopic>().notNull(),
    aggregateId: uuid("aggregate_id").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    dispatchedAt: at("dispatched_at"),
    dispatchCount: integer("dispatch_count").notNull().default(0),
    processedAt: at("processed_at"),
    lastError: text("last_error"),
    /**
     * The W3C trace context (traceparent, tracestate) of the request that wrote the row, when it was
     * traced: the worker's job continues that trace. Null when tracing is off.
     */
    traceContext: jsonb("trace_context").$type<Record<string, string>>(),
  },
  (t) => [index("outbox_pending_idx").on(t.createdAt).where(sql`${t.processedAt} IS NULL`)],
);

/**
 * Idempotency-Key records (IETF draft): the answer to the first request with a key, written in the
 * same transaction as its work. A request in flight holds a transaction-level advisory lock instead.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    principal: text("principal").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    responseStatus: integer("response_status").notNull(),
    responseBody: jsonb("response_body").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.principal, t.key] }),
    index("idempotency_keys_created_idx").on(t.createdAt),
  ],
);

/** One row per e-mail to one person for one reason: the unique dedupe key makes sends idempotent. */
export const mailDeliveries = pgTable(
  "mail_deliveries",
  {
    id: id(),
    dedupeKey: text("dedupe_key").notNull().unique(),
    template: text("template").$type<MailDeliveryTemplate>().notNull(),
    subjectId: uuid("subject_id").notNull(),
    userId: uuid("user_id").references(() => users.id),
    toAddress: text("to_address").notNull(),
    status: text("status").notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    messageId: text("message_id").notNull(),
    smtpResponse: text("smtp_response"),
    lastError: text("last_error"),
    createdAt: createdAt(),
    updatedAt: at("updated_at").notNull().defaultNow(),
    sentAt: at("sent_at"),
    /**
     * The trace context of the work that owed the e-mail (a traced declaration's job): the batched send
     * continues that trace. Null when tracing is off.
     */
    traceContext: jsonb("trace_context").$type<Record<string, string>>(),
  },
  (t) => [
    index("mail_deliveries_subject_idx").on(t.subjectId),
    // A reply to the service's e-mail is matched by the Message-ID it answers (migration 0026).
    index("mail_deliveries_message_id_idx").on(t.messageId),
    index("mail_deliveries_pending_idx").on(t.updatedAt).where(sql`${t.status} IN ('queued', 'deferred')`),
  ],
);
