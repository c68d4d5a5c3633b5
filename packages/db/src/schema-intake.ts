import type { QUARANTINE_REASON_VALUES } from "@pris/domain";
import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgTable, text, unique, uuid } from "drizzle-orm/pg-core";
import { at, id } from "./columns.ts";
import { establishments, incidentLog, incidents, users } from "./schema.ts";

/** What a message read from the pole's mailbox became. */
export const MAIL_INTAKE_OUTCOMES = ["declared", "replied", "quarantined"] as const;
export type MailIntakeOutcome = (typeof MAIL_INTAKE_OUTCOMES)[number];

/** Why a message was set aside for the pole to review rather than acted on. */
export type QuarantineReason = (typeof QUARANTINE_REASON_VALUES)[number];

/**
 * An attachment as received. The bytes go to the evidence store (its evidence file's id here) when the
 * message declares or answers an incident; over EVIDENCE_MAX_BYTES they are refused and only this is
 * kept; a quarantined message keeps only this.
 */
export type IntakeAttachment = {
  name: string;
  size: number;
  sha256: string;
  contentType: string;
  evidenceFileId?: string;
  refused?: "too_large";
};

/** The verdicts of the receiving server's Authentication-Results, as read. */
export type IntakeAuthentication = {
  authservId: string | null;
  spf: string | null;
  dkim: string | null;
  dmarc: string | null;
};

/**
 * One row per message read from the intake mailbox (migration 0026): keyed by its Message-ID and by its
 * place in the mailbox (UIDVALIDITY, UID). Written in the transaction of its effects, before the message
 * is flagged \Seen: the row is what says a message was processed.
 */
export const mailIntake = pgTable(
  "mail_intake",
  {
    id: id(),
    messageId: text("message_id").notNull(),
    mailbox: text("mailbox").notNull(),
    uidValidity: bigint("uid_validity", { mode: "number" }).notNull(),
    uid: bigint("uid", { mode: "number" }).notNull(),
    fromAddress: text("from_address"),
    fromName: text("from_name"),
    subject: text("subject").notNull().default(""),
    sentAt: at("sent_at"),
    size: integer("size").notNull(),
    outcome: text("outcome").$type<MailIntakeOutcome>().notNull(),
    quarantineReason: text("quarantine_reason").$type<QuarantineReason>(),
    /** The pole's decision on a quarantined message: attached to an establishment, or discarded. */
    review: text("review").$type<"attached" | "discarded">(),
    establishmentId: uuid("establishment_id").references(() => establishments.id),
    incidentId: uuid("incident_id").references(() => incidents.id),
    logEntryId: uuid("log_entry_id").references(() => incidentLog.id),
    /** The message's text, quoted history stripped. */
    bodyText: text("body_text").notNull().default(""),
    attachments: jsonb("attachments").$type<IntakeAttachment[]>().notNull().default([]),
    authentication: jsonb("authentication").$type<IntakeAuthentication>(),
    reviewedByUserId: uuid("reviewed_by_user_id").references(() => users.id),
    reviewedAt: at("reviewed_at"),
    receivedAt: at("received_at").notNull().defaultNow(),
    /**
     * When the retention job blanked the body (RETENTION_CLOSED_DAYS after its incident's closure), or, for
     * a quarantined message never attached, its content (RETENTION_QUARANTINE_DAYS after its receipt).
     */
    purgedAt: at("purged_at"),
  },
  (t) => [
    unique("mail_intake_message_id_key").on(t.messageId),
    unique("mail_intake_uid_key").on(t.mailbox, t.uidValidity, t.uid),
    index("mail_intake_quarantine_idx")
      .on(t.receivedAt.desc(), t.id.desc())
      .where(sql`${t.outcome} = 'quarantined' AND ${t.review} IS NULL`),
    index("mail_intake_incident_idx").on(t.incidentId),
    check("mail_intake_outcome", sql`${t.outcome} IN ('declared', 'replied', 'quarantined')`),
    check(
      "mail_intake_quarantine",
      sql`(${t.outcome} = 'quarantined') = (${t.quarantineReason} IS NOT NULL)`,
    ),
    check(
      "mail_intake_review",
      sql`${t.review} IS NULL OR (${t.outcome} = 'quarantined' AND ${t.review} IN ('attached', 'discarded'))`,
    ),
  ],
);
