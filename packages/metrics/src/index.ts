export * from "./metrics-server.ts";
export * from "./registry.ts";
export * from "./work-metrics.ts";
