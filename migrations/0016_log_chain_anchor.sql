CREATE TABLE "incident_log_heads" (
	"incident_id" uuid PRIMARY KEY NOT NULL,
	"seq" integer NOT NULL,
	"hash" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "log_checkpoint_heads" (
	"checkpoint_id" uuid NOT NULL,
	"incident_id" uuid NOT NULL,
	"head_seq" integer NOT NULL,
	"head_hash" text NOT NULL,
	"legacy_through" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "log_checkpoint_heads_incident_id_checkpoint_id_pk" PRIMARY KEY("incident_id","checkpoint_id")
);
--> statement-breakpoint
CREATE TABLE "log_checkpoints" (
	"id" uuid PRIMARY KEY NOT NULL,
	"seq" integer NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"key_id" text NOT NULL,
	"document" text NOT NULL,
	"digest" text NOT NULL,
	"signature" text NOT NULL,
	CONSTRAINT "log_checkpoints_seq_unique" UNIQUE("seq")
);
--> statement-breakpoint
ALTER TABLE "incident_log_heads" ADD CONSTRAINT "incident_log_heads_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "log_checkpoint_heads" ADD CONSTRAINT "log_checkpoint_heads_checkpoint_id_log_checkpoints_id_fk" FOREIGN KEY ("checkpoint_id") REFERENCES "public"."log_checkpoints"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "log_checkpoint_heads" ADD CONSTRAINT "log_checkpoint_heads_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "log_checkpoint_heads_incident_seq_idx" ON "log_checkpoint_heads" USING btree ("incident_id","head_seq" DESC NULLS LAST);--> statement-breakpoint
-- declare_incident() writes the first log entry, hence its head, before the incident row.
ALTER TABLE incident_log_heads ALTER CONSTRAINT incident_log_heads_incident_id_incidents_id_fk DEFERRABLE INITIALLY DEFERRED;
--> statement-breakpoint
-- Every chain's head as it stands: the entries written so far were hashed without a key (legacy); the
-- first checkpoint attests how many, and nothing written from now on may be unkeyed.
INSERT INTO incident_log_heads (incident_id, seq, hash)
SELECT DISTINCT ON (incident_id) incident_id, seq, hash FROM incident_log ORDER BY incident_id, seq DESC;
--> statement-breakpoint
-- The head moves with every insert, by whichever writer, and only by one: an entry that does not follow
-- the head (a replayed sequence number, a hole) is refused.
CREATE OR REPLACE FUNCTION incident_log_advance_head() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE incident_log_heads SET seq = NEW.seq, hash = NEW.hash, updated_at = now()
  WHERE incident_id = NEW.incident_id AND seq = NEW.seq - 1;
  IF NOT FOUND THEN
    IF NEW.seq <> 1 THEN
      RAISE EXCEPTION 'incident_log: entry % of incident % does not follow its head', NEW.seq, NEW.incident_id
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    INSERT INTO incident_log_heads (incident_id, seq, hash) VALUES (NEW.incident_id, NEW.seq, NEW.hash);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER incident_log_advance_head AFTER INSERT ON incident_log
  FOR EACH ROW EXECUTE FUNCTION incident_log_advance_head();
--> statement-breakpoint
-- A checkpoint is evidence too: never changed or removed once issued.
CREATE OR REPLACE FUNCTION log_checkpoints_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE OR DELETE ON log_checkpoints
  FOR EACH ROW EXECUTE FUNCTION log_checkpoints_append_only();
--> statement-breakpoint
CREATE TRIGGER log_checkpoint_heads_no_update BEFORE UPDATE OR DELETE ON log_checkpoint_heads
  FOR EACH ROW EXECUTE FUNCTION log_checkpoints_append_only();
