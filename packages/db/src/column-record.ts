import { getTableColumns, type Table } from "drizzle-orm";

/**
 * A row as PostgreSQL's jsonb_populate_record reads it: keys are the column names of the drizzle
 * schema, values as the driver would send them (dates as ISO text), JSON columns left as JSON.
 */
export function columnRecord<T extends Table>(table: T, values: T["$inferInsert"]): Record<string, unknown> {
  const columns = getTableColumns(table) as Record<string, T["_"]["columns"][string]>;
  const record: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
    const column = columns[key];
    if (!column || value === undefined) continue;
    record[column.name] =
      value === null || column.getSQLType() === "jsonb" ? value : column.mapToDriverValue(value);
  }
  return record;
}
