CREATE TABLE "audit_log" (
	"id" uuid PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_user_id" uuid,
	"actor_label" text NOT NULL,
	"action" text NOT NULL,
	"object_kind" text NOT NULL,
	"object_id" text NOT NULL,
	"object_label" text NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"request_id" text,
	"ip" "inet"
);
--> statement-breakpoint
CREATE TABLE "catalog_products" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"vendor" text NOT NULL,
	"product" text DEFAULT '' NOT NULL,
	"key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by_user_id" uuid
);
--> statement-breakpoint
CREATE TABLE "invitations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"display_name" text NOT NULL,
	"role" text NOT NULL,
	"establishment_id" uuid,
	"ght_id" uuid,
	"invited_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"send_count" integer DEFAULT 1 NOT NULL,
	"last_sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	"accepted_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"user_id" uuid
);
--> statement-breakpoint
CREATE TABLE "on_call_slots" (
	"id" uuid PRIMARY KEY NOT NULL,
	"start_minute" integer NOT NULL,
	"end_minute" integer NOT NULL,
	"primary_user_id" uuid NOT NULL,
	"backup_user_id" uuid,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "on_call_slots_bounds" CHECK ("on_call_slots"."start_minute" >= 0 AND "on_call_slots"."end_minute" <= 10080 AND "on_call_slots"."start_minute" < "on_call_slots"."end_minute"),
	CONSTRAINT "on_call_slots_distinct" CHECK ("on_call_slots"."backup_user_id" IS NULL OR "on_call_slots"."backup_user_id" <> "on_call_slots"."primary_user_id")
);
--> statement-breakpoint
CREATE TABLE "registry_category_mappings" (
	"finess_category" text PRIMARY KEY NOT NULL,
	"label" text NOT NULL,
	"category" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by_user_id" uuid
);
--> statement-breakpoint
CREATE TABLE "registry_import_rows" (
	"import_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"line" integer,
	"outcome" text NOT NULL,
	"finess" text,
	"establishment_id" uuid,
	"data" jsonb,
	"changes" jsonb,
	"reason" text,
	CONSTRAINT "registry_import_rows_import_id_seq_pk" PRIMARY KEY("import_id","seq")
);
--> statement-breakpoint
CREATE TABLE "registry_imports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"file_name" text NOT NULL,
	"format" text NOT NULL,
	"sha256" text NOT NULL,
	"status" text DEFAULT 'preview' NOT NULL,
	"summary" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by_user_id" uuid,
	"applied_at" timestamp with time zone,
	"applied_by_user_id" uuid
);
--> statement-breakpoint
CREATE TABLE "registry_territory_mappings" (
	"kind" text NOT NULL,
	"code" text NOT NULL,
	"territory" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by_user_id" uuid,
	CONSTRAINT "registry_territory_mappings_kind_code_pk" PRIMARY KEY("kind","code"),
	CONSTRAINT "registry_territory_mappings_kind" CHECK ("registry_territory_mappings"."kind" IN ('departement', 'commune'))
);
--> statement-breakpoint
ALTER TABLE "establishments" ADD COLUMN "legal_entity_finess" text;--> statement-breakpoint
ALTER TABLE "establishments" ADD COLUMN "siret" text;--> statement-breakpoint
ALTER TABLE "establishments" ADD COLUMN "finess_category" text;--> statement-breakpoint
ALTER TABLE "establishments" ADD COLUMN "suppliers" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "establishments" ADD COLUMN "address" jsonb;--> statement-breakpoint
ALTER TABLE "establishments" ADD COLUMN "phone" text;--> statement-breakpoint
ALTER TABLE "establishments" ADD COLUMN "registry_updated_on" date;--> statement-breakpoint
ALTER TABLE "territories" ADD COLUMN "retired_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog_products" ADD CONSTRAINT "catalog_products_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_establishment_id_establishments_id_fk" FOREIGN KEY ("establishment_id") REFERENCES "public"."establishments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_ght_id_ghts_id_fk" FOREIGN KEY ("ght_id") REFERENCES "public"."ghts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_invited_by_user_id_users_id_fk" FOREIGN KEY ("invited_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "on_call_slots" ADD CONSTRAINT "on_call_slots_primary_user_id_users_id_fk" FOREIGN KEY ("primary_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "on_call_slots" ADD CONSTRAINT "on_call_slots_backup_user_id_users_id_fk" FOREIGN KEY ("backup_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registry_category_mappings" ADD CONSTRAINT "registry_category_mappings_updated_by_user_id_users_id_fk" FOREIGN KEY ("updated_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registry_import_rows" ADD CONSTRAINT "registry_import_rows_import_id_registry_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."registry_imports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registry_import_rows" ADD CONSTRAINT "registry_import_rows_establishment_id_establishments_id_fk" FOREIGN KEY ("establishment_id") REFERENCES "public"."establishments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registry_imports" ADD CONSTRAINT "registry_imports_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registry_imports" ADD CONSTRAINT "registry_imports_applied_by_user_id_users_id_fk" FOREIGN KEY ("applied_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registry_territory_mappings" ADD CONSTRAINT "registry_territory_mappings_territory_territories_code_fk" FOREIGN KEY ("territory") REFERENCES "public"."territories"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registry_territory_mappings" ADD CONSTRAINT "registry_territory_mappings_updated_by_user_id_users_id_fk" FOREIGN KEY ("updated_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_object_idx" ON "audit_log" USING btree ("object_kind","object_id","at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_actor_idx" ON "audit_log" USING btree ("actor_user_id","at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "catalog_products_key" ON "catalog_products" USING btree ("key");--> statement-breakpoint
CREATE INDEX "catalog_products_vendor_idx" ON "catalog_products" USING btree ("vendor");--> statement-breakpoint
CREATE UNIQUE INDEX "invitations_pending_email_key" ON "invitations" USING btree (lower("email")) WHERE "invitations"."accepted_at" IS NULL AND "invitations"."cancelled_at" IS NULL;--> statement-breakpoint
CREATE INDEX "invitations_created_idx" ON "invitations" USING btree ("created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "on_call_slots_start_idx" ON "on_call_slots" USING btree ("start_minute");--> statement-breakpoint
CREATE INDEX "registry_import_rows_outcome_idx" ON "registry_import_rows" USING btree ("import_id","outcome","seq");--> statement-breakpoint
CREATE INDEX "registry_imports_created_idx" ON "registry_imports" USING btree ("created_at" DESC NULLS LAST);--> statement-breakpoint
-- The administration trail is evidence, like the main courante: the database refuses to change it.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
--> statement-breakpoint
-- Two slots of the rota never cover the same minute of the week.
ALTER TABLE on_call_slots ADD CONSTRAINT on_call_slots_no_overlap
  EXCLUDE USING gist (int4range(start_minute, end_minute) WITH &&);
