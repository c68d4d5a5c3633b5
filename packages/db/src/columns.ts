import { date, timestamp, uuid } from "drizzle-orm/pg-core";
import { v7 as uuidv7 } from "uuid";

/** Every table's key: a UUIDv7, made by the application so that ids sort by creation. */
export const id = () =>
  uuid("id")
    .primaryKey()
    .$defaultFn(() => uuidv7());
/** An instant, stored in UTC. */
export const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
export const createdAt = () => at("created_at").notNull().defaultNow();
/** A calendar day in the region, as YYYY-MM-DD. */
export const day = (name: string) => date(name, { mode: "string" });
