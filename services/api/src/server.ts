import { ConfigError, loadConfig } from "@pris/config";
import { ensureDatabase, migrate } from "@pris/db";
import { startTelemetry } from "@pris/telemetry";
import { buildApp } from "./app.ts";
import { ensureFirstAdmin } from "./bootstrap.ts";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(78);
}

if (config.MIGRATE_ON_START) {
  await ensureDatabase(config.DATABASE_URL).catch(() => {});
  await migrate(config.DATABASE_URL);
}
// Before the app: its tracing plugin is registered only when the SDK runs.
const telemetry = await startTelemetry(config, "pris-api");
const app = await buildApp(config);
if (await ensureFirstAdmin(app.database.db, config.ADMIN_EMAIL, config.ADMIN_PASSWORD)) {
  app.log.info({ email: config.ADMIN_EMAIL }, "first administrator created");
}

let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  app.log.info({ signal }, "shutting down");
  const force = setTimeout(() => process.exit(1), 15_000).unref();
  try {
    await app.close();
    await telemetry.shutdown();
    clearTimeout(force);
    process.exit(0);
  } catch (err) {
    app.log.error({ err }, "shutdown failed");
    process.exit(1);
  }
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

await app.listen({ host: config.HOST, port: config.PORT });
