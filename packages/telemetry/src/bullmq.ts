import { BullMQOtel } from "bullmq-otel";
import { type TraceCarrier, tracingEnabled } from "./index.ts";

/**
 * BullMQ's own OpenTelemetry support: a producer span per add, the trace context in the job's options
 * (`opts.telemetry.metadata`), and a consumer span around each run, child of the context the job was added
 * in. Undefined while tracing is off, so that queues and workers carry no telemetry at all.
 */
export function bullmqTelemetry(): BullMQOtel | undefined {
  return tracingEnabled() ? new BullMQOtel({ tracerName: "pris" }) : undefined;
}

/**
 * Job options that make a job's run a child of a stored trace context rather than of the context it is
 * added in: the outbox relay adds the jobs of many requests in one call. BullMQ's metadata is the
 * propagation carrier as JSON, which is what bullmq-otel reads back.
 */
export function jobTraceOptions(carrier: TraceCarrier | null | undefined): {
  telemetry?: { metadata: string };
} {
  return tracingEnabled() && carrier?.traceparent ? { telemetry: { metadata: JSON.stringify(carrier) } } : {};
}
