import { withoutLinkTokens } from "@pris/api";
import { loadConfig, readOidcProviders } from "@pris/config";
import { describe, expect, test } from "vitest";

const provider = (overrides: Record<string, unknown> = {}) => ({
  name: "proconnect",
  label: "ProConnect",
  issuer: "https://auth.agentconnect.gouv.fr/api/v2",
  clientId: "pris",
  clientSecret: "s3cret-value",
  roles: ["analyst", "ars"],
  ...overrides,
});
const env = (providers: unknown[], extra: Record<string, string> = {}) => ({
  OIDC_PROVIDERS: JSON.stringify(providers),
  ...extra,
});

describe("OIDC_PROVIDERS", () => {
  test("none by default; a provider gets its default scopes and no strong level", () => {
    expect(readOidcProviders(loadConfig({})).providers).toEqual([]);
    const [read] = readOidcProviders(loadConfig(env([provider()]))).providers;
    expect(read).toMatchObject({ scopes: "openid email profile", strongAcrValues: [] });
  });

  test("a bad provider stops the start, named, without showing its secret", () => {
    const bad = (providers: unknown[], extra: Record<string, string> = {}) => {
      try {
        loadConfig(env(providers, extra));
      } catch (err) {
        expect(String(err)).not.toContain("s3cret-value");
        return String(err);
      }
      return "accepted";
    };
    expect(bad([provider({ roles: ["pirate"] })])).toMatch(/OIDC_PROVIDERS.*roles/);
    expect(bad([provider({ roles: [] })])).toMatch(/OIDC_PROVIDERS/);
    expect(bad([provider({ name: "Pro Connect" })])).toMatch(/OIDC_PROVIDERS.*name/);
    expect(bad([provider({ scopes: "email profile" })])).toMatch(/OIDC_PROVIDERS.*scopes/);
    expect(bad([provider(), provider()])).toMatch(/named twice/);
    expect(bad([provider({ issuer: "http://idp.example.fr" })])).toMatch(/must be https/);
    expect(bad([provider({ issuer: "http://127.0.0.1:4000" })])).toBe("accepted");
    expect(
      bad([provider({ issuer: "http://127.0.0.1:4000" })], {
        NODE_ENV: "production",
        MAIL_FROM: "PRIS Cyber Santé <pris@pris.example>",
        JWT_SECRET: "x".repeat(40),
        LOG_CHAIN_KEY: "y".repeat(40),
      }),
    ).toMatch(/must be https/);
    expect(() => loadConfig({ OIDC_PROVIDERS: "{not json" })).toThrow(/OIDC_PROVIDERS: not JSON/);
  });

  test("a callback's authorization code never reaches the logs", () => {
    expect(withoutLinkTokens("/api/v1/bulletin-acks/abc.def?x=1")).toBe(
      "/api/v1/bulletin-acks/[redacted]?x=1",
    );
    expect(withoutLinkTokens("/api/v1/desabonnement/abc.def")).toBe("/api/v1/desabonnement/[redacted]");
    expect(withoutLinkTokens("/reponse/abc.def")).toBe("/reponse/[redacted]");
    expect(withoutLinkTokens("/api/v1/auth/oidc/proconnect/callback?code=abc123&state=xyz&iss=h")).toBe(
      "/api/v1/auth/oidc/proconnect/callback?code=[redacted]&state=xyz&iss=h",
    );
    expect(withoutLinkTokens("/api/v1/auth/oidc/proconnect/callback?state=xyz&code=abc")).toBe(
      "/api/v1/auth/oidc/proconnect/callback?state=xyz&code=[redacted]",
    );
  });
});
