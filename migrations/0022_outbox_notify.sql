-- The worker's relay is woken when outbox rows commit instead of waiting for its next poll. A trigger
-- rather than a NOTIFY in the writing code: every writer is covered (writeOutbox, the bulk inserts of
-- invitations, SQL functions), and none can forget it. One notification per statement, payload-free:
-- the relay reads the rows itself, so a bulk insert costs one NOTIFY, and PostgreSQL folds identical
-- notifications of one transaction into one. NOTIFY is delivered at commit and never for a rolled-back
-- transaction; the relay's poll stays the safety net for a notification missed while it reconnects.
CREATE OR REPLACE FUNCTION notify_outbox_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('pris_outbox', '');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER outbox_inserted_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox_insert();
