import { auditLog, secondFactorPolicies, webauthnCredentials } from "@pris/db";
import { and, eq } from "drizzle-orm";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectTrailInFrench } from "../support/audit-fixtures.ts";
import {
  createEstablishment,
  createUser,
  login,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

let t: TestApp;
let admin: Awaited<ReturnType<typeof login>>;
let establishmentId: string;

beforeAll(async () => {
  t = await startTestApp();
  // The template makes every factor optional (tests/setup): here the seeded policy comes back for the pole.
  await t.db
    .update(secondFactorPolicies)
    .set({ required: true })
    .where(eq(secondFactorPolicies.role, "analyst"));
  establishmentId = (await createEstablishment(t.db)).id;
  const a = await createUser(t.db, { role: "admin" });
  admin = await login(t.app, a.email);
});
afterAll(() => t.close());

/** A browser's view of one sign-in: its session cookie (re-issued as factors are given) and CSRF token. */
async function signIn(email: string) {
  const res = await t.app.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    payload: { email, password: PASSWORD },
  });
  expect(res.statusCode).toBe(200);
  const body = res.json();
  let cookie = res.cookies.find((c) => c.name === "pris_session")!.value;
  const csrf: string = body.csrfToken;
  return {
    body,
    async call(method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: unknown) {
      const r = await t.app.inject({
        method,
        url: `/api/v1${url}`,
        headers: { cookie: `pris_session=${cookie}`, "x-csrf-token": csrf },
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
      const renewed = r.cookies.find((c) => c.name === "pris_session");
      if (renewed) cookie = renewed.value;
      return r;
    },
  };
}

const codeAt = (secret: string, timestamp = Date.now()) =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp });

async function trail(userId: string, action: string) {
  return t.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.objectId, userId), eq(auditLog.action, action)));
}

/** Enrols TOTP at a required sign-in; returns the secret and the completed session. */
async function enrolTotp(email: string) {
  const s = await signIn(email);
  expect(s.body).toMatchObject({ secondFactor: "enrol", methods: ["webauthn", "totp"] });
  const setup = await s.call("POST", "/auth/second-factor/totp/setup");
  expect(setup.statusCode).toBe(200);
  const { secret, uri, qrSvg } = setup.json();
  expect(uri).toMatch(/^otpauth:\/\/totp\//);
  expect(qrSvg).toContain("<svg");
  const code = codeAt(secret);
  const confirmed = await s.call("POST", "/auth/second-factor/totp/confirm", { code });
  expect(confirmed.statusCode).toBe(200);
  expect(confirmed.json().accessToken).toEqual(expect.any(String));
  return { secret: secret as string, code, session: s };
}

describe("a role that requires a second factor", () => {
  test("the pending session reaches only the second-factor routes until the factor is enrolled", async () => {
    const analyst = await createUser(t.db, { role: "analyst" });
    const s = await signIn(analyst.email);
    expect(s.body).toEqual({
      secondFactor: "enrol",
      methods: ["webauthn", "totp"],
      csrfToken: expect.any(String),
    });
    expect(s.body).not.toHaveProperty("accessToken");
    for (const [method, url] of [
      ["GET", "/auth/session"],
      ["GET", "/incidents"],
      ["GET", "/queue"],
      ["GET", "/pole/members"],
      ["POST", "/auth/second-factor/recovery-codes"],
      ["DELETE", "/auth/second-factor/totp"],
    ] as const) {
      const res = await s.call(method, url);
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.json().code).toBe("second_factor_required");
    }
    const mine = await s.call("GET", "/auth/second-factor");
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({ pending: true, required: true, passkeys: [] });
  });

  test("TOTP: enrolled with a code computed by otpauth, then a code is never accepted twice", async () => {
    const analyst = await createUser(t.db, { role: "analyst" });
    const { secret, code, session } = await enrolTotp(analyst.email);
    expect((await session.call("GET", "/auth/session")).statusCode).toBe(200);
    expect(await trail(analyst.id, "mfa.enrol")).toHaveLength(1);

    const again = await signIn(analyst.email);
    expect(again.body).toMatchObject({ secondFactor: "verify", methods: ["totp"] });
    // The enrolment's code (same time step) is spent.
    const replay = await again.call("POST", "/auth/second-factor/totp/verify", { code });
    expect(replay.statusCode).toBe(401);
    expect(replay.headers["content-type"]).toContain("application/problem+json");
    expect(replay.json().code).toBe("second_factor_invalid");
    expect((await again.call("GET", "/auth/session")).statusCode).toBe(401);
    // The next step's code (the window accepts one step of drift) passes once, then never again.
    const next = codeAt(secret, Date.now() + 30_000);
    const ok = await again.call("POST", "/auth/second-factor/totp/verify", { code: next });
    expect(ok.statusCode).toBe(200);
    expect((await again.call("GET", "/auth/session")).statusCode).toBe(200);
    const third = await signIn(analyst.email);
    expect((await third.call("POST", "/auth/second-factor/totp/verify", { code: next })).statusCode).toBe(
      401,
    );
    expect((await third.call("POST", "/auth/second-factor/totp/verify", { code: "000000" })).statusCode).toBe(
      401,
    );
    const failures = await trail(analyst.id, "mfa.failed");
    expect(failures.length).toBe(3);
    expect(failures[0]!.after).toEqual({ method: "totp" });
    // A pending session with a factor may not enrol another one (a password alone adds no factor).
    expect((await third.call("POST", "/auth/second-factor/totp/setup")).statusCode).toBe(403);
    expect((await third.call("POST", "/auth/second-factor/webauthn/registration/options")).statusCode).toBe(
      403,
    );
    expectTrailInFrench(await t.db.select().from(auditLog).where(eq(auditLog.objectId, analyst.id)));
  });

  test("recovery codes: ten, each works once, regenerating invalidates the old ones", async () => {
    const analyst = await createUser(t.db, { role: "analyst" });
    const { session } = await enrolTotp(analyst.email);
    const generated = await session.call("POST", "/auth/second-factor/recovery-codes");
    expect(generated.statusCode).toBe(200);
    const codes: string[] = generated.json().codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);

    const s1 = await signIn(analyst.email);
    expect(s1.body.methods).toEqual(["totp", "recovery"]);
    const used = await s1.call("POST", "/auth/second-factor/recovery-codes/verify", {
      code: codes[0]!.toLowerCase().replace("-", " "),
    });
    expect(used.statusCode).toBe(200);
    expect((await s1.call("GET", "/auth/second-factor")).json().recoveryCodes.remaining).toBe(9);

    const s2 = await signIn(analyst.email);
    const reused = await s2.call("POST", "/auth/second-factor/recovery-codes/verify", { code: codes[0] });
    expect(reused.statusCode).toBe(401);
    expect(reused.json().code).toBe("second_factor_invalid");

    // s1 proved a factor a moment ago: it may regenerate; the old codes stop working.
    const fresh = await s1.call("POST", "/auth/second-factor/recovery-codes");
    expect(fresh.statusCode).toBe(200);
    const old = await s2.call("POST", "/auth/second-factor/recovery-codes/verify", { code: codes[1] });
    expect(old.statusCode).toBe(401);
    const ok = await s2.call("POST", "/auth/second-factor/recovery-codes/verify", {
      code: fresh.json().codes[1],
    });
    expect(ok.statusCode).toBe(200);
    expect(await trail(analyst.id, "mfa.recovery_codes")).toHaveLength(2);
  });

  test("removing a factor needs a second factor checked in this session, recently", async () => {
    const rssi = await createUser(t.db, { role: "rssi", establishmentId });
    const s = await signIn(rssi.email);
    // Optional for RSSIs: signed in with the password alone.
    expect(s.body.accessToken).toEqual(expect.any(String));
    const setup = await s.call("POST", "/auth/second-factor/totp/setup");
    const { secret } = setup.json();
    expect(
      (await s.call("POST", "/auth/second-factor/totp/confirm", { code: codeAt(secret) })).statusCode,
    ).toBe(200);
    const later = await signIn(rssi.email);
    expect(later.body.secondFactor).toBe("verify");
    expect((await later.call("DELETE", "/auth/second-factor/totp")).statusCode).toBe(401);
    const verified = await later.call("POST", "/auth/second-factor/totp/verify", {
      code: codeAt(secret, Date.now() + 30_000),
    });
    expect(verified.statusCode).toBe(200);
    expect((await later.call("POST", "/auth/second-factor/recovery-codes")).statusCode).toBe(200);
    expect((await later.call("DELETE", "/auth/second-factor/totp")).statusCode).toBe(204);
    // The recovery codes went with the last factor: the password alone signs in again (optional role).
    expect((await later.call("GET", "/auth/second-factor")).json().recoveryCodes.remaining).toBe(0);
    expect((await signIn(rssi.email)).body.accessToken).toEqual(expect.any(String));
    expect(await trail(rssi.id, "mfa.remove")).toHaveLength(1);
  });
});

describe("passkeys", () => {
  test("a passkey of another account is refused, audited, and its challenge spent", async () => {
    const a = await createUser(t.db, { role: "analyst" });
    const b = await createUser(t.db, { role: "analyst" });
    const key = (id: string, userId: string) => ({
      id,
      userId,
      publicKey: Buffer.from("not a real key"),
      name: "Clé",
    });
    await t.db.insert(webauthnCredentials).values([key("cHJpcy1h", a.id), key("cHJpcy1i", b.id)]);
    const s = await signIn(a.email);
    expect(s.body).toMatchObject({ secondFactor: "verify", methods: ["webauthn"] });
    const options = await s.call("POST", "/auth/second-factor/webauthn/authentication/options");
    expect(options.statusCode).toBe(200);
    expect(options.json().allowCredentials).toEqual([{ id: "cHJpcy1h", type: "public-key", transports: [] }]);
    const foreign = {
      response: {
        id: "cHJpcy1i",
        rawId: "cHJpcy1i",
        type: "public-key",
        response: { clientDataJSON: "e30", authenticatorData: "AA", signature: "AA" },
        clientExtensionResults: {},
      },
    };
    const refused = await s.call("POST", "/auth/second-factor/webauthn/authentication/verify", foreign);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().code).toBe("second_factor_invalid");
    expect(await trail(a.id, "mfa.failed")).toHaveLength(1);
    const again = await s.call("POST", "/auth/second-factor/webauthn/authentication/verify", foreign);
    expect(again.statusCode).toBe(400);
    expect(again.json().code).toBe("challenge_expired");
    expect((await s.call("GET", "/auth/session")).statusCode).toBe(401);
  });
});

describe("the policy per role", () => {
  const put = (role: string, payload: unknown) =>
    t.app.inject({
      method: "PUT",
      url: `/api/v1/second-factor-policies/${role}`,
      headers: admin.cookie,
      payload: payload as object,
    });

  test("optional during the rollout period, required from its date; changes are audited", async () => {
    const rssi = await createUser(t.db, { role: "rssi", establishmentId });
    const future = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const set = await put("rssi", { required: true, requiredFrom: future });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ role: "rssi", required: true, requiredFrom: future });
    expect((await signIn(rssi.email)).body.accessToken).toEqual(expect.any(String));

    const past = new Date(Date.now() - 60_000).toISOString();
    expect((await put("rssi", { required: true, requiredFrom: past })).statusCode).toBe(200);
    expect((await signIn(rssi.email)).body).toMatchObject({ secondFactor: "enrol" });

    expect((await put("rssi", { required: false, requiredFrom: null })).statusCode).toBe(200);
    expect((await signIn(rssi.email)).body.accessToken).toEqual(expect.any(String));

    const list = await t.app.inject({
      method: "GET",
      url: "/api/v1/second-factor-policies",
      headers: admin.cookie,
    });
    expect(
      list
        .json()
        .map((p: { role: string }) => p.role)
        .sort(),
    ).toEqual(["admin", "analyst", "ars", "rssi", "taskforce"]);
    const entries = await t.db.select().from(auditLog).where(eq(auditLog.action, "mfa.policy_update"));
    expect(entries).toHaveLength(3);
    expectTrailInFrench(entries);
    expect((await put("nobody", { required: true, requiredFrom: null })).statusCode).toBe(400);
    const rssiSession = await login(t.app, rssi.email);
    const refused = await t.app.inject({
      method: "PUT",
      url: "/api/v1/second-factor-policies/rssi",
      headers: rssiSession.cookie,
      payload: { required: false, requiredFrom: null },
    });
    expect(refused.statusCode).toBe(403);
  });

  test("an administrator resets a person's factors: audited, and the person enrols again", async () => {
    const analyst = await createUser(t.db, { role: "analyst" });
    const { session } = await enrolTotp(analyst.email);
    await session.call("POST", "/auth/second-factor/recovery-codes");
    const reset = await t.app.inject({
      method: "POST",
      url: `/api/v1/users/${analyst.id}/second-factor/reset`,
      headers: admin.cookie,
    });
    expect(reset.statusCode).toBe(204);
    const [entry] = await trail(analyst.id, "mfa.reset");
    expect(entry!.after).toMatchObject({ totp: true, recoveryCodes: 10, passkeys: 0 });
    expectTrailInFrench([entry!]);
    expect((await signIn(analyst.email)).body).toMatchObject({ secondFactor: "enrol" });
    const unknown = await t.app.inject({
      method: "POST",
      url: "/api/v1/users/01900000-0000-7000-8000-000000000000/second-factor/reset",
      headers: admin.cookie,
    });
    expect(unknown.statusCode).toBe(404);
  });
});
