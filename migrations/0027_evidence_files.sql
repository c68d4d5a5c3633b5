CREATE TABLE "evidence_files" (
	"id" uuid PRIMARY KEY NOT NULL,
	"incident_id" uuid NOT NULL,
	"uploaded_by_user_id" uuid,
	"uploaded_by_api_key_id" uuid,
	"original_name" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"sha256" text NOT NULL,
	"detected_mime" text,
	"detected_ext" text,
	"declared_mime" text,
	"storage_key" text NOT NULL,
	"scan_status" text NOT NULL,
	"scan_detail" text,
	"scanned_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "evidence_files_scan_status" CHECK ("evidence_files"."scan_status" IN ('pending', 'clean', 'infected', 'unscannable')),
	CONSTRAINT "evidence_files_uploaded_by" CHECK (num_nonnulls("evidence_files"."uploaded_by_user_id", "evidence_files"."uploaded_by_api_key_id") = 1)
);
--> statement-breakpoint
ALTER TABLE "evidence_files" ADD CONSTRAINT "evidence_files_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "evidence_files_incident_idx" ON "evidence_files" USING btree ("incident_id","created_at","id");