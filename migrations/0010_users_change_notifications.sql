-- The API caches who a signed-in user is (role, establishments) like API keys and establishments;
-- a change to what that depends on drops the cache. Recording a login's time is not such a change.
CREATE TRIGGER users_changed AFTER INSERT OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION notify_directory_change();
--> statement-breakpoint
CREATE TRIGGER users_updated AFTER UPDATE OF role, active, establishment_id, ght_id, display_name ON users
  FOR EACH STATEMENT EXECUTE FUNCTION notify_directory_change();
