-- API processes cache API keys and establishments (every declaration reads both); any change that
-- matters to them, by whatever writer, tells them to drop their cache. The once-a-minute record of
-- an API key's last use is not such a change.
CREATE OR REPLACE FUNCTION notify_directory_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('pris_directory', TG_TABLE_NAME);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER api_keys_changed AFTER INSERT OR DELETE OR TRUNCATE ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION notify_directory_change();
--> statement-breakpoint
CREATE TRIGGER api_keys_updated AFTER UPDATE OF establishment_id, name, prefix, secret_hash, revoked_at ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION notify_directory_change();
--> statement-breakpoint
CREATE TRIGGER establishments_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON establishments
  FOR EACH STATEMENT EXECUTE FUNCTION notify_directory_change();
