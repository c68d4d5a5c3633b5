import type pg from "pg";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";

/**
 * One registry per process (per app in tests, where several live in one process), with Node's own
 * metrics when they are served: CPU, memory, event-loop lag, garbage collection, open handles. Those watch
 * the process from the start (an event-loop delay monitor, a garbage-collection observer): not worth it
 * when nobody scrapes.
 */
export function createRegistry(options: { processMetrics: boolean }): Registry {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

/** The PostgreSQL pool as it is at the scrape: connections open, idle, and requests waiting for one. */
export function registerPoolMetrics(registry: Registry, pool: pg.Pool, max: number): void {
  new Gauge({
    name: "pris_db_pool_connections",
    help: "PostgreSQL pool connections by state (total open, idle, waiting: requests queued for a connection)",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      this.set({ state: "total" }, pool.totalCount);
      this.set({ state: "idle" }, pool.idleCount);
      this.set({ state: "waiting" }, pool.waitingCount);
    },
  });
  new Gauge({
    name: "pris_db_pool_max",
    help: "Largest number of connections the PostgreSQL pool opens (DATABASE_POOL_MAX)",
    registers: [registry],
  }).set(max);
}
