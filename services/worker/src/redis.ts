import { type Config, redisSentinelOptions } from "@pris/config";
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "./logger.ts";

type RedisSettings = Pick<Config, "REDIS_URL" | "REDIS_SENTINELS" | "REDIS_SENTINEL_MASTER">;

/**
 * BullMQ workers block on Redis and must wait for it forever: their connection never gives up
 * on a command (maxRetriesPerRequest: null), as BullMQ requires.
 */
export function createWorkerConnection(config: RedisSettings, logger: Logger, name: string): Redis {
  const options: RedisOptions = {
    ...redisSentinelOptions(config),
    maxRetriesPerRequest: null,
    connectionName: name,
  };
  return watch(new Redis(config.REDIS_URL, options), logger, name);
}

/**
 * Producers must fail fast instead: the outbox relay adds jobs inside a PostgreSQL transaction,
 * and a command queued while Redis is away would hold that transaction open. With the offline
 * queue off, a command sent while disconnected is rejected at once and the relay rolls back.
 */
export function createProducerConnection(config: RedisSettings, logger: Logger, name: string): Redis {
  const options: RedisOptions = {
    ...redisSentinelOptions(config),
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 5_000,
  };
  return watch(new Redis(config.REDIS_URL, options), logger, name);
}

/** Logs a lost connection once per outage rather than on every reconnection attempt. */
function watch(client: Redis, logger: Logger, name: string): Redis {
  let down = false;
  client.on("error", (err: Error) => {
    if (down) return;
    down = true;
    logger.error({ err, connection: name }, "redis connection error; reconnecting");
  });
  client.on("ready", () => {
    if (!down) return;
    down = false;
    logger.info({ connection: name }, "redis connection back");
  });
  return client;
}

/** QUIT when the server answers; otherwise drop the socket instead of waiting for a reconnection. */
export async function closeConnection(client: Redis, timeoutMs = 2_000): Promise<void> {
  if (client.status === "end") return;
  if (client.status !== "ready") {
    client.disconnect();
    return;
  }
  const timer = setTimeout(() => client.disconnect(), timeoutMs);
  try {
    await client.quit();
  } catch {
    client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * BullMQ keeps its state in Redis: if Redis may evict keys under memory pressure, jobs vanish
 * silently. Managed services often disable CONFIG; then we cannot tell and say so.
 */
export async function checkEvictionPolicy(client: Redis, logger: Logger): Promise<string | undefined> {
  try {
    const reply = (await client.call("CONFIG", "GET", "maxmemory-policy")) as string[];
    const policy = reply[1];
    if (policy !== "noeviction") {
      logger.warn(
        { maxmemoryPolicy: policy },
        `REDIS MAXMEMORY-POLICY IS "${policy}", NOT "noeviction": under memory pressure Redis may evict queued jobs. Set maxmemory-policy noeviction.`,
      );
    }
    return policy;
  } catch (err) {
    logger.warn(
      { err },
      "could not read Redis maxmemory-policy (CONFIG disabled?); make sure it is noeviction",
    );
    return undefined;
  }
}
