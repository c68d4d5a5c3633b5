import type { Config } from "@pris/config";
import { configureLogChain, createDatabase, type Database } from "@pris/db";
import fp from "fastify-plugin";
import { Redis } from "ioredis";
import { DirectoryCache } from "../directory-cache.ts";

declare module "fastify" {
  interface FastifyInstance {
    config: Config;
    database: Database;
    /** Used for readiness only: the API never needs Redis to accept a declaration. */
    redis: Redis;
    directoryCache: DirectoryCache;
  }
}

export default fp(
  async (app, opts: { config: Config }) => {
    const { config } = opts;
    app.decorate("config", config);
    // Every writer of the main courante in this process hashes under this key.
    configureLogChain(config);
    const database = createDatabase({
      url: config.DATABASE_URL,
      max: config.DATABASE_POOL_MAX,
      applicationName: "pris-api",
      timeZone: config.REGION_TIMEZONE,
    });
    app.decorate("database", database);
    const redis = new Redis(config.REDIS_URL, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 500, 5000),
    });
    redis.on("error", (err) => app.log.debug({ err: err.message }, "redis unavailable"));
    redis.connect().catch(() => {});
    app.decorate("redis", redis);
    const directoryCache = new DirectoryCache(config.DATABASE_URL, app.log);
    await directoryCache.start();
    app.decorate("directoryCache", directoryCache);
    app.addHook("onClose", async () => {
      await directoryCache.close();
      redis.disconnect();
      await database.close();
    });
  },
  { name: "infra" },
);
