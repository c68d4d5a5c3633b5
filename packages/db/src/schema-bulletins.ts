import type { Audience } from "@pris/domain";
import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, unique, uuid } from "drizzle-orm/pg-core";
import { at, id } from "./columns.ts";
import { establishments, incidents, users } from "./schema.ts";

export type BulletinProduct = { vendor: string; product?: string; versions?: string };
export type BulletinObservable = { type: string; value: string; normalized: string; comment: string | null };

/** An alert bulletin: a draft, then published under a reference; its content is the latest revision's. */
export const bulletins = pgTable(
  "bulletins",
  {
    id: id(),
    reference: text("reference").unique(),
    kind: text("kind").notNull(),
    status: text("status").notNull().default("draft"),
    tlp: text("tlp").notNull(),
    severity: text("severity").notNull(),
    title: text("title").notNull(),
    summary: text("summary").notNull(),
    risks: text("risks").array().notNull().default(sql`'{}'::text[]`),
    affectedSystems: text("affected_systems").notNull().default(""),
    products: jsonb("products").$type<BulletinProduct[]>().notNull().default([]),
    recommendations: text("recommendations").notNull().default(""),
    cves: text("cves").array().notNull().default(sql`'{}'::text[]`),
    links: text("links").array().notNull().default(sql`'{}'::text[]`),
    observables: jsonb("observables").$type<BulletinObservable[]>().notNull().default([]),
    audience: jsonb("audience").$type<Audience>().notNull(),
    /** 0 while a draft, 1 at publication, +1 per revision. */
    revision: integer("revision").notNull().default(0),
    /** The fan-out stops sending while set; deliveries wait, nothing is lost. */
    pausedAt: at("paused_at"),
    sourceIncidentId: uuid("source_incident_id").references(() => incidents.id),
    createdByUserId: uuid("created_by_user_id")
      .notNull()
      .references(() => users.id),
    createdAt: at("created_at").notNull().defaultNow(),
    updatedAt: at("updated_at").notNull().defaultNow(),
    publishedAt: at("published_at"),
  },
  (t) => [index("bulletins_status_idx").on(t.status, t.id.desc())],
);

/** Each publication and revision, with what it changed and a snapshot of the content it sent. */
export const bulletinRevisions = pgTable(
  "bulletin_revisions",
  {
    id: id(),
    bulletinId: uuid("bulletin_id")
      .notNull()
      .references(() => bulletins.id),
    revision: integer("revision").notNull(),
    changes: text("changes").notNull(),
    changedFields: text("changed_fields").array().notNull(),
    content: jsonb("content").$type<Record<string, unknown>>().notNull(),
    publishedByUserId: uuid("published_by_user_id")
      .notNull()
      .references(() => users.id),
    publishedAt: at("published_at").notNull().defaultNow(),
  },
  (t) => [unique("bulletin_revisions_bulletin_revision_key").on(t.bulletinId, t.revision)],
);

/**
 * The people a published bulletin reached, fixed at publication (a revision goes to the same people):
 * one per e-mail address. Their answer and when they read it are here.
 */
export const bulletinRecipients = pgTable(
  "bulletin_recipients",
  {
    id: id(),
    bulletinId: uuid("bulletin_id")
      .notNull()
      .references(() => bulletins.id),
    establishmentId: uuid("establishment_id")
      .notNull()
      .references(() => establishments.id),
    userId: uuid("user_id").references(() => users.id),
    /** Lower-cased: the unique key is the address whatever its case. */
    email: text("email").notNull(),
    name: text("name").notNull(),
    role: text("role").notNull(),
    answer: text("answer"),
    answeredAt: at("answered_at"),
    /** First read in the application or through the link's answer; never by the pole. */
    readAt: at("read_at"),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [
    unique("bulletin_recipients_bulletin_email_key").on(t.bulletinId, t.email),
    index("bulletin_recipients_establishment_idx").on(t.establishmentId, t.bulletinId),
    index("bulletin_recipients_user_idx").on(t.userId).where(sql`${t.userId} IS NOT NULL`),
  ],
);

/**
 * The e-mail queue of bulletins, and its record: one row per recipient and purpose (each revision, one
 * reminder). The fan-out locks rows due (next_attempt_at) in batches for the time of their sending.
 */
export const bulletinDeliveries = pgTable(
  "bulletin_deliveries",
  {
    id: id(),
    bulletinId: uuid("bulletin_id")
      .notNull()
      .references(() => bulletins.id),
    recipientId: uuid("recipient_id")
      .notNull()
      .references(() => bulletinRecipients.id),
    purpose: text("purpose").notNull(),
    revision: integer("revision").notNull(),
    status: text("status").notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    messageId: text("message_id").notNull(),
    nextAttemptAt: at("next_attempt_at").notNull().defaultNow(),
    smtpResponse: text("smtp_response"),
    lastError: text("last_error"),
    createdAt: at("created_at").notNull().defaultNow(),
    updatedAt: at("updated_at").notNull().defaultNow(),
    sentAt: at("sent_at"),
  },
  (t) => [
    unique("bulletin_deliveries_recipient_purpose_key").on(t.recipientId, t.purpose),
    index("bulletin_deliveries_bulletin_idx").on(t.bulletinId, t.status),
    index("bulletin_deliveries_due_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.status} IN ('queued', 'deferred')`),
  ],
);
