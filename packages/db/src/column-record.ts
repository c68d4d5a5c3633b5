import { type Column, getTableColumns, getTableName, type SQL, sql, type Table } from "drizzle-orm";

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

/**
 * `INSERT INTO table (…) SELECT … FROM jsonb_populate_recordset(…)`: many rows in one JSON parameter,
 * values made as drizzle makes them (`$defaultFn` ids included; the database's defaults for the columns
 * no row gives). For the bulk inserts of a burst of declarations (their timers, their e-mails): drizzle
 * builds a multi-row VALUES list value by value, some 40 µs a row on this machine, where this costs a
 * JSON.stringify. At least one row, every row giving the same columns; a value left undefined is NULL, not
 * the column's default. The caller adds ON CONFLICT and RETURNING, and reads what is returned by the
 * database's column names.
 */
export function insertRecords<T extends Table>(table: T, rows: T["$inferInsert"][]): SQL {
  const name = getTableName(table);
  if (rows.length === 0) throw new Error(`insertRecords: no row to insert into ${name}`);
  const columns = getTableColumns(table) as Record<string, Column>;
  const keys = Object.keys(rows[0]!);
  const given = keys.filter((key) => columns[key]);
  const generated = Object.keys(columns).filter((key) => columns[key]!.defaultFn && !given.includes(key));
  const records = rows.map((row) => {
    const values = row as Record<string, unknown>;
    if (Object.keys(values).length !== keys.length || !keys.every((key) => key in values)) {
      throw new Error(`insertRecords: every row of ${name} must give the same columns`);
    }
    const complete: Record<string, unknown> = { ...values };
    for (const key of generated) complete[key] = columns[key]!.defaultFn!();
    return columnRecord(table, complete as T["$inferInsert"]);
  });
  const names = sql.join(
    [...given, ...generated].map((key) => sql.identifier(columns[key]!.name)),
    sql`, `,
  );
  return sql`INSERT INTO ${table} (${names}) SELECT ${names} FROM jsonb_populate_recordset(NULL::${table}, ${JSON.stringify(records)}::jsonb)`;
}
