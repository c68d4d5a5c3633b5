import { createHash, createHmac, randomUUID } from "node:crypto";
import { type App, buildApp } from "@pris/api";
import { auditLog, sessions, totpSecrets, users } from "@pris/db";
import { signPasswordResetToken } from "@pris/domain/password-reset-token";
import { createLogger, pruneSignInRecords } from "@pris/worker";
import { and, eq } from "drizzle-orm";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { testConfig } from "../support/env.ts";
import {
  createEstablishment,
  createUser,
  login,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

let t: TestApp;
let establishmentId: string;
let admin: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  t = await startTestApp();
  establishmentId = (await createEstablishment(t.db)).id;
  admin = await createUser(t.db, { role: "admin" });
});
afterAll(() => t.close());

const FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

const me = (app: App, headers: Record<string, string>) =>
  app.inject({ method: "GET", url: "/api/v1/auth/session", headers });

async function loginFrom(app: App, email: string, userAgent: string) {
  const res = await app.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    headers: { "user-agent": userAgent },
    payload: { email, password: PASSWORD },
  });
  expect(res.statusCode).toBe(200);
  const body = res.json() as { accessToken: string; csrfToken: string };
  const cookie = res.cookies.find((c) => c.name === "pris_session")!.value;
  return {
    cookie: { cookie: `pris_session=${cookie}`, "x-csrf-token": body.csrfToken, "user-agent": userAgent },
    bearer: { authorization: `Bearer ${body.accessToken}` },
    sid: claimsOf(body.accessToken).sid as string,
  };
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString());

function forge(payload: Record<string, unknown>, secret: string) {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const head = enc({ alg: "HS256", typ: "JWT" });
  const body = enc(payload);
  return `${head}.${body}.${createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url")}`;
}

describe("sessions that end", () => {
  test("logout ends the session everywhere: a copied cookie and the bearer token die with it", async () => {
    const user = await createUser(t.db, { role: "rssi", establishmentId });
    const auth = await login(t.app, user.email);
    const copied = { cookie: auth.cookie.cookie };
    expect((await me(t.app, copied)).statusCode).toBe(200);
    const out = await t.app.inject({ method: "POST", url: "/api/v1/auth/logout", headers: auth.cookie });
    expect(out.statusCode).toBe(204);
    expect((await me(t.app, copied)).statusCode).toBe(401);
    expect((await me(t.app, auth.bearer)).statusCode).toBe(401);
    const [row] = await t.db.select().from(sessions).where(eq(sessions.userId, user.id));
    expect(row).toMatchObject({ endReason: "logout" });
    expect(row!.endedAt).toBeInstanceOf(Date);
  });

  test("a logout with the bearer token ends its session (and the cookie of the same session)", async () => {
    const user = await createUser(t.db, { role: "analyst" });
    const auth = await login(t.app, user.email);
    const out = await t.app.inject({ method: "POST", url: "/api/v1/auth/logout", headers: auth.bearer });
    expect(out.statusCode).toBe(204);
    expect((await me(t.app, auth.cookieWithoutCsrf)).statusCode).toBe(401);
  });

  test("another process refuses an ended session within a second", async () => {
    const other = await buildApp(testConfig({ DATABASE_URL: t.database.url }));
    await other.ready();
    try {
      const user = await createUser(t.db, { role: "rssi", establishmentId });
      const auth = await login(t.app, user.email);
      expect((await me(other, auth.bearer)).statusCode).toBe(200);
      await t.app.inject({ method: "POST", url: "/api/v1/auth/logout", headers: auth.cookie });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await me(other, auth.bearer)).statusCode).toBe(401);
    } finally {
      await other.close();
    }
  });

  test("the idle and absolute limits are the row's: past either, the session is refused", async () => {
    const user = await createUser(t.db, { role: "rssi", establishmentId });
    const idle = await login(t.app, user.email);
    const old = await login(t.app, user.email);
    const idleSid = claimsOf(idle.session.accessToken).sid;
    const oldSid = claimsOf(old.session.accessToken).sid;
    const longAgo = new Date(Date.now() - (t.config.SESSION_IDLE_SECONDS + 5) * 1000);
    await t.db.update(sessions).set({ lastSeenAt: longAgo }).where(eq(sessions.id, idleSid));
    await t.db
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(sessions.id, oldSid));
    t.app.forgetSessions();
    expect((await me(t.app, idle.cookieWithoutCsrf)).statusCode).toBe(401);
    expect((await me(t.app, old.bearer)).statusCode).toBe(401);
  });

  test("a use more than a minute after the last one is recorded and slides the cookie", async () => {
    const user = await createUser(t.db, { role: "rssi", establishmentId });
    const auth = await login(t.app, user.email);
    const sid = claimsOf(auth.session.accessToken).sid;
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await t.db.update(sessions).set({ lastSeenAt: twoMinutesAgo }).where(eq(sessions.id, sid));
    t.app.forgetSessions();
    const res = await me(t.app, auth.cookieWithoutCsrf);
    expect(res.statusCode).toBe(200);
    expect(res.cookies.find((c) => c.name === "pris_session")?.maxAge).toBe(t.config.SESSION_IDLE_SECONDS);
    await expect
      .poll(async () => (await t.db.select().from(sessions).where(eq(sessions.id, sid)))[0]!.lastSeenAt)
      .toSatisfy((at: Date) => at.getTime() > twoMinutesAgo.getTime() + 60_000);
  });

  test("a deactivation or a role change ends the person's sessions, even once undone", async () => {
    const adminAuth = await login(t.app, admin.email);
    for (const patch of [{ active: false }, { role: "taskforce" }]) {
      const user = await createUser(t.db, { role: "analyst" });
      const auth = await login(t.app, user.email);
      const res = await t.app.inject({
        method: "PATCH",
        url: `/api/v1/users/${user.id}`,
        headers: adminAuth.bearer,
        payload: patch,
      });
      expect(res.statusCode).toBe(200);
      const undo = await t.app.inject({
        method: "PATCH",
        url: `/api/v1/users/${user.id}`,
        headers: adminAuth.bearer,
        payload: { active: true, role: "analyst" },
      });
      expect(undo.statusCode).toBe(200);
      expect((await me(t.app, auth.bearer)).statusCode, JSON.stringify(patch)).toBe(401);
      const [row] = await t.db.select().from(sessions).where(eq(sessions.userId, user.id));
      expect(row!.endReason).toBe("active" in patch ? "deactivated" : "role_change");
      // The person signs in again normally.
      expect((await me(t.app, (await login(t.app, user.email)).bearer)).statusCode).toBe(200);
    }
  });
});

test("the worker deletes sessions ended or expired more than SESSION_RETENTION_DAYS ago, and no other", async () => {
  const user = await createUser(t.db, { role: "rssi", establishmentId });
  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
  const rows = await t.db
    .insert(sessions)
    .values([
      { userId: user.id, createdAt: daysAgo(100), expiresAt: daysAgo(99.5), endedAt: daysAgo(99.9) },
      { userId: user.id, createdAt: daysAgo(100), expiresAt: daysAgo(99.5) },
      { userId: user.id, createdAt: daysAgo(10), expiresAt: daysAgo(9.5), endedAt: daysAgo(10) },
      { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
    ])
    .returning({ id: sessions.id });
  const pruned = await pruneSignInRecords({ db: t.db, config: t.config, logger: createLogger(t.config) });
  expect(pruned.sessions).toBe(2);
  const left = await t.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, user.id));
  expect(left.map((r) => r.id).sort()).toEqual([rows[2]!.id, rows[3]!.id].sort());
});

describe("Mes sessions", () => {
  test("lists one's open sessions with device and address, the current one marked; ends another", async () => {
    const user = await createUser(t.db, { role: "rssi", establishmentId });
    const laptop = await loginFrom(t.app, user.email, FIREFOX);
    const phone = await loginFrom(t.app, user.email, IPHONE);
    const list = await t.app.inject({ method: "GET", url: "/api/v1/auth/sessions", headers: laptop.cookie });
    expect(list.statusCode).toBe(200);
    const items = list.json().items as { id: string; current: boolean; device: string; ip: string }[];
    expect(items).toHaveLength(2);
    expect(items.find((s) => s.id === laptop.sid)).toMatchObject({
      current: true,
      device: "Firefox, Windows",
    });
    expect(items.find((s) => s.id === phone.sid)).toMatchObject({ current: false, device: "Safari, iOS" });
    expect(items[0]!.ip).toBe("127.0.0.1");

    const end = await t.app.inject({
      method: "DELETE",
      url: `/api/v1/auth/sessions/${phone.sid}`,
      headers: laptop.cookie,
    });
    expect(end.statusCode).toBe(204);
    expect((await me(t.app, phone.bearer)).statusCode).toBe(401);
    expect((await me(t.app, laptop.bearer)).statusCode).toBe(200);
    const after = await t.app.inject({ method: "GET", url: "/api/v1/auth/sessions", headers: laptop.cookie });
    expect(after.json().items.map((s: { id: string }) => s.id)).toEqual([laptop.sid]);
  });

  test("ending the current session signs out; end-others keeps the current one", async () => {
    const user = await createUser(t.db, { role: "analyst" });
    const a = await loginFrom(t.app, user.email, FIREFOX);
    const b = await loginFrom(t.app, user.email, IPHONE);
    const c = await loginFrom(t.app, user.email, IPHONE);
    const others = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/sessions/end-others",
      headers: a.cookie,
    });
    expect(others.json()).toEqual({ ended: 2 });
    expect((await me(t.app, b.bearer)).statusCode).toBe(401);
    expect((await me(t.app, c.bearer)).statusCode).toBe(401);
    const self = await t.app.inject({
      method: "DELETE",
      url: `/api/v1/auth/sessions/${a.sid}`,
      headers: a.cookie,
    });
    expect(self.statusCode).toBe(204);
    expect(self.cookies.find((x) => x.name === "pris_session")?.value).toBe("");
    expect((await me(t.app, a.bearer)).statusCode).toBe(401);
  });

  test("another person's session is not found, and not ended; a malformed id is a 400", async () => {
    const mine = await createUser(t.db, { role: "rssi", establishmentId });
    const theirs = await createUser(t.db, {
      role: "rssi",
      establishmentId: (await createEstablishment(t.db)).id,
    });
    const a = await loginFrom(t.app, mine.email, FIREFOX);
    const b = await loginFrom(t.app, theirs.email, FIREFOX);
    const res = await t.app.inject({
      method: "DELETE",
      url: `/api/v1/auth/sessions/${b.sid}`,
      headers: a.cookie,
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().detail).not.toContain(b.sid);
    expect((await me(t.app, b.bearer)).statusCode).toBe(200);
    const bad = await t.app.inject({
      method: "DELETE",
      url: "/api/v1/auth/sessions/nope",
      headers: a.cookie,
    });
    expect(bad.statusCode).toBe(400);
    // Nobody lists anyone else's sessions but an administrator.
    for (const path of [`/api/v1/users/${theirs.id}/sessions`, `/api/v1/users/${theirs.id}/sessions/end`]) {
      const method = path.endsWith("end") ? "POST" : "GET";
      expect((await t.app.inject({ method, url: path, headers: a.cookie })).statusCode).toBe(403);
    }
  });

  test("an administrator lists and ends a person's sessions, audited", async () => {
    const adminAuth = await login(t.app, admin.email);
    const user = await createUser(t.db, { role: "rssi", establishmentId });
    const a = await loginFrom(t.app, user.email, FIREFOX);
    const b = await loginFrom(t.app, user.email, IPHONE);
    const list = await t.app.inject({
      method: "GET",
      url: `/api/v1/users/${user.id}/sessions`,
      headers: adminAuth.bearer,
    });
    expect(
      list
        .json()
        .items.map((s: { id: string; current: boolean }) => [s.id, s.current])
        .sort(),
    ).toEqual(
      [
        [a.sid, false],
        [b.sid, false],
      ].sort(),
    );
    const end = await t.app.inject({
      method: "POST",
      url: `/api/v1/users/${user.id}/sessions/end`,
      headers: adminAuth.bearer,
    });
    expect(end.json()).toEqual({ ended: 2 });
    expect((await me(t.app, a.bearer)).statusCode).toBe(401);
    expect((await me(t.app, b.cookie)).statusCode).toBe(401);
    const [entry] = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "session.end_all"), eq(auditLog.objectId, user.id)));
    expect(entry).toMatchObject({ actorUserId: admin.id, after: { sessionsEnded: 2 } });
    const unknown = await t.app.inject({
      method: "GET",
      url: `/api/v1/users/${randomUUID()}/sessions`,
      headers: adminAuth.bearer,
    });
    expect(unknown.statusCode).toBe(404);
  });
});

describe("tokens checked completely", () => {
  test("a genuinely signed token without exp, iss, aud or sid is refused, and audited", async () => {
    const user = await createUser(t.db, { role: "rssi", establishmentId });
    const { sid } = claimsOf((await login(t.app, user.email)).session.accessToken);
    const now = Math.floor(Date.now() / 1000);
    const good = {
      typ: "access",
      sub: user.id,
      sid,
      iss: t.config.JWT_ISSUER,
      aud: t.config.JWT_AUDIENCE,
      iat: now,
      exp: now + 600,
    };
    const bearer = (payload: Record<string, unknown>) => ({
      authorization: `Bearer ${forge(payload, t.config.JWT_SECRET)}`,
    });
    expect((await me(t.app, bearer(good))).statusCode).toBe(200);
    for (const claim of ["exp", "iss", "aud", "sid", "iat"]) {
      const { [claim]: _dropped, ...without } = good as Record<string, unknown>;
      const res = await me(t.app, bearer(without));
      expect(res.statusCode, claim).toBe(401);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.json().code).toBe("invalid_token");
    }
    await expect
      .poll(
        async () =>
          (
            await t.db
              .select()
              .from(auditLog)
              .where(and(eq(auditLog.action, "auth.token_refused"), eq(auditLog.objectId, user.id)))
          ).length,
      )
      .toBe(5);
    // Without a person, the token itself is the object: the start of its SHA-256, the same each time.
    const { sub: _sub, ...nobody } = { ...good, exp: now + 601 };
    const anonymous = forge(nobody, t.config.JWT_SECRET);
    for (let i = 0; i < 2; i++) {
      expect((await me(t.app, { authorization: `Bearer ${anonymous}` })).statusCode).toBe(401);
    }
    const fingerprint = createHash("sha256").update(anonymous).digest("hex").slice(0, 16);
    await expect
      .poll(async () =>
        (
          await t.db
            .select({ kind: auditLog.objectKind, label: auditLog.objectLabel })
            .from(auditLog)
            .where(and(eq(auditLog.action, "auth.token_refused"), eq(auditLog.objectId, fingerprint)))
        ).map((row) => `${row.kind} ${row.label}`),
      )
      .toEqual(["token jeton sans personne", "token jeton sans personne"]);
    // A session cookie without aud is dropped, not believed.
    const { aud: _aud, ...cookieWithoutAud } = { ...good, typ: "session", csrf: "x" };
    const res = await me(t.app, { cookie: `pris_session=${forge(cookieWithoutAud, t.config.JWT_SECRET)}` });
    expect(res.statusCode).toBe(401);
  });

  test("a key rotation: tokens signed with a previous secret still pass while it is listed", async () => {
    const OLD = "the-old-secret-of-the-region-0123456789";
    const NEW = "the-new-secret-of-the-region-9876543210";
    const before = await buildApp(testConfig({ DATABASE_URL: t.database.url, JWT_SECRET: OLD }));
    const during = await buildApp(
      testConfig({ DATABASE_URL: t.database.url, JWT_SECRET: NEW, JWT_PREVIOUS_SECRETS: OLD }),
    );
    const after = await buildApp(testConfig({ DATABASE_URL: t.database.url, JWT_SECRET: NEW }));
    try {
      const user = await createUser(t.db, { role: "analyst" });
      const old = await login(before, user.email);
      expect((await me(during, old.bearer)).statusCode).toBe(200);
      expect((await me(during, old.cookieWithoutCsrf)).statusCode).toBe(200);
      const fresh = await login(during, user.email);
      expect((await me(after, fresh.bearer)).statusCode).toBe(200);
      expect((await me(before, fresh.bearer)).statusCode).toBe(401);
      expect((await me(after, old.bearer)).statusCode).toBe(401);

      // The e-mailed links signed before the rotation still open while the old secret is listed.
      const [row] = await t.db.select().from(users).where(eq(users.id, user.id));
      const link = signPasswordResetToken(OLD, row!, new Date(Date.now() + 10 * 60_000));
      const opened = (app: App) => app.inject({ method: "GET", url: `/api/v1/auth/password-reset/${link}` });
      expect((await opened(during)).statusCode).toBe(200);
      expect((await opened(after)).statusCode).toBe(404);

      // A TOTP secret sealed under the old secret still opens, and is sealed again under the new one.
      const call = (app: App, auth: Awaited<ReturnType<typeof login>>, url: string, payload?: object) =>
        app.inject({
          method: "POST",
          url: `/api/v1${url}`,
          headers: auth.cookie,
          ...(payload ? { payload } : {}),
        });
      const setup = await call(before, old, "/auth/second-factor/totp/setup");
      expect(setup.statusCode, setup.body).toBe(200);
      const secret: string = setup.json().secret;
      const codeAt = (at: number) =>
        new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: at });
      expect(
        (await call(before, old, "/auth/second-factor/totp/confirm", { code: codeAt(Date.now()) }))
          .statusCode,
      ).toBe(200);
      const sealedBefore = (await t.db.select().from(totpSecrets).where(eq(totpSecrets.userId, user.id)))[0]!;
      const signIn = await during.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        payload: { email: user.email, password: PASSWORD },
      });
      expect(signIn.json()).toMatchObject({ secondFactor: "verify" });
      const pending = {
        cookie: {
          cookie: `pris_session=${signIn.cookies.find((c) => c.name === "pris_session")!.value}`,
          "x-csrf-token": signIn.json().csrfToken,
        },
      } as Awaited<ReturnType<typeof login>>;
      const verified = await call(during, pending, "/auth/second-factor/totp/verify", {
        code: codeAt(Date.now() + 30_000),
      });
      expect(verified.statusCode, verified.body).toBe(200);
      const sealedAfter = (await t.db.select().from(totpSecrets).where(eq(totpSecrets.userId, user.id)))[0]!;
      expect(sealedAfter.secretEncrypted).not.toBe(sealedBefore.secretEncrypted);
      // Sealed under a key this process does not know (a secret changed without rotation): a clear 409.
      const stranger = await before.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        payload: { email: user.email, password: PASSWORD },
      });
      const lost = await call(
        before,
        {
          cookie: {
            cookie: `pris_session=${stranger.cookies.find((c) => c.name === "pris_session")!.value}`,
            "x-csrf-token": stranger.json().csrfToken,
          },
        } as Awaited<ReturnType<typeof login>>,
        "/auth/second-factor/totp/verify",
        { code: codeAt(Date.now() + 60_000) },
      );
      expect(lost.statusCode).toBe(409);
      expect(lost.json().code).toBe("totp_unreadable");
    } finally {
      await Promise.all([before.close(), during.close(), after.close()]);
    }
  });
});
