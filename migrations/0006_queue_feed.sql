-- Text search on the queue (title and reference, any part of them) uses trigram indexes.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
-- The analysts' queue is live: every committed declaration or change of an incident, by whatever
-- writer, is announced on the `pris_incidents` channel. Ids only — each API process re-reads the rows
-- once, within each subscriber's scope, before telling the browsers. NOTIFY is delivered at commit and
-- never for a rolled-back transaction.
CREATE OR REPLACE FUNCTION notify_incident_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(
    'pris_incidents',
    json_build_object('op', CASE TG_OP WHEN 'INSERT' THEN 'declared' ELSE 'changed' END, 'id', NEW.id)::text
  );
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER incidents_declared_notify AFTER INSERT ON incidents
  FOR EACH ROW EXECUTE FUNCTION notify_incident_change();
--> statement-breakpoint
-- declare_incident() numbers its row right after inserting it: that is still the declaration.
CREATE TRIGGER incidents_changed_notify AFTER UPDATE ON incidents
  FOR EACH ROW WHEN (OLD.reference NOT LIKE 'pending:%' AND OLD.* IS DISTINCT FROM NEW.*)
  EXECUTE FUNCTION notify_incident_change();
