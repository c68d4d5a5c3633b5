import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";

/**
 * Tracing for the API and the worker (OpenTelemetry, exported as OTLP over HTTP). Off unless an endpoint
 * is configured: then no SDK is loaded, no span is recorded, and every helper below returns at once.
 * This module imports only @opentelemetry/api; the SDK is loaded by startTelemetry when it is needed.
 */

/** W3C Trace Context as it travels in an outbox row or a job: `traceparent` and, if any, `tracestate`. */
export type TraceCarrier = Record<string, string>;

export interface TelemetrySettings {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_SDK_DISABLED: boolean;
}

export interface Telemetry {
  enabled: boolean;
  /** Sends the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

const TRACER = "pris";
let started = false;

/** Whether spans are recorded in this process: startTelemetry found an endpoint and started the SDK. */
export function tracingEnabled(): boolean {
  return started;
}

/**
 * Starts the SDK for this process when an OTLP endpoint is configured; otherwise does nothing. Called once
 * by the process owner (server.ts, worker.ts) before anything is traced.
 */
export async function startTelemetry(settings: TelemetrySettings, serviceName: string): Promise<Telemetry> {
  const endpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || settings.OTEL_SDK_DISABLED || started) return { enabled: false, async shutdown() {} };
  const { startSdk } = await import("./sdk.ts");
  const sdk = startSdk(endpoint, process.env.OTEL_SERVICE_NAME || serviceName);
  started = true;
  return {
    enabled: true,
    async shutdown() {
      started = false;
      await sdk.shutdown();
    },
  };
}

/** The active trace context to store beside work that another process will do; null when none is traced. */
export function currentTraceCarrier(): TraceCarrier | null {
  if (!started) return null;
  const span = trace.getActiveSpan();
  if (!span || !isSpanContextValid(span.spanContext())) return null;
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : null;
}

/** The context a stored carrier stands for, to start spans as its children. */
export function contextFromCarrier(carrier: TraceCarrier | null | undefined): Context {
  if (!carrier) return context.active();
  return propagation.extract(ROOT_CONTEXT, carrier);
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Starts the span under this context rather than the active one. */
  parent?: Context;
}

/**
 * Runs fn inside a new active span, which records fn's error and ends when fn settles. Without tracing,
 * fn runs as it is.
 */
export function withSpan<T>(name: string, options: SpanOptions, fn: (span?: Span) => Promise<T>): Promise<T> {
  if (!started) return fn();
  const tracer = trace.getTracer(TRACER);
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
  );
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * pino's mixin: every line written while a span is active carries its trace and span ids, the field names
 * OpenTelemetry's log data model uses, so a log search finds the trace and a trace finds its lines.
 */
export function traceLogFields(): { trace_id?: string; span_id?: string; trace_flags?: string } {
  if (!started) return {};
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!isSpanContextValid(span.spanContext())) return {};
  return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}` };
}

export interface StartedSpan {
  /** The span's own context, for the work it hands on. */
  carrier: TraceCarrier;
  end(error?: unknown): void;
}

/**
 * Starts a span, not made active, as a child of a stored carrier: for work done on behalf of many traces
 * at once (the outbox relay's batch), each item gets its own. Undefined when tracing is off or the item
 * was not traced.
 */
export function startSpanFrom(
  carrier: TraceCarrier | null | undefined,
  name: string,
  options: Omit<SpanOptions, "parent"> = {},
): StartedSpan | undefined {
  if (!started || !carrier?.traceparent) return undefined;
  const parent = propagation.extract(ROOT_CONTEXT, carrier);
  const span = trace
    .getTracer(TRACER)
    .startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
  const own: TraceCarrier = {};
  propagation.inject(trace.setSpan(parent, span), own);
  return {
    carrier: own,
    end(error?: unknown) {
      if (error !== undefined) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
      }
      span.end();
    },
  };
}

export { SpanKind };
