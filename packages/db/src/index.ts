export * from "./client.ts";
export * from "./column-record.ts";
export * from "./exercise-queries.ts";
export * from "./incident-log.ts";
export * from "./outbox.ts";
export * as schema from "./schema.ts";
export * from "./schema.ts";
export * from "./schema-bulletins.ts";
export * from "./schema-exercises.ts";
