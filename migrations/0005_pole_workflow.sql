CREATE TABLE "incident_tasks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"incident_id" uuid NOT NULL,
	"title" text NOT NULL,
	"owner_user_id" uuid,
	"due_at" timestamp with time zone,
	"done_at" timestamp with time zone,
	"created_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "timers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"fired_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "timers_subject_kind_due_key" UNIQUE("subject_id","kind","due_at")
);
--> statement-breakpoint
ALTER TABLE "incident_clocks" ADD COLUMN "reference" text;--> statement-breakpoint
ALTER TABLE "incident_clocks" ADD COLUMN "authority" text;--> statement-breakpoint
ALTER TABLE "incident_clocks" ADD COLUMN "note" text;--> statement-breakpoint
ALTER TABLE "incident_clocks" ADD COLUMN "late_reason" text;--> statement-breakpoint
ALTER TABLE "incident_clocks" ADD COLUMN "recorded_by_user_id" uuid;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "assignee_user_id" uuid;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "previous_status" text;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "follow_up_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "merged_into_id" uuid;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "severity_override_reason" text;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "crisis_cell" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "escalated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "acknowledged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "contained_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "closed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "closure" jsonb;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "ack_due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "next_deadline_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "duty" text;--> statement-breakpoint
ALTER TABLE "incident_tasks" ADD CONSTRAINT "incident_tasks_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_tasks" ADD CONSTRAINT "incident_tasks_owner_user_id_users_id_fk" FOREIGN KEY ("owner_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_tasks" ADD CONSTRAINT "incident_tasks_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "incident_tasks_incident_idx" ON "incident_tasks" USING btree ("incident_id");--> statement-breakpoint
CREATE INDEX "timers_pending_idx" ON "timers" USING btree ("due_at") WHERE "timers"."fired_at" IS NULL AND "timers"."cancelled_at" IS NULL;--> statement-breakpoint
ALTER TABLE "incident_clocks" ADD CONSTRAINT "incident_clocks_recorded_by_user_id_users_id_fk" FOREIGN KEY ("recorded_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_assignee_user_id_users_id_fk" FOREIGN KEY ("assignee_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_merged_into_id_incidents_id_fk" FOREIGN KEY ("merged_into_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- declare_incident() now also stores the service-level due time and the queue's next deadline.
CREATE OR REPLACE FUNCTION declare_incident(doc jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  idem jsonb := doc->'idempotency';
  stored idempotency_keys%ROWTYPE;
  new_id uuid := (doc#>>'{incident,id}')::uuid;
  drawn integer;
  ref text;
BEGIN
  IF idem IS NOT NULL THEN
    -- A request with the same key still being processed holds this lock.
    IF NOT pg_try_advisory_xact_lock(hashtextextended((idem->>'principal') || E'\n' || (idem->>'key'), 0)) THEN
      RETURN jsonb_build_object('outcome', 'in_flight');
    END IF;
    SELECT * INTO stored FROM idempotency_keys WHERE principal = idem->>'principal' AND key = idem->>'key';
    IF FOUND THEN
      IF stored.created_at < now() - make_interval(hours => (idem->>'ttlHours')::int) THEN
        DELETE FROM idempotency_keys WHERE principal = stored.principal AND key = stored.key;
      ELSIF stored.request_hash <> idem->>'fingerprint' THEN
        RETURN jsonb_build_object('outcome', 'key_reused');
      ELSE
        RETURN jsonb_build_object('outcome', 'replay', 'status', stored.response_status, 'body', stored.response_body);
      END IF;
    END IF;
  END IF;

  INSERT INTO incidents (
    id, reference, establishment_id, status, severity, severity_suggested, severity_reasons, tlp, title, description,
    declarant, detected_at, started_at, ongoing, rsit_class, rsit_type, suspected_malicious, affected_services,
    affected_services_other, impact_grade, spread, personal_data_breach, personal_data_people, measures_taken,
    support_requested, support_details, national_portal_declared, national_portal_reference,
    national_portal_declared_at, complaint_filed, declared_by_user_id, declared_by_api_key_id, declared_at, updated_at,
    ack_due_at, next_deadline_at)
  SELECT
    id, 'pending:' || id, establishment_id, status, severity, severity_suggested, severity_reasons, tlp, title,
    description, declarant, detected_at, started_at, ongoing, rsit_class, rsit_type, suspected_malicious,
    affected_services, affected_services_other, impact_grade, spread, personal_data_breach, personal_data_people,
    measures_taken, support_requested, support_details, national_portal_declared, national_portal_reference,
    national_portal_declared_at, complaint_filed, declared_by_user_id, declared_by_api_key_id, declared_at, updated_at,
    ack_due_at, next_deadline_at
  FROM jsonb_populate_record(NULL::incidents, doc->'incident');

  INSERT INTO incident_observables (id, incident_id, type, value, normalized, comment)
  SELECT id, incident_id, type, value, normalized, comment
  FROM jsonb_populate_recordset(NULL::incident_observables, doc->'observables');

  INSERT INTO incident_clocks (id, incident_id, kind, starts_at, due_at, done_at, provisional)
  SELECT id, incident_id, kind, starts_at, due_at, done_at, provisional
  FROM jsonb_populate_recordset(NULL::incident_clocks, doc->'clocks');

  INSERT INTO incident_log (id, incident_id, seq, at, actor_user_id, actor_api_key_id, kind, visibility, body, prev_hash, hash)
  SELECT id, incident_id, seq, at, actor_user_id, actor_api_key_id, kind, visibility, body, prev_hash, hash
  FROM jsonb_populate_record(NULL::incident_log, doc->'log');

  INSERT INTO outbox (id, topic, aggregate_id, payload)
  SELECT id, topic, aggregate_id, payload FROM jsonb_populate_record(NULL::outbox, doc->'outbox');

  -- Last: from here to the commit every other declaration of the region waits.
  INSERT INTO reference_counters AS c (scope, year, last)
  VALUES (doc->>'scope', (doc->>'year')::int, 1)
  ON CONFLICT (scope, year) DO UPDATE SET last = c.last + 1
  RETURNING last INTO drawn;
  -- At least four digits, never truncated: the same format as incidentReference() in @pris/domain.
  ref := (doc->>'prefix') || lpad(drawn::text, greatest(4, length(drawn::text)), '0');
  UPDATE incidents SET reference = ref WHERE id = new_id;

  IF idem IS NOT NULL THEN
    INSERT INTO idempotency_keys (principal, key, request_hash, response_status, response_body)
    VALUES (idem->>'principal', idem->>'key', idem->>'fingerprint', 201,
            jsonb_set(doc->'answer', '{reference}', to_jsonb(ref)));
  END IF;
  RETURN jsonb_build_object('outcome', 'created', 'reference', ref);
END;
$$;
