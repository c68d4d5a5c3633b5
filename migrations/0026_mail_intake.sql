-- The pole's mailbox as an entrance (issue 15): one row per message read, whatever became of it. The
-- message is flagged \Seen on the server only after the transaction that wrote this row and its effects
-- committed; a reader that crashes in between finds the row by its Message-ID and only flags it.
CREATE TABLE "mail_intake" (
	"id" uuid PRIMARY KEY NOT NULL,
	"message_id" text NOT NULL,
	"mailbox" text NOT NULL,
	"uid_validity" bigint NOT NULL,
	"uid" bigint NOT NULL,
	"from_address" text,
	"from_name" text,
	"subject" text NOT NULL DEFAULT '',
	"sent_at" timestamp with time zone,
	"size" integer NOT NULL,
	"outcome" text NOT NULL,
	"quarantine_reason" text,
	"review" text,
	"establishment_id" uuid REFERENCES "establishments"("id"),
	"incident_id" uuid REFERENCES "incidents"("id"),
	"log_entry_id" uuid REFERENCES "incident_log"("id"),
	"body_text" text NOT NULL DEFAULT '',
	"attachments" jsonb NOT NULL DEFAULT '[]'::jsonb,
	"authentication" jsonb,
	"reviewed_by_user_id" uuid REFERENCES "users"("id"),
	"reviewed_at" timestamp with time zone,
	"received_at" timestamp with time zone NOT NULL DEFAULT now(),
	CONSTRAINT "mail_intake_message_id_key" UNIQUE ("message_id"),
	CONSTRAINT "mail_intake_uid_key" UNIQUE ("mailbox", "uid_validity", "uid"),
	CONSTRAINT "mail_intake_outcome" CHECK ("outcome" IN ('declared', 'replied', 'quarantined')),
	CONSTRAINT "mail_intake_quarantine" CHECK (("outcome" = 'quarantined') = ("quarantine_reason" IS NOT NULL)),
	CONSTRAINT "mail_intake_review" CHECK ("review" IS NULL OR ("outcome" = 'quarantined' AND "review" IN ('attached', 'discarded')))
);--> statement-breakpoint
CREATE INDEX "mail_intake_quarantine_idx" ON "mail_intake" ("received_at" DESC, "id" DESC) WHERE "outcome" = 'quarantined' AND "review" IS NULL;--> statement-breakpoint
CREATE INDEX "mail_intake_incident_idx" ON "mail_intake" ("incident_id");--> statement-breakpoint
-- A reply is matched by the Message-ID of the e-mail it answers (In-Reply-To, References).
CREATE INDEX "mail_deliveries_message_id_idx" ON "mail_deliveries" ("message_id");--> statement-breakpoint
-- A declaration that came by e-mail from an establishment contact who has no account is declared by
-- nobody the service knows: its declarant (name, address) says who wrote, and mail_intake how.
ALTER TABLE "incidents" DROP CONSTRAINT "incidents_declared_by";--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_declared_by" CHECK (num_nonnulls("declared_by_user_id", "declared_by_api_key_id") <= 1);
