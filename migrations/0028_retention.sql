ALTER TABLE "evidence_files" ADD COLUMN "purged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "mail_intake" ADD COLUMN "purged_at" timestamp with time zone;
