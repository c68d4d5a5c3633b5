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
      span.updateName(`${request.method} ${request.routeOptions.url ?? request.url.split("?")[0]}`);
    },
  });
  return instrumentation.plugin();
}
