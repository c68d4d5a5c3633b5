-- Counts per status for the last filters that read open incidents' rows to count them at 1M
-- incidents: one RSIT class (98 ms → 3 ms) and the task force's part, P1 or crisis cell (117 ms → 16 ms).
CREATE INDEX "incidents_queue_rsit_idx" ON "incidents" USING btree ("rsit_class","status") WHERE "incidents"."status" NOT IN ('closed', 'rejected', 'merged');--> statement-breakpoint
CREATE INDEX "incidents_queue_crisis_idx" ON "incidents" USING btree ("severity","status") WHERE "incidents"."crisis_cell" AND "incidents"."status" NOT IN ('closed', 'rejected', 'merged');