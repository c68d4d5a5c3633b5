import { type App, buildApp, MAX_DELAY_MS } from "@pris/api";
import { secondFactorPolicies, signInFailures, users } from "@pris/db";
import { signPasswordResetToken } from "@pris/domain/password-reset-token";
import { createLogger, pruneSignInRecords } from "@pris/worker";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { testConfig } from "../support/env.ts";
import { createUser, PASSWORD, startTestApp, type TestApp } from "../support/fixtures.ts";

/** Three failures per e-mail (or link) and address, six per address, in a minute. */
const LIMITS = {
  LOGIN_RATE_LIMIT_MAX: "3",
  LOGIN_RATE_LIMIT_ADDRESS_MAX: "6",
  LOGIN_RATE_LIMIT_WINDOW_SECONDS: "60",
};

let t: TestApp;
let behindProxy: App;

beforeAll(async () => {
  t = await startTestApp(LIMITS);
  // A second replica on the same database, behind a proxy at 127.0.0.1 (the address inject uses).
  behindProxy = await buildApp(
    testConfig({ DATABASE_URL: t.database.url, TRUST_PROXY: "127.0.0.1,192.0.2.0/24", ...LIMITS }),
  );
  await behindProxy.ready();
});
afterAll(async () => {
  await behindProxy?.close();
  await t?.close();
});

function signIn(
  app: App,
  email: string,
  options: { password?: string; remoteAddress?: string; forwardedFor?: string } = {},
) {
  return app.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    payload: { email, password: options.password ?? "not-the-password" },
    remoteAddress: options.remoteAddress ?? "127.0.0.1",
    headers: options.forwardedFor ? { "x-forwarded-for": options.forwardedFor } : {},
  });
}

async function codesOf(requests: (() => Promise<{ statusCode: number }>)[]): Promise<number[]> {
  const codes: number[] = [];
  for (const request of requests) codes.push((await request()).statusCode);
  return codes;
}

const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

const failuresFrom = async (ip: string) =>
  t.db.select().from(signInFailures).where(sql`${signInFailures.ip} = ${ip}::inet`);

describe("the client address", () => {
  test("without TRUST_PROXY, X-Forwarded-For changes nothing: the limit hits while the header varies", async () => {
    const person = await createUser(t.db, { role: "analyst" });
    const codes = await codesOf(
      times(
        5,
        (i) => () =>
          signIn(t.app, person.email, { remoteAddress: "198.51.100.1", forwardedFor: `203.0.113.${i}` }),
      ),
    );
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    expect((await failuresFrom("198.51.100.1")).length).toBe(3);
    expect((await failuresFrom("203.0.113.0")).length).toBe(0);
  });

  test("behind a trusted proxy the forwarded address counts; a forwarded address from anyone else does not", async () => {
    const person = await createUser(t.db, { role: "analyst" });
    // Each forwarded client is its own address: five clients, one failure each, none refused.
    const forwarded = await codesOf(
      times(5, (i) => () => signIn(behindProxy, person.email, { forwardedFor: `203.0.113.${10 + i}` })),
    );
    expect(forwarded).toEqual([401, 401, 401, 401, 401]);
    expect((await failuresFrom("203.0.113.10")).map((f) => f.subject)).toEqual([person.email.toLowerCase()]);
    expect((await failuresFrom("127.0.0.1")).length).toBe(0);

    // A peer that is not a trusted proxy is itself the client, whatever it forwards.
    const other = await createUser(t.db, { role: "analyst" });
    const direct = await codesOf(
      times(
        4,
        (i) => () =>
          signIn(behindProxy, other.email, {
            remoteAddress: "198.51.100.2",
            forwardedFor: `203.0.113.${50 + i}`,
          }),
      ),
    );
    expect(direct).toEqual([401, 401, 401, 429]);
    expect((await failuresFrom("203.0.113.50")).length).toBe(0);
  });

  test("what a trusted proxy forwards that is not an address counts as one shared address", async () => {
    const person = await createUser(t.db, { role: "analyst" });
    const codes = await codesOf(
      times(4, (i) => () => signIn(behindProxy, person.email, { forwardedFor: `not-an-address-${i}` })),
    );
    expect(codes).toEqual([401, 401, 401, 429]);
    expect((await failuresFrom("0.0.0.0")).length).toBe(3);
  });
});

describe("failed sign-ins", () => {
  test("past the limit per e-mail and address: 429 problem+json with Retry-After and an English detail", async () => {
    const person = await createUser(t.db, { role: "analyst" });
    const from = { remoteAddress: "198.51.100.3" };
    await codesOf(times(3, () => () => signIn(t.app, person.email, from)));
    const refused = await signIn(t.app, person.email.toUpperCase(), from);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({
      status: 429,
      code: "too_many_attempts",
      detail: "Too many failed attempts; wait before trying again",
    });
    expect(refused.json().detail).toMatch(/^[\x20-\x7e]+$/);
    const retryAfter = Number(refused.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThan(50);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Refused attempts are not counted: still three failures.
    expect((await failuresFrom("198.51.100.3")).length).toBe(3);
    // The right password is refused too from there until the window frees an attempt...
    expect((await signIn(t.app, person.email, { ...from, password: PASSWORD })).statusCode).toBe(429);
    // ...and the oldest failure leaving the window frees one.
    await t.db
      .update(signInFailures)
      .set({ at: sql`now() - interval '61 seconds'` })
      .where(
        sql`${signInFailures.id} = (SELECT id FROM sign_in_failures WHERE ip = '198.51.100.3' ORDER BY at LIMIT 1)`,
      );
    expect((await signIn(t.app, person.email, { ...from, password: PASSWORD })).statusCode).toBe(200);
  });

  test("a burst of parallel guesses is not let through whole: each is counted as it is checked", async () => {
    const person = await createUser(t.db, { role: "analyst" });
    const burst = await Promise.all(
      times(30, () => signIn(t.app, person.email, { remoteAddress: "198.51.100.9" })),
    );
    const passed = burst.filter((r) => r.statusCode === 401).length;
    // Only statements running at the same instant miss each other's rows: at most one per pooled connection.
    expect(passed).toBeGreaterThanOrEqual(3);
    expect(passed).toBeLessThanOrEqual(3 + t.config.DATABASE_POOL_MAX);
    expect(burst.filter((r) => r.statusCode === 429).length).toBe(30 - passed);
    expect((await failuresFrom("198.51.100.9")).length).toBe(passed);
  });

  test("a success clears the failures of that e-mail from that address", async () => {
    const person = await createUser(t.db, { role: "analyst" });
    const from = { remoteAddress: "198.51.100.4" };
    const codes = await codesOf([
      () => signIn(t.app, person.email, from),
      () => signIn(t.app, person.email, from),
      () => signIn(t.app, person.email, { ...from, password: PASSWORD }),
      ...times(4, () => () => signIn(t.app, person.email, from)),
    ]);
    expect(codes).toEqual([401, 401, 200, 401, 401, 401, 429]);
  });

  test("past the limit per address, whatever the e-mails: 429 for every account from there, not elsewhere", async () => {
    const from = { remoteAddress: "198.51.100.5" };
    const codes = await codesOf(times(7, (i) => () => signIn(t.app, `nobody-${i}@pris.test`, from)));
    expect(codes).toEqual([401, 401, 401, 401, 401, 401, 429]);
    const person = await createUser(t.db, { role: "analyst" });
    expect((await signIn(t.app, person.email, { ...from, password: PASSWORD })).statusCode).toBe(429);
    const elsewhere = await signIn(t.app, person.email, {
      remoteAddress: "198.51.100.6",
      password: PASSWORD,
    });
    expect(elsewhere.statusCode).toBe(200);
  });

  test("an attacker hammering an account cannot lock its owner out: only a bounded delay", async () => {
    const owner = await createUser(t.db, { role: "analyst" });
    const hammer = (wave: number, n: number) =>
      Promise.all(times(n, (i) => signIn(t.app, owner.email, { remoteAddress: `10.66.${wave}.${i % 4}` })));
    const first = await hammer(1, 12);
    expect(first.map((r) => r.statusCode).sort()).toEqual(times(12, () => 401));
    // And a botnet's earlier failures, from as many addresses: uncapped, the delay would be 13 s.
    await t.db
      .insert(signInFailures)
      .values(times(40, (i) => ({ subject: owner.email.toLowerCase(), ip: `10.67.0.${i}`, kind: "login" })));

    // While a second wave goes on, the owner signs in from their own address with the right password.
    const started = Date.now();
    const [own, second] = await Promise.all([
      signIn(t.app, owner.email, { remoteAddress: "198.51.100.7", password: PASSWORD }),
      hammer(2, 4),
    ]);
    const elapsed = Date.now() - started;
    expect(own.statusCode).toBe(200);
    expect(second.every((r) => r.statusCode === 401 || r.statusCode === 429)).toBe(true);
    // 52 recent failures: the owner waited the whole cap, and no more than it (and Argon2id).
    expect(elapsed).toBeGreaterThanOrEqual(MAX_DELAY_MS - 50);
    expect(elapsed).toBeLessThan(MAX_DELAY_MS + 4_000);
    const [row] = await t.db.select().from(users).where(eq(users.id, owner.id));
    expect(row!.active).toBe(true);
  });

  test("are shared by the replicas: failures through one are counted by the other", async () => {
    const person = await createUser(t.db, { role: "analyst" });
    // behindProxy trusts 192.0.2.0/24 and takes the forwarded address; t.app sees the peer's.
    const viaFirst = await codesOf(
      times(2, () => () => signIn(t.app, person.email, { remoteAddress: "198.51.100.8" })),
    );
    const viaSecond = await codesOf(
      times(
        2,
        () => () =>
          signIn(behindProxy, person.email, { remoteAddress: "192.0.2.1", forwardedFor: "198.51.100.8" }),
      ),
    );
    expect([...viaFirst, ...viaSecond]).toEqual([401, 401, 401, 429]);
    expect((await signIn(t.app, person.email, { remoteAddress: "198.51.100.8" })).statusCode).toBe(429);
  });
});

describe("e-mailed links", () => {
  const guess = (app: App, url: string, remoteAddress: string) =>
    app.inject({ method: "GET", url, remoteAddress });

  test("guessing a reset link: 429 per link and address, and per address across links", async () => {
    const person = await createUser(t.db, { role: "analyst" });
    const fake = (i: number) => `/api/v1/auth/password-reset/${person.id}.9999999999.AAAAAAAAAAAA.guess${i}`;
    const perLink = await codesOf(times(4, (i) => () => guess(t.app, fake(i), "198.51.100.20")));
    expect(perLink).toEqual([404, 404, 404, 429]);
    const refused = await guess(t.app, fake(9), "198.51.100.20");
    expect(refused.json()).toMatchObject({ status: 429, code: "too_many_attempts" });
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);

    // The real link still opens from the owner's address.
    const [row] = await t.db.select().from(users).where(eq(users.id, person.id));
    const real = signPasswordResetToken(t.config.JWT_SECRET, row!, new Date(Date.now() + 600_000));
    const opened = await guess(
      t.app,
      `/api/v1/auth/password-reset/${encodeURIComponent(real)}`,
      "198.51.100.21",
    );
    expect(opened.statusCode).toBe(200);

    const manyLinks = await codesOf(
      times(
        7,
        (i) => () =>
          guess(
            t.app,
            `/api/v1/auth/password-reset/0190000${i}-0000-7000-8000-000000000001.1.x.y`,
            "198.51.100.22",
          ),
      ),
    );
    expect(manyLinks).toEqual([404, 404, 404, 404, 404, 404, 429]);
  });

  test("guessing an invitation link: 429 per link and address, and per address across links", async () => {
    const fake = (id: string, i: number) => `/api/v1/invitation-links/${id}.1.9999999999.guess${i}`;
    const id = "01900000-0000-7000-8000-0000000000aa";
    const perLink = await codesOf(times(4, (i) => () => guess(t.app, fake(id, i), "198.51.100.30")));
    expect(perLink).toEqual([404, 404, 404, 429]);
    expect((await guess(t.app, fake(id, 9), "198.51.100.30")).json().code).toBe("too_many_attempts");

    const manyLinks = await codesOf(
      times(
        7,
        (i) => () => guess(t.app, fake(`0190000${i}-0000-7000-8000-0000000000bb`, i), "198.51.100.31"),
      ),
    );
    expect(manyLinks).toEqual([404, 404, 404, 404, 404, 404, 429]);
    // Another replica sees the same count.
    const viaSecond = await behindProxy.inject({
      method: "GET",
      url: fake(id, 10),
      remoteAddress: "192.0.2.9",
      headers: { "x-forwarded-for": "198.51.100.31" },
    });
    expect(viaSecond.statusCode).toBe(429);
  });
});

test("the worker deletes the failures older than a day, and keeps the recent ones", async () => {
  await t.db.insert(signInFailures).values([
    {
      subject: "old@pris.test",
      ip: "198.51.100.40",
      kind: "login",
      at: new Date(Date.now() - 25 * 3600_000),
    },
    {
      subject: "recent@pris.test",
      ip: "198.51.100.40",
      kind: "login",
      at: new Date(Date.now() - 23 * 3600_000),
    },
  ]);
  const { failures } = await pruneSignInRecords({
    db: t.db,
    config: t.config,
    logger: createLogger(t.config),
  });
  expect(failures).toBe(1);
  expect((await failuresFrom("198.51.100.40")).map((f) => f.subject)).toEqual(["recent@pris.test"]);
});

describe("second-factor codes", () => {
  test("past the limit per account, from any address and through any replica: 429", async () => {
    // The template makes every factor optional: the task force's becomes required here.
    await t.db
      .update(secondFactorPolicies)
      .set({ required: true })
      .where(eq(secondFactorPolicies.role, "taskforce"));
    const person = await createUser(t.db, { role: "taskforce" });
    const signedIn = await signIn(t.app, person.email, {
      remoteAddress: "198.51.100.50",
      password: PASSWORD,
    });
    expect(signedIn.json()).toMatchObject({ secondFactor: "enrol" });
    const headers = {
      cookie: `pris_session=${signedIn.cookies.find((c) => c.name === "pris_session")!.value}`,
      "x-csrf-token": signedIn.json().csrfToken,
    };
    const call = (
      app: App,
      url: string,
      from: { remoteAddress: string; forwardedFor?: string },
      payload?: object,
    ) =>
      app.inject({
        method: "POST",
        url: `/api/v1/auth/second-factor${url}`,
        remoteAddress: from.remoteAddress,
        headers: { ...headers, ...(from.forwardedFor ? { "x-forwarded-for": from.forwardedFor } : {}) },
        ...(payload ? { payload } : {}),
      });
    expect((await call(t.app, "/totp/setup", { remoteAddress: "198.51.100.50" })).statusCode).toBe(200);

    // Three wrong codes from each of two addresses, one of them through the other replica: LOGIN_RATE_LIMIT_MAX
    // per address would let them go on; the account's count stops them.
    const wrong = { code: "000000" };
    const codes = await codesOf([
      ...times(3, () => () => call(t.app, "/totp/confirm", { remoteAddress: "198.51.100.51" }, wrong)),
      ...times(
        3,
        () => () =>
          call(
            behindProxy,
            "/totp/confirm",
            { remoteAddress: "192.0.2.7", forwardedFor: "198.51.100.52" },
            wrong,
          ),
      ),
    ]);
    expect(codes.slice(0, 3)).toEqual([401, 401, 401]);
    expect(codes.slice(3)).toEqual([429, 429, 429]);
    const refused = await call(t.app, "/totp/confirm", { remoteAddress: "198.51.100.53" }, wrong);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().code).toBe("too_many_attempts");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
  });
});
