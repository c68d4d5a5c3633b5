import { sql } from "drizzle-orm";
import { bigint, check, index, inet, integer, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { at, createdAt, id } from "./columns.ts";
import { incidents } from "./schema.ts";
import { mailIntake } from "./schema-intake.ts";

/**
 * The daily signed checkpoint of the main courantes: the heads that moved since the previous one, in a
 * canonical JSON document signed with Ed25519 under a key derived from LOG_CHAIN_KEY, and e-mailed to
 * the ARS. Checkpoints form a chain of their own (each names its predecessor's digest), numbered from 1.
 */
export const logCheckpoints = pgTable("log_checkpoints", {
  id: id(),
  seq: integer("seq").notNull().unique(),
  issuedAt: at("issued_at").notNull(),
  keyId: text("key_id").notNull(),
  /** Exactly the bytes signed: RFC 8785 canonical JSON. */
  document: text("document").notNull(),
  /** SHA-256 of the document, hex: what the ARS reads in the e-mail and the next checkpoint names. */
  digest: text("digest").notNull(),
  /** Ed25519 signature of the document, base64. */
  signature: text("signature").notNull(),
});

/** The heads a checkpoint attests, one row per incident: found by incident without parsing documents. */
export const logCheckpointHeads = pgTable(
  "log_checkpoint_heads",
  {
    checkpointId: uuid("checkpoint_id")
      .notNull()
      .references(() => logCheckpoints.id),
    incidentId: uuid("incident_id")
      .notNull()
      .references(() => incidents.id),
    headSeq: integer("head_seq").notNull(),
    headHash: text("head_hash").notNull(),
    /** Entries 1..n hashed before the chain was keyed; attested by the first checkpoint only. */
    legacyThrough: integer("legacy_through").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.incidentId, t.checkpointId] }),
    index("log_checkpoint_heads_incident_seq_idx").on(t.incidentId, t.headSeq.desc()),
  ],
);

/**
 * Who read what, when, from where: every read of an incident, of its exports or of a bulletin's
 * dashboard by a person or an API key. Written in batches by the API; pruned after
 * ACCESS_TRACE_RETENTION_DAYS by the worker.
 */
export const accessTraces = pgTable(
  "access_traces",
  {
    id: id(),
    at: at("at").notNull(),
    userId: uuid("user_id"),
    apiKeyId: uuid("api_key_id"),
    role: text("role").notNull(),
    /** The establishment whose data was read (an incident's, an API key's), for the ARS's filters. */
    establishmentId: uuid("establishment_id"),
    objectKind: text("object_kind").notNull(),
    objectId: uuid("object_id"),
    action: text("action").notNull(),
    method: text("method").notNull(),
    path: text("path").notNull(),
    /** The query string (filters of an export), as sent, cut to 2,000 characters. */
    query: text("query"),
    statusCode: integer("status_code").notNull(),
    ip: inet("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [
    index("access_traces_at_idx").on(t.at.desc(), t.id.desc()),
    index("access_traces_user_idx").on(t.userId, t.at.desc()).where(sql`${t.userId} IS NOT NULL`),
    index("access_traces_object_idx").on(t.objectId, t.at.desc()).where(sql`${t.objectId} IS NOT NULL`),
    index("access_traces_establishment_idx")
      .on(t.establishmentId, t.at.desc())
      .where(sql`${t.establishmentId} IS NOT NULL`),
  ],
);

/**
 * Files handed over on an incident (screenshots of a ransom note, logs, suspicious attachments). The
 * bytes live in the evidence store under `storage_key` (an id, never the client's name); the row keeps
 * what the main courante's entry proves: SHA-256, size, detected type, who and when. Readable only
 * through its incident, so the incident's scope is the file's. Served only once scanned clean.
 */
export const evidenceFiles = pgTable(
  "evidence_files",
  {
    id: id(),
    incidentId: uuid("incident_id")
      .notNull()
      .references(() => incidents.id),
    uploadedByUserId: uuid("uploaded_by_user_id"),
    uploadedByApiKeyId: uuid("uploaded_by_api_key_id"),
    /** A message of the intake mailbox the file was attached to (migration 0029): its sender may have no account. */
    uploadedByMailIntakeId: uuid("uploaded_by_mail_intake_id").references(() => mailIntake.id),
    /** The client's name, for display only: path components and control characters removed. */
    originalName: text("original_name").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    /** From the bytes (file-type), not from the name or the client's Content-Type; null when unknown. */
    detectedMime: text("detected_mime"),
    detectedExt: text("detected_ext"),
    /** The type the client claimed, kept to show a lie, never used to serve the file. */
    declaredMime: text("declared_mime"),
    storageKey: text("storage_key").notNull(),
    scanStatus: text("scan_status").$type<"pending" | "clean" | "infected" | "unscannable">().notNull(),
    scanDetail: text("scan_detail"),
    scannedAt: at("scanned_at"),
    createdAt: createdAt(),
    /** When the retention job deleted the bytes (RETENTION_CLOSED_DAYS after closure); the row stays. */
    purgedAt: at("purged_at"),
  },
  (t) => [
    index("evidence_files_incident_idx").on(t.incidentId, t.createdAt, t.id),
    check(
      "evidence_files_scan_status",
      sql`${t.scanStatus} IN ('pending', 'clean', 'infected', 'unscannable')`,
    ),
    check(
      "evidence_files_uploaded_by",
      sql`num_nonnulls(${t.uploadedByUserId}, ${t.uploadedByApiKeyId}, ${t.uploadedByMailIntakeId}) = 1`,
    ),
  ],
);
