import { loadConfig } from "@pris/config";
import { ensureDatabase, migrate } from "../client.ts";

const config = loadConfig();
await ensureDatabase(config.DATABASE_URL);
await migrate(config.DATABASE_URL);
console.log("migrations applied");
