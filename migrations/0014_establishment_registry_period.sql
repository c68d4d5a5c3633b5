-- The exercise obligation needs the day an establishment left the registry: deactivating one records it
-- (the database's current day; the API's zone and the server's differ by hours at most), reactivating
-- clears it. Done here so that every path that flips `active` — the API, an operator's SQL — keeps it.
CREATE FUNCTION establishments_registry_period() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.active AND NOT NEW.active AND NEW.active_until IS NULL THEN
    NEW.active_until := current_date;
  ELSIF NOT OLD.active AND NEW.active AND NEW.active_until IS NOT DISTINCT FROM OLD.active_until THEN
    NEW.active_until := NULL;
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER establishments_registry_period BEFORE UPDATE OF active ON establishments
  FOR EACH ROW EXECUTE FUNCTION establishments_registry_period();
--> statement-breakpoint
UPDATE establishments SET active_until = updated_at::date WHERE NOT active AND active_until IS NULL;
