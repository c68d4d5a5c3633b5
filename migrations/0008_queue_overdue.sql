-- "A deadline is overdue" is next_deadline_at < now (every writer keeps it the nearest open deadline, in
-- the same transaction): the head of each severity in the queue's order. With the status in the index,
-- the overdue counts and pages read that range only; the clocks and missed-acknowledgement lookups
-- are no longer needed.
DROP INDEX "incidents_queue_idx";--> statement-breakpoint
DROP INDEX "incidents_queue_ack_due_idx";--> statement-breakpoint
CREATE INDEX "incidents_queue_order_idx" ON "incidents" USING btree ("severity",COALESCE("next_deadline_at", 'infinity'::timestamptz),"id","status") WHERE "incidents"."status" NOT IN ('closed', 'rejected', 'merged');--> statement-breakpoint
-- PostgreSQL ignores the statistics of partial indexes' expressions: without these it guesses a third
-- of the rows are overdue and reads every open incident to count them.
CREATE STATISTICS "incidents_next_deadline_stats" ON (COALESCE("next_deadline_at", 'infinity'::timestamptz)) FROM "incidents";
