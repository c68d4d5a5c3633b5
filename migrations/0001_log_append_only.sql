-- The main courante is evidence: the database itself refuses to change or remove an entry.
CREATE OR REPLACE FUNCTION incident_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'incident_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER incident_log_no_update BEFORE UPDATE OR DELETE ON incident_log
  FOR EACH ROW EXECUTE FUNCTION incident_log_append_only();
--> statement-breakpoint
CREATE TRIGGER incident_log_no_truncate BEFORE TRUNCATE ON incident_log
  FOR EACH STATEMENT EXECUTE FUNCTION incident_log_append_only();
