import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

/**
 * The tracer provider of a process: spans batched and sent as OTLP/JSON to `<endpoint>/v1/traces`, W3C
 * Trace Context propagation, AsyncLocalStorage to follow the active span across awaits. The sampler is the
 * SDK's, read from OTEL_TRACES_SAMPLER (default: parent-based, always on).
 */
export function startSdk(endpoint: string, serviceName: string): NodeTracerProvider {
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, "")}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1_000 })],
  });
  provider.register();
  return provider;
}
