CREATE TABLE "access_traces" (
	"id" uuid PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"user_id" uuid,
	"api_key_id" uuid,
	"role" text NOT NULL,
	"establishment_id" uuid,
	"object_kind" text NOT NULL,
	"object_id" uuid,
	"action" text NOT NULL,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"query" text,
	"status_code" integer NOT NULL,
	"ip" "inet",
	"user_agent" text
);
--> statement-breakpoint
CREATE INDEX "access_traces_at_idx" ON "access_traces" USING btree ("at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "access_traces_user_idx" ON "access_traces" USING btree ("user_id","at" DESC NULLS LAST) WHERE "access_traces"."user_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "access_traces_object_idx" ON "access_traces" USING btree ("object_id","at" DESC NULLS LAST) WHERE "access_traces"."object_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "access_traces_establishment_idx" ON "access_traces" USING btree ("establishment_id","at" DESC NULLS LAST) WHERE "access_traces"."establishment_id" IS NOT NULL;