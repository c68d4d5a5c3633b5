import {
  createRegistry,
  type MetricsServer,
  registerPoolMetrics,
  registerWorkMetrics,
  startMetricsServer,
} from "@pris/metrics";
import fp from "fastify-plugin";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface ApiMetrics {
  registry: Registry;
  /** Failed sign-ins: a wrong e-mail or password, or a wrong second factor. */
  signInFailures: Counter<"step">;
  /** Tells the live-queue gauge how to count this process's subscribers. */
  countLiveQueueSubscribers(count: () => number): void;
  /** The metrics listener, when METRICS_PORT is set. */
  server: MetricsServer | undefined;
}

declare module "fastify" {
  interface FastifyInstance {
    metrics: ApiMetrics;
  }
}

/**
 * Prometheus metrics of the API on a listener of its own (see startMetricsServer), opened and closed with
 * the app like its database pool. Requests are labelled by their route's pattern, never their URL: ids
 * would make a series per incident.
 */
export default fp(
  async (app) => {
    const { config } = app;
    const registry = createRegistry({ processMetrics: config.METRICS_PORT !== undefined });
    registerPoolMetrics(registry, app.database.pool, config.DATABASE_POOL_MAX);
    registerWorkMetrics(registry, app.database.db, (err) =>
      app.log.warn({ err }, "metrics: the work state could not be read"),
    );
    const requests = new Histogram({
      name: "pris_http_request_duration_seconds",
      help: "HTTP requests by method, route pattern and status code, and their duration until the answer is sent",
      labelNames: ["method", "route", "status_code"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    const signInFailures = new Counter({
      name: "pris_sign_in_failures_total",
      help: "Failed sign-ins: step password (wrong e-mail or password), second_factor (wrong code or passkey), sso (single sign-on refused: unknown account, code not verified, provider down…) or throttled (429: too many attempts)",
      labelNames: ["step"] as const,
      registers: [registry],
    });
    // At 0 from the start, so that rate() and increase() see the first failure.
    for (const step of ["password", "second_factor", "sso", "throttled"]) signInFailures.inc({ step }, 0);
    let liveQueue: () => number = () => 0;
    new Gauge({
      name: "pris_live_queue_subscribers",
      help: "Browsers subscribed to the queue's live feed on this process",
      registers: [registry],
      collect() {
        this.set(liveQueue());
      },
    });

    app.addHook("onResponse", async (request, reply) => {
      requests.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? "unmatched",
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    });

    const server =
      config.METRICS_PORT === undefined
        ? undefined
        : await startMetricsServer(config, config.METRICS_PORT, registry, (err) =>
            app.log.error({ err }, "metrics could not be collected"),
          );
    if (server) app.log.info({ url: server.url }, "metrics listening");
    app.addHook("onClose", async () => {
      await server?.close();
    });
    app.decorate("metrics", {
      registry,
      signInFailures,
      countLiveQueueSubscribers(count: () => number) {
        liveQueue = count;
      },
      server,
    });
  },
  { name: "metrics", dependencies: ["infra"] },
);
