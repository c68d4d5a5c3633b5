CREATE TABLE "exercise_participations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"exercise_id" uuid NOT NULL,
	"establishment_id" uuid NOT NULL,
	"status" text DEFAULT 'planned' NOT NULL,
	"year" integer NOT NULL,
	"actions_total" integer DEFAULT 0 NOT NULL,
	"actions_closed" integer DEFAULT 0 NOT NULL,
	"hot_summary" text,
	"hot_on" date,
	"cold_summary" text,
	"cold_on" date,
	"submitted_at" timestamp with time zone,
	"validated_at" timestamp with time zone,
	"validated_by_user_id" uuid,
	"return_comment" text,
	"shared_at" timestamp with time zone,
	"share_tlp" text,
	"share_named" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "exercise_participations_exercise_establishment_key" UNIQUE("exercise_id","establishment_id")
);
--> statement-breakpoint
CREATE TABLE "exercises" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"level" text NOT NULL,
	"title" text NOT NULL,
	"scenario" text NOT NULL,
	"objectives" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"planned_on" date NOT NULL,
	"held_on" date,
	"participants" text DEFAULT '' NOT NULL,
	"organiser" text NOT NULL,
	"status" text DEFAULT 'planned' NOT NULL,
	"cancel_reason" text,
	"created_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "improvement_actions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"participation_id" uuid NOT NULL,
	"finding_id" uuid,
	"title" text NOT NULL,
	"owner" text NOT NULL,
	"due_on" date NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"closed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "retex_findings" (
	"id" uuid PRIMARY KEY NOT NULL,
	"participation_id" uuid NOT NULL,
	"phase" text NOT NULL,
	"theme" text NOT NULL,
	"polarity" text NOT NULL,
	"text" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "establishments" ADD COLUMN "active_from" date;--> statement-breakpoint
ALTER TABLE "establishments" ADD COLUMN "active_until" date;--> statement-breakpoint
ALTER TABLE "exercise_participations" ADD CONSTRAINT "exercise_participations_exercise_id_exercises_id_fk" FOREIGN KEY ("exercise_id") REFERENCES "public"."exercises"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exercise_participations" ADD CONSTRAINT "exercise_participations_establishment_id_establishments_id_fk" FOREIGN KEY ("establishment_id") REFERENCES "public"."establishments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exercise_participations" ADD CONSTRAINT "exercise_participations_validated_by_user_id_users_id_fk" FOREIGN KEY ("validated_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exercises" ADD CONSTRAINT "exercises_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "improvement_actions" ADD CONSTRAINT "improvement_actions_participation_id_exercise_participations_id_fk" FOREIGN KEY ("participation_id") REFERENCES "public"."exercise_participations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "improvement_actions" ADD CONSTRAINT "improvement_actions_finding_id_retex_findings_id_fk" FOREIGN KEY ("finding_id") REFERENCES "public"."retex_findings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "retex_findings" ADD CONSTRAINT "retex_findings_participation_id_exercise_participations_id_fk" FOREIGN KEY ("participation_id") REFERENCES "public"."exercise_participations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "exercise_participations_year_idx" ON "exercise_participations" USING btree ("year","establishment_id","status","actions_total","actions_closed");--> statement-breakpoint
CREATE INDEX "exercise_participations_establishment_idx" ON "exercise_participations" USING btree ("establishment_id","year","status","actions_total","actions_closed");--> statement-breakpoint
CREATE INDEX "exercise_participations_shared_idx" ON "exercise_participations" USING btree ("shared_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "exercise_participations"."shared_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "exercises_planned_idx" ON "exercises" USING btree ("planned_on" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "improvement_actions_participation_idx" ON "improvement_actions" USING btree ("participation_id");--> statement-breakpoint
CREATE INDEX "improvement_actions_open_due_idx" ON "improvement_actions" USING btree ("due_on") WHERE "improvement_actions"."status" IN ('open', 'in_progress');--> statement-breakpoint
CREATE INDEX "retex_findings_participation_idx" ON "retex_findings" USING btree ("participation_id");