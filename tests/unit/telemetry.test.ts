import { loadConfig } from "@pris/config";
import {
  currentTraceCarrier,
  startTelemetry,
  traceLogFields,
  tracingEnabled,
  withSpan,
} from "@pris/telemetry";
import { jobTraceOptions } from "@pris/telemetry/bullmq";
import { describe, expect, test } from "vitest";

describe("telemetry off", () => {
  test("without an endpoint, or disabled, no SDK starts and every helper is inert", async () => {
    for (const settings of [
      loadConfig({}),
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_SDK_DISABLED: "true" }),
    ]) {
      const telemetry = await startTelemetry(settings, "pris-test");
      expect(telemetry.enabled).toBe(false);
      await telemetry.shutdown();
    }
    expect(tracingEnabled()).toBe(false);
    expect(await withSpan("nothing", {}, async (span) => span)).toBeUndefined();
    expect(currentTraceCarrier()).toBeNull();
    expect(traceLogFields()).toEqual({});
    expect(
      jobTraceOptions({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }),
    ).toEqual({});
  });

  test("an endpoint that is not an http(s) URL stops the start and names the variable", () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "grpc://collector:4317" })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector.example:4318" })).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector.example:4318",
    });
  });
});
