export * from "./clamd.ts";
export * from "./evidence-store.ts";
export * from "./storage.ts";
