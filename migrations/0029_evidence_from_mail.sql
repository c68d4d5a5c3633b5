ALTER TABLE "evidence_files" ADD COLUMN "uploaded_by_mail_intake_id" uuid;--> statement-breakpoint
ALTER TABLE "evidence_files" ADD CONSTRAINT "evidence_files_uploaded_by_mail_intake_id_mail_intake_id_fk" FOREIGN KEY ("uploaded_by_mail_intake_id") REFERENCES "public"."mail_intake"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_files" DROP CONSTRAINT "evidence_files_uploaded_by";--> statement-breakpoint
ALTER TABLE "evidence_files" ADD CONSTRAINT "evidence_files_uploaded_by" CHECK (num_nonnulls("evidence_files"."uploaded_by_user_id", "evidence_files"."uploaded_by_api_key_id", "evidence_files"."uploaded_by_mail_intake_id") = 1);
