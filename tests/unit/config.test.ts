import { ConfigError, docsEnabled, loadConfig, servedOverHttps } from "@pris/config";
import { describe, expect, test } from "vitest";

describe("configuration", () => {
  test("defaults make a working local setup", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      REGION_CODE: "REU",
      REGION_TIMEZONE: "Indian/Reunion",
      MIGRATE_ON_START: true,
    });
  });
  test("values are converted from the environment's strings", () => {
    expect(loadConfig({ PORT: "8080", MIGRATE_ON_START: "false" })).toMatchObject({
      PORT: 8080,
      MIGRATE_ON_START: false,
    });
  });
  test("a bad value stops the start and names the variable", () => {
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(/PORT/);
    expect(() => loadConfig({ REGION_TIMEZONE: "Mars/Olympus" })).toThrow(/REGION_TIMEZONE/);
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SECRET: "x".repeat(40) })).toThrow(/LOG_CHAIN_KEY/);
    expect(() => loadConfig({ LOG_CHAIN_KEY: "too short" })).toThrow(/LOG_CHAIN_KEY/);
    expect(() => loadConfig({ ADMIN_EMAIL: "admin@pris.test" })).toThrow(/ADMIN_PASSWORD/);
    try {
      loadConfig({ PORT: "eighty", JWT_SECRET: "short" });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toHaveLength(2);
      expect(String(err)).not.toContain("short");
    }
  });
  test("the API documentation: on in development, off in production unless asked for", () => {
    const secret = {
      JWT_SECRET: "a-production-secret-of-at-least-32-characters!",
      LOG_CHAIN_KEY: "a-production-chain-key-of-at-least-32-characters",
    };
    expect(docsEnabled(loadConfig({}))).toBe(true);
    expect(docsEnabled(loadConfig({ NODE_ENV: "production", ...secret }))).toBe(false);
    expect(docsEnabled(loadConfig({ NODE_ENV: "production", API_DOCS: "on", ...secret }))).toBe(true);
    expect(docsEnabled(loadConfig({ API_DOCS: "off" }))).toBe(false);
    expect(() => loadConfig({ API_DOCS: "yes" })).toThrow(/API_DOCS/);
  });
  test("https: from PUBLIC_URL, and assumed in production", () => {
    const secret = {
      JWT_SECRET: "a-production-secret-of-at-least-32-characters!",
      LOG_CHAIN_KEY: "a-production-chain-key-of-at-least-32-characters",
    };
    expect(servedOverHttps(loadConfig({}))).toBe(false);
    expect(servedOverHttps(loadConfig({ PUBLIC_URL: "https://pris.example.org" }))).toBe(true);
    expect(servedOverHttps(loadConfig({ NODE_ENV: "production", ...secret }))).toBe(true);
  });
});
