import { createHmac } from "node:crypto";
import { apiKeys, establishments, users } from "@pris/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createApiKey,
  createEstablishment,
  createUser,
  declaration,
  login,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

let t: TestApp;
let establishmentId: string;
let rssi: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  t = await startTestApp({ LOGIN_RATE_LIMIT_MAX: "3", LOGIN_RATE_LIMIT_WINDOW_SECONDS: "60" });
  establishmentId = (await createEstablishment(t.db)).id;
  rssi = await createUser(t.db, { role: "rssi", establishmentId });
});
afterAll(() => t.close());

const session = (headers: Record<string, string>) =>
  t.app.inject({ method: "GET", url: "/api/v1/auth/session", headers });

function forge(payload: Record<string, unknown>, secret: string, alg = "HS256") {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const head = enc({ alg, typ: "JWT" });
  const body = enc(payload);
  const sig =
    alg === "none" ? "" : createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString());

describe("login", () => {
  test("returns a bearer token, an HttpOnly SameSite=Strict session cookie and the user", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { email: rssi.email.toUpperCase(), password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.tokenType).toBe("Bearer");
    expect(body.user).toMatchObject({ id: rssi.id, role: "rssi", establishments: [{ id: establishmentId }] });
    const cookie = res.cookies.find((c) => c.name === "pris_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
  });

  test("wrong password and unknown user get the same 401 problem", async () => {
    const wrong = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { email: rssi.email, password: "nope-nope-nope" },
    });
    const unknown = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { email: "nobody@pris.test", password: "nope-nope-nope" },
    });
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.json()).toMatchObject({ code: "invalid_credentials", detail: "Wrong e-mail or password" });
    }
  });

  test("a disabled user cannot sign in", async () => {
    const gone = await createUser(t.db, { role: "analyst", active: false });
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { email: gone.email, password: PASSWORD },
    });
    expect(res.statusCode).toBe(401);
  });

  test("is rate-limited per address and e-mail", async () => {
    const victim = await createUser(t.db, { role: "analyst" });
    const attempt = () =>
      t.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        payload: { email: victim.email, password: "guess-guess-guess" },
      });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await attempt()).statusCode);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    const limited = await attempt();
    expect(limited.json()).toMatchObject({ status: 429, code: "too_many_attempts" });
  });
});

describe("tokens and cookies", () => {
  test("bearer token and session cookie both authenticate reads", async () => {
    const auth = await login(t.app, rssi.email);
    expect((await session(auth.bearer)).statusCode).toBe(200);
    const viaCookie = await session(auth.cookieWithoutCsrf);
    expect(viaCookie.statusCode).toBe(200);
    expect(viaCookie.json().csrfToken).toBe(auth.session.csrfToken);
  });

  test("an unsafe request with the cookie needs the CSRF token", async () => {
    const user = await createUser(t.db, { role: "rssi", establishmentId });
    const auth = await login(t.app, user.email);
    const without = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/logout",
      headers: auth.cookieWithoutCsrf,
    });
    expect(without.statusCode).toBe(403);
    expect(without.json().code).toBe("csrf_failed");
    const wrong = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/logout",
      headers: { ...auth.cookieWithoutCsrf, "x-csrf-token": "x".repeat(32) },
    });
    expect(wrong.statusCode).toBe(403);
    const right = await t.app.inject({ method: "POST", url: "/api/v1/auth/logout", headers: auth.cookie });
    expect(right.statusCode).toBe(204);
    expect(right.cookies.find((c) => c.name === "pris_session")?.value).toBe("");
  });

  test("forged, mis-addressed, expired and alg=none tokens are refused", async () => {
    const now = Math.floor(Date.now() / 1000);
    const user = await createUser(t.db, { role: "rssi", establishmentId });
    const { sid } = claimsOf((await login(t.app, user.email)).session.accessToken);
    const good = {
      sub: user.id,
      sid,
      typ: "access",
      iss: t.config.JWT_ISSUER,
      aud: t.config.JWT_AUDIENCE,
      iat: now,
      exp: now + 600,
    };
    expect((await session({ authorization: `Bearer ${forge(good, t.config.JWT_SECRET)}` })).statusCode).toBe(
      200,
    );
    const bad = [
      forge(good, "another-secret-another-secret-another-secret"),
      forge({ ...good, aud: "someone-else" }, t.config.JWT_SECRET),
      forge({ ...good, iss: "someone-else" }, t.config.JWT_SECRET),
      forge({ ...good, exp: now - 10 }, t.config.JWT_SECRET),
      forge(good, t.config.JWT_SECRET, "none"),
      forge({ ...good, typ: "session", csrf: "x" }, t.config.JWT_SECRET),
      forge({ ...good, sub: crypto.randomUUID() }, t.config.JWT_SECRET),
      "not-a-jwt",
    ];
    for (const token of bad) {
      const res = await session({ authorization: `Bearer ${token}` });
      expect(res.statusCode, token).toBe(401);
      expect(res.json().code).toBe("invalid_token");
    }
  });

  test("an access token stops working when its user is disabled", async () => {
    const user = await createUser(t.db, { role: "analyst" });
    const auth = await login(t.app, user.email);
    const admin = await createUser(t.db, { role: "admin" });
    const adminAuth = await login(t.app, admin.email);
    const patch = await t.app.inject({
      method: "PATCH",
      url: `/api/v1/users/${user.id}`,
      headers: adminAuth.bearer,
      payload: { active: false },
    });
    expect(patch.statusCode).toBe(200);
    expect((await session(auth.bearer)).statusCode).toBe(401);
  });
});

describe("API keys", () => {
  test("authenticate as the establishment; unknown, malformed and revoked keys get 401", async () => {
    const key = await createApiKey(t.db, establishmentId);
    const list = await t.app.inject({
      method: "GET",
      url: "/api/v1/incidents",
      headers: { authorization: `ApiKey ${key.key}` },
    });
    expect(list.statusCode).toBe(200);
    const tampered = `${key.key.slice(0, -1)}${key.key.endsWith("A") ? "B" : "A"}`;
    for (const value of [tampered, "pris_000000000000_xxx", "garbage"]) {
      const res = await t.app.inject({
        method: "GET",
        url: "/api/v1/incidents",
        headers: { authorization: `ApiKey ${value}` },
      });
      expect(res.statusCode).toBe(401);
    }
    const admin = await createUser(t.db, { role: "admin" });
    const adminAuth = await login(t.app, admin.email);
    const revoke = await t.app.inject({
      method: "DELETE",
      url: `/api/v1/establishments/${establishmentId}/api-keys/${key.id}`,
      headers: adminAuth.bearer,
    });
    expect(revoke.statusCode).toBe(204);
    const after = await t.app.inject({
      method: "GET",
      url: "/api/v1/incidents",
      headers: { authorization: `ApiKey ${key.key}` },
    });
    expect(after.statusCode).toBe(401);
  });

  test("an unknown authorization scheme is refused", async () => {
    const res = await session({ authorization: "Basic dXNlcjpwYXNz" });
    expect(res.statusCode).toBe(401);
  });
});

describe("the directory cache", () => {
  test("a key revoked by another process (straight in the database) stops working", async () => {
    const key = await createApiKey(t.db, establishmentId);
    const call = () =>
      t.app.inject({
        method: "GET",
        url: "/api/v1/incidents",
        headers: { authorization: `ApiKey ${key.key}` },
      });
    expect((await call()).statusCode).toBe(200);
    expect((await call()).statusCode).toBe(200);
    await t.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, key.id));
    await expect.poll(async () => (await call()).statusCode, { timeout: 2000, interval: 20 }).toBe(401);
  });

  test("a user disabled by another process (straight in the database) is signed out", async () => {
    const user = await createUser(t.db, { role: "analyst" });
    const auth = await login(t.app, user.email);
    expect((await session(auth.bearer)).statusCode).toBe(200);
    expect((await session(auth.bearer)).statusCode).toBe(200);
    await t.db.update(users).set({ active: false }).where(eq(users.id, user.id));
    await expect
      .poll(async () => (await session(auth.bearer)).statusCode, { timeout: 2000, interval: 20 })
      .toBe(401);
  });

  test("an establishment deactivated elsewhere no longer declares", async () => {
    const other = await createEstablishment(t.db);
    const key = await createApiKey(t.db, other.id);
    const declare = () =>
      t.app.inject({
        method: "POST",
        url: "/api/v1/incidents",
        headers: { authorization: `ApiKey ${key.key}` },
        payload: declaration(),
      });
    expect((await declare()).statusCode).toBe(201);
    await t.db.update(establishments).set({ active: false }).where(eq(establishments.id, other.id));
    await expect.poll(async () => (await declare()).statusCode, { timeout: 2000, interval: 20 }).toBe(401);
  });
});
