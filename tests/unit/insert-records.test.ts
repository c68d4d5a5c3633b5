import { insertRecords, timers } from "@pris/db";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, test } from "vitest";

const dialect = new PgDialect();
const incident = "0193a5b2-0000-7000-8000-000000000001";
const timer = (kind: "sla.missed" | "sla.remind", dueAt: string) => ({
  kind,
  subjectId: incident,
  dueAt: new Date(dueAt),
  payload: { incidentId: incident, deadline: dueAt },
});

describe("insertRecords: many rows in one JSON parameter", () => {
  test("names the given columns and the generated id, and carries every row in one parameter", () => {
    const query = dialect.sqlToQuery(
      insertRecords(timers, [
        timer("sla.remind", "2026-12-07T10:00:00.000Z"),
        timer("sla.missed", "2026-12-07T11:00:00.000Z"),
      ]),
    );
    expect(query.sql).toBe(
      'INSERT INTO "timers" ("kind", "subject_id", "due_at", "payload", "id") SELECT "kind", "subject_id", "due_at", "payload", "id" FROM jsonb_populate_recordset(NULL::"timers", $1::jsonb)',
    );
    expect(query.params).toHaveLength(1);
    const rows = JSON.parse(query.params[0] as string) as Record<string, unknown>[];
    expect(rows).toHaveLength(2);
    // As drizzle makes them: a UUIDv7 each, instants as ISO text, JSON left as JSON.
    expect(rows[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(rows[1]!.id).not.toBe(rows[0]!.id);
    expect(rows[1]).toMatchObject({
      kind: "sla.missed",
      subject_id: incident,
      due_at: "2026-12-07T11:00:00.000Z",
      payload: { incidentId: incident, deadline: "2026-12-07T11:00:00.000Z" },
    });
  });

  test("refuses no rows, and rows that do not give the same columns", () => {
    expect(() => insertRecords(timers, [])).toThrow(/no row to insert into timers/);
    const { payload: _, ...withoutPayload } = timer("sla.missed", "2026-12-07T11:00:00.000Z");
    expect(() =>
      insertRecords(timers, [timer("sla.remind", "2026-12-07T10:00:00.000Z"), withoutPayload]),
    ).toThrow(/every row of timers must give the same columns/);
    // As many columns, not the same ones: the second row's payload would be NULL, not what it meant.
    expect(() =>
      insertRecords(timers, [
        timer("sla.remind", "2026-12-07T10:00:00.000Z"),
        { ...withoutPayload, attempts: 1 },
      ]),
    ).toThrow(/every row of timers must give the same columns/);
  });
});
