import { index, integer, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { at, id } from "./columns.ts";
import { incidents } from "./schema.ts";

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
