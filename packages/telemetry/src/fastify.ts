import { FastifyOtelInstrumentation } from "@fastify/otel";
import type { Span } from "@opentelemetry/api";
import type { FastifyRequest } from "fastify";

/**
 * @fastify/otel's plugin: one SERVER span per request (named `METHOD /route`), its hooks and handler as
 * children, the caller's traceparent header honoured, and the handler run with the span active, so that
 * an outbox row written by the request carries it. Registered first, when tracing is on (see app.ts).
 */
export function fastifyTracingPlugin() {
  const instrumentation = new FastifyOtelInstrumentation({
    registerOnInitialization: false,
    // Probes and static files would bury the requests that do work.
    ignorePaths: (route: { url: string }) =>
      route.url.startsWith("/health/") || route.url.startsWith("/assets/"),
    requestHook: (span: Span, request: FastifyRequest) => {
      // The route's pattern names the span and stands for its path: a path or a query may hold a secret
      // (an invitation's, a reset or an acknowledgement link's token, a sign-on callback's code), and
      // traces leave the region's systems for a collector.
      const route = request.routeOptions.url ?? "(no route)";
      span.updateName(`${request.method} ${route}`);
      span.setAttribute("url.path", route);
    },
  });
  return instrumentation.plugin();
}
