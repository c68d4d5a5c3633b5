CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"establishment_id" uuid NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"secret_hash" text NOT NULL,
	"created_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_prefix_unique" UNIQUE("prefix")
);
--> statement-breakpoint
CREATE TABLE "establishments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"finess" text NOT NULL,
	"name" text NOT NULL,
	"category" text NOT NULL,
	"sector" text NOT NULL,
	"territory" text NOT NULL,
	"ght_id" uuid,
	"small_structure" boolean DEFAULT false NOT NULL,
	"nis2_status" text DEFAULT 'not_subject' NOT NULL,
	"contacts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"products" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "establishments_finess_unique" UNIQUE("finess")
);
--> statement-breakpoint
CREATE TABLE "ghts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"support_establishment_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ghts_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"principal" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"state" text NOT NULL,
	"response_status" integer,
	"response_body" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "idempotency_keys_principal_key_pk" PRIMARY KEY("principal","key")
);
--> statement-breakpoint
CREATE TABLE "incident_clocks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"incident_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"done_at" timestamp with time zone,
	"provisional" boolean DEFAULT false NOT NULL,
	CONSTRAINT "incident_clocks_incident_kind_key" UNIQUE("incident_id","kind")
);
--> statement-breakpoint
CREATE TABLE "incident_log" (
	"id" uuid PRIMARY KEY NOT NULL,
	"incident_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_user_id" uuid,
	"actor_api_key_id" uuid,
	"kind" text NOT NULL,
	"visibility" text NOT NULL,
	"body" jsonb NOT NULL,
	"prev_hash" text,
	"hash" text NOT NULL,
	CONSTRAINT "incident_log_incident_seq_key" UNIQUE("incident_id","seq")
);
--> statement-breakpoint
CREATE TABLE "incident_observables" (
	"id" uuid PRIMARY KEY NOT NULL,
	"incident_id" uuid NOT NULL,
	"type" text NOT NULL,
	"value" text NOT NULL,
	"normalized" text NOT NULL,
	"comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"reference" text NOT NULL,
	"establishment_id" uuid NOT NULL,
	"status" text DEFAULT 'new' NOT NULL,
	"severity" text NOT NULL,
	"severity_suggested" text NOT NULL,
	"severity_reasons" jsonb NOT NULL,
	"tlp" text NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"declarant" jsonb NOT NULL,
	"detected_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	"ongoing" boolean NOT NULL,
	"rsit_class" text NOT NULL,
	"rsit_type" text NOT NULL,
	"suspected_malicious" text NOT NULL,
	"affected_services" text[] NOT NULL,
	"affected_services_other" text,
	"impact_grade" smallint NOT NULL,
	"spread" text NOT NULL,
	"personal_data_breach" text NOT NULL,
	"personal_data_people" bigint,
	"measures_taken" text,
	"support_requested" boolean NOT NULL,
	"support_details" text,
	"national_portal_declared" boolean NOT NULL,
	"national_portal_reference" text,
	"national_portal_declared_at" timestamp with time zone,
	"complaint_filed" boolean NOT NULL,
	"declared_by_user_id" uuid,
	"declared_by_api_key_id" uuid,
	"declared_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "incidents_reference_unique" UNIQUE("reference"),
	CONSTRAINT "incidents_impact_grade" CHECK ("incidents"."impact_grade" BETWEEN 0 AND 5),
	CONSTRAINT "incidents_declared_by" CHECK (num_nonnulls("incidents"."declared_by_user_id", "incidents"."declared_by_api_key_id") = 1)
);
--> statement-breakpoint
CREATE TABLE "mail_deliveries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dedupe_key" text NOT NULL,
	"template" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"user_id" uuid,
	"to_address" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"message_id" text NOT NULL,
	"smtp_response" text,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "mail_deliveries_dedupe_key_unique" UNIQUE("dedupe_key")
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"topic" text NOT NULL,
	"aggregate_id" uuid NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dispatched_at" timestamp with time zone,
	"dispatch_count" integer DEFAULT 0 NOT NULL,
	"processed_at" timestamp with time zone,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "reference_counters" (
	"scope" text NOT NULL,
	"year" integer NOT NULL,
	"last" integer NOT NULL,
	CONSTRAINT "reference_counters_scope_year_pk" PRIMARY KEY("scope","year")
);
--> statement-breakpoint
CREATE TABLE "territories" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"display_name" text NOT NULL,
	"phone" text,
	"role" text NOT NULL,
	"establishment_id" uuid,
	"ght_id" uuid,
	"password_hash" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_login_at" timestamp with time zone,
	CONSTRAINT "users_rssi_scope" CHECK ("users"."role" <> 'rssi' OR "users"."establishment_id" IS NOT NULL OR "users"."ght_id" IS NOT NULL)
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_establishment_id_establishments_id_fk" FOREIGN KEY ("establishment_id") REFERENCES "public"."establishments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "establishments" ADD CONSTRAINT "establishments_territory_territories_code_fk" FOREIGN KEY ("territory") REFERENCES "public"."territories"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "establishments" ADD CONSTRAINT "establishments_ght_id_ghts_id_fk" FOREIGN KEY ("ght_id") REFERENCES "public"."ghts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_clocks" ADD CONSTRAINT "incident_clocks_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_log" ADD CONSTRAINT "incident_log_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_log" ADD CONSTRAINT "incident_log_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_log" ADD CONSTRAINT "incident_log_actor_api_key_id_api_keys_id_fk" FOREIGN KEY ("actor_api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_observables" ADD CONSTRAINT "incident_observables_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_establishment_id_establishments_id_fk" FOREIGN KEY ("establishment_id") REFERENCES "public"."establishments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_declared_by_user_id_users_id_fk" FOREIGN KEY ("declared_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_declared_by_api_key_id_api_keys_id_fk" FOREIGN KEY ("declared_by_api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mail_deliveries" ADD CONSTRAINT "mail_deliveries_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_establishment_id_establishments_id_fk" FOREIGN KEY ("establishment_id") REFERENCES "public"."establishments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_ght_id_ghts_id_fk" FOREIGN KEY ("ght_id") REFERENCES "public"."ghts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_establishment_idx" ON "api_keys" USING btree ("establishment_id");--> statement-breakpoint
CREATE INDEX "establishments_ght_idx" ON "establishments" USING btree ("ght_id");--> statement-breakpoint
CREATE INDEX "establishments_territory_idx" ON "establishments" USING btree ("territory");--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "incident_clocks_due_idx" ON "incident_clocks" USING btree ("due_at");--> statement-breakpoint
CREATE INDEX "incident_observables_incident_idx" ON "incident_observables" USING btree ("incident_id");--> statement-breakpoint
CREATE INDEX "incident_observables_match_idx" ON "incident_observables" USING btree ("type","normalized");--> statement-breakpoint
CREATE INDEX "incidents_establishment_declared_idx" ON "incidents" USING btree ("establishment_id","declared_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "incidents_declared_idx" ON "incidents" USING btree ("declared_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "incidents_status_idx" ON "incidents" USING btree ("status");--> statement-breakpoint
CREATE INDEX "mail_deliveries_subject_idx" ON "mail_deliveries" USING btree ("subject_id");--> statement-breakpoint
CREATE INDEX "mail_deliveries_pending_idx" ON "mail_deliveries" USING btree ("updated_at") WHERE "mail_deliveries"."status" IN ('queued', 'deferred');--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("created_at") WHERE "outbox"."processed_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "users" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "users_role_idx" ON "users" USING btree ("role");