ALTER TABLE "incidents" ADD COLUMN "channel" text DEFAULT 'form' NOT NULL;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_channel" CHECK ("incidents"."channel" IN ('form', 'api', 'email', 'phone'));--> statement-breakpoint
-- The declarations made before the channel was recorded: an API key's came through the API, an analyst's
-- were made on behalf of an establishment that called (the only way the pole was told then), the rest
-- through the form (the default above). Only those rows are rewritten, without announcing each of them
-- to the live queue as a change (nothing a subscriber sees has changed; the table is locked already).
ALTER TABLE "incidents" DISABLE TRIGGER "incidents_changed_notify";--> statement-breakpoint
UPDATE "incidents" SET "channel" = 'api' WHERE "declared_by_api_key_id" IS NOT NULL;--> statement-breakpoint
UPDATE "incidents" i SET "channel" = 'phone' FROM "users" u WHERE u."id" = i."declared_by_user_id" AND u."role" = 'analyst';--> statement-breakpoint
ALTER TABLE "incidents" ENABLE TRIGGER "incidents_changed_notify";--> statement-breakpoint
-- A declaration's stored answer is replayed as the 201 it was: it now says its channel too.
UPDATE "idempotency_keys" k SET "response_body" = jsonb_set(k."response_body", '{channel}', to_jsonb(i."channel"))
FROM "incidents" i
WHERE k."response_status" = 201 AND i."id"::text = k."response_body"->>'id' AND NOT k."response_body" ? 'channel';--> statement-breakpoint
-- declare_incident() as in 0023, its incident insert taking the channel the service decided.
CREATE OR REPLACE FUNCTION declare_incident(doc jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  idem jsonb := doc->'idempotency';
  stored idempotency_keys%ROWTYPE;
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

  INSERT INTO incident_observables (id, incident_id, type, value, normalized, comment)
  SELECT id, incident_id, type, value, normalized, comment
  FROM jsonb_populate_recordset(NULL::incident_observables, doc->'observables');

  INSERT INTO incident_clocks (id, incident_id, kind, starts_at, due_at, done_at, provisional)
  SELECT id, incident_id, kind, starts_at, due_at, done_at, provisional
  FROM jsonb_populate_recordset(NULL::incident_clocks, doc->'clocks');

  INSERT INTO incident_log (id, incident_id, seq, at, actor_user_id, actor_api_key_id, kind, visibility, body, prev_hash, hash)
  SELECT id, incident_id, seq, at, actor_user_id, actor_api_key_id, kind, visibility, body, prev_hash, hash
  FROM jsonb_populate_record(NULL::incident_log, doc->'log');

  INSERT INTO outbox (id, topic, aggregate_id, payload, trace_context)
  SELECT id, topic, aggregate_id, payload, trace_context FROM jsonb_populate_record(NULL::outbox, doc->'outbox');

  -- From here to the commit every other declaration of the region waits: only the incident row itself,
  -- the stored answer and the deferred foreign-key checks of the rows above remain.
  INSERT INTO reference_counters AS c (scope, year, last)
  VALUES (doc->>'scope', (doc->>'year')::int, 1)
  ON CONFLICT (scope, year) DO UPDATE SET last = c.last + 1
  RETURNING last INTO drawn;
  -- At least four digits, never truncated: the same format as incidentReference() in @pris/domain.
  ref := (doc->>'prefix') || lpad(drawn::text, greatest(4, length(drawn::text)), '0');

  INSERT INTO incidents (
    id, reference, establishment_id, status, severity, severity_suggested, severity_reasons, tlp, title, description,
    declarant, detected_at, started_at, ongoing, rsit_class, rsit_type, suspected_malicious, affected_services,
    affected_services_other, impact_grade, spread, personal_data_breach, personal_data_people, measures_taken,
    support_requested, support_details, national_portal_declared, national_portal_reference,
    national_portal_declared_at, complaint_filed, declared_by_user_id, declared_by_api_key_id, declared_at, channel,
    updated_at, ack_due_at, next_deadline_at)
  SELECT
    id, ref, establishment_id, status, severity, severity_suggested, severity_reasons, tlp, title,
    description, declarant, detected_at, started_at, ongoing, rsit_class, rsit_type, suspected_malicious,
    affected_services, affected_services_other, impact_grade, spread, personal_data_breach, personal_data_people,
    measures_taken, support_requested, support_details, national_portal_declared, national_portal_reference,
    national_portal_declared_at, complaint_filed, declared_by_user_id, declared_by_api_key_id, declared_at, channel,
    updated_at, ack_due_at, next_deadline_at
  FROM jsonb_populate_record(NULL::incidents, doc->'incident');

  IF idem IS NOT NULL THEN
    INSERT INTO idempotency_keys (principal, key, request_hash, response_status, response_body)
    VALUES (idem->>'principal', idem->>'key', idem->>'fingerprint', 201,
            jsonb_set(doc->'answer', '{reference}', to_jsonb(ref)));
  END IF;
  RETURN jsonb_build_object('outcome', 'created', 'reference', ref);
END;
$$;
