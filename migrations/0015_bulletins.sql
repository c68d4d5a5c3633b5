CREATE TABLE "bulletin_deliveries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bulletin_id" uuid NOT NULL,
	"recipient_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"revision" integer NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"message_id" text NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"smtp_response" text,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "bulletin_deliveries_recipient_purpose_key" UNIQUE("recipient_id","purpose")
);
--> statement-breakpoint
CREATE TABLE "bulletin_recipients" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bulletin_id" uuid NOT NULL,
	"establishment_id" uuid NOT NULL,
	"user_id" uuid,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"answer" text,
	"answered_at" timestamp with time zone,
	"read_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bulletin_recipients_bulletin_email_key" UNIQUE("bulletin_id","email")
);
--> statement-breakpoint
CREATE TABLE "bulletin_revisions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bulletin_id" uuid NOT NULL,
	"revision" integer NOT NULL,
	"changes" text NOT NULL,
	"changed_fields" text[] NOT NULL,
	"content" jsonb NOT NULL,
	"published_by_user_id" uuid NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bulletin_revisions_bulletin_revision_key" UNIQUE("bulletin_id","revision")
);
--> statement-breakpoint
CREATE TABLE "bulletins" (
	"id" uuid PRIMARY KEY NOT NULL,
	"reference" text,
	"kind" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"tlp" text NOT NULL,
	"severity" text NOT NULL,
	"title" text NOT NULL,
	"summary" text NOT NULL,
	"risks" text[] DEFAULT '{}'::text[] NOT NULL,
	"affected_systems" text DEFAULT '' NOT NULL,
	"products" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"recommendations" text DEFAULT '' NOT NULL,
	"cves" text[] DEFAULT '{}'::text[] NOT NULL,
	"links" text[] DEFAULT '{}'::text[] NOT NULL,
	"observables" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"audience" jsonb NOT NULL,
	"revision" integer DEFAULT 0 NOT NULL,
	"paused_at" timestamp with time zone,
	"source_incident_id" uuid,
	"created_by_user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	CONSTRAINT "bulletins_reference_unique" UNIQUE("reference")
);
--> statement-breakpoint
ALTER TABLE "bulletin_deliveries" ADD CONSTRAINT "bulletin_deliveries_bulletin_id_bulletins_id_fk" FOREIGN KEY ("bulletin_id") REFERENCES "public"."bulletins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulletin_deliveries" ADD CONSTRAINT "bulletin_deliveries_recipient_id_bulletin_recipients_id_fk" FOREIGN KEY ("recipient_id") REFERENCES "public"."bulletin_recipients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulletin_recipients" ADD CONSTRAINT "bulletin_recipients_bulletin_id_bulletins_id_fk" FOREIGN KEY ("bulletin_id") REFERENCES "public"."bulletins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulletin_recipients" ADD CONSTRAINT "bulletin_recipients_establishment_id_establishments_id_fk" FOREIGN KEY ("establishment_id") REFERENCES "public"."establishments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulletin_recipients" ADD CONSTRAINT "bulletin_recipients_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulletin_revisions" ADD CONSTRAINT "bulletin_revisions_bulletin_id_bulletins_id_fk" FOREIGN KEY ("bulletin_id") REFERENCES "public"."bulletins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulletin_revisions" ADD CONSTRAINT "bulletin_revisions_published_by_user_id_users_id_fk" FOREIGN KEY ("published_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulletins" ADD CONSTRAINT "bulletins_source_incident_id_incidents_id_fk" FOREIGN KEY ("source_incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulletins" ADD CONSTRAINT "bulletins_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bulletin_deliveries_bulletin_idx" ON "bulletin_deliveries" USING btree ("bulletin_id","status");--> statement-breakpoint
CREATE INDEX "bulletin_deliveries_due_idx" ON "bulletin_deliveries" USING btree ("next_attempt_at") WHERE "bulletin_deliveries"."status" IN ('queued', 'deferred');--> statement-breakpoint
CREATE INDEX "bulletin_recipients_establishment_idx" ON "bulletin_recipients" USING btree ("establishment_id","bulletin_id");--> statement-breakpoint
CREATE INDEX "bulletin_recipients_user_idx" ON "bulletin_recipients" USING btree ("user_id") WHERE "bulletin_recipients"."user_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "bulletins_status_idx" ON "bulletins" USING btree ("status","id" DESC NULLS LAST);