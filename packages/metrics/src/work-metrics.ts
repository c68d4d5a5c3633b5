import { type Db, readWorkState, type WorkState } from "@pris/db";
import { Gauge, type Registry } from "prom-client";

/** Scrapes arriving together (several gauges of one scrape, two Prometheus servers) share one read. */
const FRESH_MS = 1_000;

/**
 * The work waiting in PostgreSQL — outbox, timers, unacknowledged incidents, bulletin fan-outs — read at
 * scrape time, never on a request. Every process exposes it, so that an outbox piling up is seen even
 * when no worker runs; alert rules take the max over the processes. When PostgreSQL cannot be read, the
 * gauges say NaN and pris_work_state_up 0, rather than stale or zero counts.
 */
export function registerWorkMetrics(registry: Registry, db: Db, onError: (err: unknown) => void): void {
  let last: { at: number; state: Promise<WorkState | undefined> } | undefined;
  const read = () => {
    if (!last || Date.now() - last.at > FRESH_MS) {
      last = {
        at: Date.now(),
        state: readWorkState(db).catch((err: unknown) => {
          onError(err);
          return undefined;
        }),
      };
    }
    return last.state;
  };
  const registers = [registry];
  new Gauge({
    name: "pris_work_state_up",
    help: "1 when the work gauges below could be read from PostgreSQL at this scrape, 0 otherwise",
    registers,
    async collect() {
      this.set((await read()) ? 1 : 0);
    },
  });
  const simple = (name: string, help: string, pick: (s: WorkState) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const state = await read();
        this.set(state ? pick(state) : Number.NaN);
      },
    });
  simple("pris_outbox_pending", "Outbox rows not yet processed", (s) => s.outboxPending);
  simple(
    "pris_outbox_oldest_age_seconds",
    "Age of the oldest outbox row not yet processed (0 when none)",
    (s) => s.outboxOldestSeconds,
  );
  simple("pris_timers_due", "Timers due now or earlier and not yet fired", (s) => s.timersDue);
  simple("pris_timers_late", "Timers due more than a minute ago and not yet fired", (s) => s.timersLate);
  new Gauge({
    name: "pris_incidents_unacknowledged_past_sla",
    help: "Open incidents past their acknowledgement service level and still not acknowledged",
    labelNames: ["severity"] as const,
    registers,
    async collect() {
      const state = await read();
      this.reset();
      for (const severity of ["P1", "P2", "P3", "P4"]) {
        this.set({ severity }, state ? (state.unacknowledgedPastSla[severity] ?? 0) : Number.NaN);
      }
    },
  });
  new Gauge({
    name: "pris_bulletin_deliveries",
    help: "E-mails of the bulletins still being sent, per status (queued, deferred: still owed; sent, failed)",
    labelNames: ["status"] as const,
    registers,
    async collect() {
      const state = await read();
      this.reset();
      for (const status of ["queued", "deferred", "sent", "failed"]) {
        this.set({ status }, state ? (state.bulletinDeliveries[status] ?? 0) : Number.NaN);
      }
    },
  });
}
