import { type Config, redisSentinelOptions } from "@pris/config";
import { configureLogChain, createDatabase, type Database } from "@pris/db";
import fp from "fastify-plugin";
import { Redis } from "ioredis";
import { DirectoryCache } from "../directory-cache.ts";

declare module "fastify" {
  interface FastifyInstance {
    config: Config;
    database: Database;
    /**
     * Where the statistics and the exports read: the replica of DATABASE_READ_URL, or the primary when it is
     * unset. Nothing that a journey reads right after writing it comes from here.
     */
    readDatabase: Database;
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
    const readDatabase = config.DATABASE_READ_URL
      ? createDatabase({
          url: config.DATABASE_READ_URL,
          max: Math.max(2, Math.ceil(config.DATABASE_POOL_MAX / 4)),
          applicationName: "pris-api-read",
          timeZone: config.REGION_TIMEZONE,
        })
      : database;
    app.decorate("readDatabase", readDatabase);
    const redis = new Redis(config.REDIS_URL, {
      ...redisSentinelOptions(config),
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
      if (readDatabase !== database) await readDatabase.close();
      await database.close();
    });
  },
  { name: "infra" },
);
