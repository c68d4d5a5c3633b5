import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConfigError,
  dkimPrivateKey,
  docsEnabled,
  loadConfig,
  mailDomain,
  servedOverHttps,
} from "@pris/config";
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
      MAIL_FROM: "PRIS Cyber Santé <pris@pris.example>",
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
      MAIL_FROM: "PRIS Cyber Santé <pris@pris.example>",
    };
    expect(servedOverHttps(loadConfig({}))).toBe(false);
    expect(servedOverHttps(loadConfig({ PUBLIC_URL: "https://pris.example.org" }))).toBe(true);
    expect(servedOverHttps(loadConfig({ NODE_ENV: "production", ...secret }))).toBe(true);
  });
  test("production refuses a sender domain no mail server can check (SPF, DMARC)", () => {
    const production = {
      NODE_ENV: "production",
      JWT_SECRET: "a-production-secret-of-at-least-32-characters!",
      LOG_CHAIN_KEY: "a-production-chain-key-of-at-least-32-characters",
    };
    expect(() => loadConfig(production)).toThrow(/MAIL_FROM: must use a real domain/);
    expect(() => loadConfig({ ...production, MAIL_FROM: "pris@mailhost" })).toThrow(/MAIL_FROM/);
    expect(() => loadConfig({ ...production, MAIL_FROM: "PRIS <pris@pole.localhost>" })).toThrow(/MAIL_FROM/);
    const config = loadConfig({ ...production, MAIL_FROM: "PRIS Cyber Santé <pris@Cyber.TESIS.re>" });
    expect(mailDomain(config)).toBe("cyber.tesis.re");
    // Outside production the local default stays usable.
    expect(mailDomain(loadConfig({}))).toBe("localhost");
    expect(() => loadConfig({ MAIL_FROM: "not an address" })).toThrow(/MAIL_FROM: not an e-mail address/);
  });
  test("DKIM: selector and key together, the key readable and RSA", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    expect(() => loadConfig({ MAIL_DKIM_SELECTOR: "pris2026" })).toThrow(/MAIL_DKIM_SELECTOR/);
    expect(() => loadConfig({ MAIL_DKIM_PRIVATE_KEY: pem })).toThrow(/MAIL_DKIM_SELECTOR/);
    expect(() => loadConfig({ MAIL_DKIM_SELECTOR: "s1", MAIL_DKIM_PRIVATE_KEY: "nope" })).toThrow(
      /MAIL_DKIM_PRIVATE_KEY: not a PEM private key/,
    );
    expect(() =>
      loadConfig({ MAIL_DKIM_SELECTOR: "s1", MAIL_DKIM_PRIVATE_KEY_FILE: "/nonexistent/key.pem" }),
    ).toThrow(/MAIL_DKIM_PRIVATE_KEY_FILE: file not found/);
    const { privateKey: ec } = generateKeyPairSync("ed25519");
    expect(() =>
      loadConfig({
        MAIL_DKIM_SELECTOR: "s1",
        MAIL_DKIM_PRIVATE_KEY: ec.export({ format: "pem", type: "pkcs8" }).toString(),
      }),
    ).toThrow(/an RSA key is needed/);
    // A key given on one line with \n, as some secret stores keep it.
    const inline = loadConfig({
      MAIL_DKIM_SELECTOR: "s1",
      MAIL_DKIM_PRIVATE_KEY: pem.replaceAll("\n", "\\n"),
    });
    expect(dkimPrivateKey(inline)).toBe(pem);
    const dir = mkdtempSync(join(tmpdir(), "pris-dkim-"));
    writeFileSync(join(dir, "dkim.pem"), pem);
    const fromFile = loadConfig({
      MAIL_DKIM_SELECTOR: "s1",
      MAIL_DKIM_PRIVATE_KEY_FILE: join(dir, "dkim.pem"),
    });
    expect(dkimPrivateKey(fromFile)).toBe(pem);
    expect(dkimPrivateKey(loadConfig({}))).toBeNull();
  });
  test("the pole's emergency phone: a phone number, or unset", () => {
    expect(loadConfig({ POLE_EMERGENCY_PHONE: "+262 262 00 00 00" }).POLE_EMERGENCY_PHONE).toBe(
      "+262 262 00 00 00",
    );
    expect(loadConfig({}).POLE_EMERGENCY_PHONE).toBe("");
    expect(() => loadConfig({ POLE_EMERGENCY_PHONE: "call Bob" })).toThrow(/POLE_EMERGENCY_PHONE/);
  });
  test("metrics: off unless METRICS_PORT is set, never on the public port, a token beyond the loopback in production", () => {
    expect(loadConfig({})).toMatchObject({ METRICS_HOST: "127.0.0.1", METRICS_TOKEN: "" });
    expect(loadConfig({}).METRICS_PORT).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: "9464" }).METRICS_PORT).toBe(9464);
    expect(() => loadConfig({ METRICS_PORT: "3000" })).toThrow(/METRICS_PORT: must differ from PORT/);
    expect(() => loadConfig({ METRICS_PORT: "70000" })).toThrow(/METRICS_PORT/);
    const production = {
      NODE_ENV: "production",
      JWT_SECRET: "j".repeat(40),
      LOG_CHAIN_KEY: "l".repeat(40),
      MAIL_FROM: "PRIS <pris@cyber-sante.example.fr>",
      METRICS_PORT: "9464",
    };
    expect(loadConfig(production).METRICS_PORT).toBe(9464);
    expect(() => loadConfig({ ...production, METRICS_HOST: "0.0.0.0" })).toThrow(/METRICS_TOKEN: required/);
    expect(
      loadConfig({ ...production, METRICS_HOST: "0.0.0.0", METRICS_TOKEN: "t".repeat(32) }).METRICS_TOKEN,
    ).toBe("t".repeat(32));
    // A token too short is refused without being repeated in the message.
    expect(() => loadConfig({ METRICS_TOKEN: "secret-but-short" })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("secret-but-short") }),
    );
    expect(() => loadConfig({ METRICS_TOKEN: "secret-but-short" })).toThrow(/METRICS_TOKEN/);
  });
});
