import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { WEB_DIST_DIR } from "../support/browser.ts";
import { bulletinDraft } from "../support/bulletin-fixtures.ts";
import {
  createEstablishment,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/** The headers of a service that holds health data: on the API and the web app, by configuration. */
const PRODUCTION = {
  NODE_ENV: "production",
  MAIL_FROM: "PRIS Cyber Santé <pris@pris.example>",
  JWT_SECRET: "a-production-secret-of-at-least-32-characters!",
  LOG_CHAIN_KEY: "a-production-chain-key-of-at-least-32-characters",
};

function expectSecurityHeaders(headers: Record<string, unknown>) {
  const csp = String(headers["content-security-policy"]);
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self';");
  expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["referrer-policy"]).toBe("no-referrer");
}

describe("over http (development)", () => {
  let t: TestApp;
  let rssi: Awaited<ReturnType<typeof login>>;
  let analyst: Record<string, string>;
  let ars: Record<string, string>;
  let incidentId: string;
  let bulletinId: string;

  beforeAll(async () => {
    t = await startTestApp({ WEB_DIST_DIR });
    const establishmentId = (await createEstablishment(t.db)).id;
    rssi = await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId })).email);
    analyst = (await login(t.app, (await createUser(t.db, { role: "analyst" })).email)).bearer;
    ars = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;
    incidentId = (
      await t.app.inject({
        method: "POST",
        url: "/api/v1/incidents",
        headers: rssi.bearer,
        payload: declaration(),
      })
    ).json().id;
    bulletinId = (
      await t.app.inject({
        method: "POST",
        url: "/api/v1/bulletins",
        headers: analyst,
        payload: bulletinDraft({ audience: { establishmentIds: [establishmentId] } }),
      })
    ).json().id;
  });
  afterAll(() => t.close());

  test("every API answer carrying personal or incident data is no-store, with the security headers", async () => {
    const login = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { email: "nobody@pris.test", password: "wrong password" },
    });
    const reads: [string, Record<string, string>][] = [
      ["/api/v1/auth/session", rssi.cookie],
      ["/api/v1/incidents", rssi.bearer],
      [`/api/v1/incidents/${incidentId}`, rssi.bearer],
      [`/api/v1/incidents/${incidentId}/log`, analyst],
      [`/api/v1/incidents/${incidentId}/observables/stix`, analyst],
      [`/api/v1/incidents/${incidentId}/notifications`, analyst],
      ["/api/v1/exercises/completion.csv", ars],
      ["/api/v1/exercises/completion.xlsx", ars],
      ["/api/v1/exercises/completion/late", ars],
      ["/api/v1/bulletins", analyst],
      [`/api/v1/bulletins/${bulletinId}`, analyst],
      [`/api/v1/bulletins/${bulletinId}/dashboard`, analyst],
      ["/api/v1/bulletin-acks/not-a-real-token-at-all", {}],
      ["/api/v1/invitations", analyst],
      ["/api/v1/invitation-links/not-a-real-token-at-all", {}],
      ["/api/v1/config/public", {}],
      ["/api/v1/no-such-route", {}],
    ];
    const answers = [login];
    for (const [url, headers] of reads) answers.push(await t.app.inject({ method: "GET", url, headers }));
    for (const [i, res] of answers.entries()) {
      const what = i === 0 ? "login" : reads[i - 1]![0];
      expect(res.statusCode, what).toBeLessThan(500);
      expect(res.headers["cache-control"], what).toBe("no-store");
      expectSecurityHeaders(res.headers);
    }
    expect(answers.filter((r) => r.statusCode === 200).length).toBeGreaterThanOrEqual(12);
    const signedIn = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: {
        email: (await createUser(t.db, { role: "analyst" })).email,
        password: "correct horse battery staple",
      },
    });
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.headers["cache-control"]).toBe("no-store");
  });

  test("the web app: the same headers, its page fresh and its hashed files cached; no HSTS over http", async () => {
    const page = await t.app.inject({ method: "GET", url: "/", headers: { accept: "text/html" } });
    expect(page.statusCode).toBe(200);
    expectSecurityHeaders(page.headers);
    expect(page.headers["cache-control"]).toBe("no-cache");
    expect(page.headers["strict-transport-security"]).toBeUndefined();
    expect(String(page.headers["content-security-policy"])).not.toContain("upgrade-insecure-requests");
  });

  test("the session cookie is not Secure over plain http, where the browser would drop it", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: {
        email: (await createUser(t.db, { role: "ars" })).email,
        password: "correct horse battery staple",
      },
    });
    expect(res.cookies.find((c) => c.name === "pris_session")?.secure).toBeFalsy();
  });

  test("the API documentation is served in development; its pages alone may use inline styles", async () => {
    expect((await t.app.inject({ method: "GET", url: "/docs/json" })).statusCode).toBe(200);
    const page = await t.app.inject({ method: "GET", url: "/docs/" });
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
  });
});

describe("over https, outside production", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: "https://pris.example.org", WEB_DIST_DIR });
  });
  afterAll(() => t.close());

  test("the session cookie is Secure and HSTS is sent", async () => {
    const user = await createUser(t.db, { role: "analyst" });
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { email: user.email, password: user.password },
    });
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === "pris_session");
    expect(cookie?.secure).toBe(true);
    expect(cookie?.httpOnly).toBe(true);
    expect(res.headers["strict-transport-security"]).toMatch(/max-age=31536000/);
    const page = await t.app.inject({ method: "GET", url: "/", headers: { accept: "text/html" } });
    expect(page.headers["strict-transport-security"]).toMatch(/max-age=31536000/);
    expect(String(page.headers["content-security-policy"])).toContain("upgrade-insecure-requests");
  });
});

describe("in production", () => {
  test("the documentation is off unless API_DOCS=on; the document is still built", async () => {
    const off = await startTestApp(PRODUCTION);
    try {
      for (const url of ["/docs", "/docs/json", "/docs/static/index.html"]) {
        const res = await off.app.inject({ method: "GET", url });
        expect(res.statusCode, url).toBe(404);
        expect(res.headers["content-type"]).toContain("application/problem+json");
      }
      expect(off.app.swagger()).toHaveProperty("paths");
    } finally {
      await off.close();
    }
    const on = await startTestApp({ ...PRODUCTION, API_DOCS: "on" });
    try {
      expect((await on.app.inject({ method: "GET", url: "/docs/json" })).statusCode).toBe(200);
    } finally {
      await on.close();
    }
  });
});
