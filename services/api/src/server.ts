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

/**
 * SIGTERM drains: the server stops accepting connections (a request on a kept-alive one gets 503), ends
 * the live event streams (their EventSource reconnects to another replica), lets the requests in flight
 * finish, then closes the Redis and PostgreSQL connections. Past SHUTDOWN_TIMEOUT_SECONDS it exits
 * anyway, with 1.
 */
let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  app.log.info({ signal }, "shutting down");
  const force = setTimeout(() => {
    app.log.error({ timeoutSeconds: config.SHUTDOWN_TIMEOUT_SECONDS }, "shutdown timed out; exiting");
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_SECONDS * 1000).unref();
  try {
    await app.close();
    await telemetry.shutdown();
    clearTimeout(force);
    app.log.info("stopped");
    process.exit(0);
  } catch (err) {
    app.log.error({ err }, "shutdown failed");
    process.exit(1);
  }
}
// A request in flight when the shutdown begins is answered, and its keep-alive connection closed with
// it: left idle, it would hold the server's close until the client or the keep-alive timeout ends it.
app.addHook("onSend", async (_request, reply) => {
  if (closing) reply.header("connection", "close");
});
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

await app.listen({ host: config.HOST, port: config.PORT });
