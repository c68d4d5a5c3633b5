import { auditLog, mailDeliveries, outbox, secondFactorPolicies, sessions, users } from "@pris/db";
import { signPasswordResetToken } from "@pris/domain/password-reset-token";
import { and, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectTrailInFrench } from "../support/audit-fixtures.ts";
import { createEstablishment, createUser, login, PASSWORD } from "../support/fixtures.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import type { ReceivedMail, TestSmtpServer } from "../support/smtp.ts";
import { sleep, waitUntil } from "../support/worker-fixtures.ts";

/**
 * Passwords for those who keep one, through the API, the outbox, the real worker and a real SMTP server:
 * the policy wherever a password is set, the change by its owner, and "mot de passe oublié" by e-mail
 * (the same answer for any address, a single-use link that expires, every session ended).
 */
let stack: FullStack;
let smtp: TestSmtpServer;
let t: FullStack["t"];
let adminH: Record<string, string>;

const STRONG = "Cascade violette sous le tambour";

beforeAll(async () => {
  stack = await startFullStack(
    { sweepEveryMs: 500 },
    { LOGIN_RATE_LIMIT_MAX: "1000", LOGIN_RATE_LIMIT_ADDRESS_MAX: "100000" },
  );
  ({ smtp, t } = stack);
  const admin = await createUser(t.db, { role: "admin", name: "Alice Administratrice" });
  adminH = (await login(t.app, admin.email)).bearer;
});

afterAll(async () => {
  await stack?.close();
});

/** Open server-side sessions of a person, as the sessions work writes them. */
async function openSessions(userId: string, n: number): Promise<string[]> {
  const rows = await t.db
    .insert(sessions)
    .values(Array.from({ length: n }, () => ({ userId, expiresAt: new Date(Date.now() + 3600_000) })))
    .returning({ id: sessions.id });
  return rows.map((r) => r.id);
}

const sessionsOf = (userId: string) => t.db.select().from(sessions).where(eq(sessions.userId, userId));

interface Problem {
  errors: { field: string; message: string }[];
}

function expectPolicyRefusal(res: { statusCode: number; body: string; json(): unknown }, field: string) {
  expect(res.statusCode, res.body).toBe(400);
  const problem = res.json() as Problem;
  expect(problem.errors).toEqual([expect.objectContaining({ field })]);
  // A French reason, for the page to show as it is.
  expect(problem.errors[0]!.message).toMatch(/^Il (doit|est|repose)/);
  return problem.errors[0]!.message;
}

describe("the policy wherever an administrator sets a password", () => {
  const create = (password: string, displayName = "Jeanne Payet") =>
    t.app.inject({
      method: "POST",
      url: "/api/v1/users",
      headers: adminH,
      payload: { email: `jeanne.payet.${Math.random()}@chu.test`, displayName, role: "analyst", password },
    });

  it("refuses twelve spaces, a common password, the person's name; accepts a strong passphrase", async () => {
    expect(expectPolicyRefusal(await create(" ".repeat(12)), "/password")).toContain(
      "au moins 12 caractères",
    );
    expect(expectPolicyRefusal(await create(" ".repeat(40)), "/password")).toContain(
      "au moins 12 caractères",
    );
    expect(expectPolicyRefusal(await create("motdepasse123"), "/password")).toContain("trop facile");
    expect(expectPolicyRefusal(await create("JeannePayet2026!"), "/password")).toContain("votre nom");
    expect(expectPolicyRefusal(await create("PRIS La Réunion 2026"), "/password")).toContain("la région");
    expect(expectPolicyRefusal(await create("x".repeat(129)), "/password")).toContain("au plus 128");
    const ok = await create(STRONG);
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it("an administrator's new password for someone passes the policy, and ends their sessions", async () => {
    const user = await createUser(t.db, { role: "analyst", name: "Henri Grondin" });
    const [kept] = await openSessions(user.id, 1);
    const patch = (password: string) =>
      t.app.inject({
        method: "PATCH",
        url: `/api/v1/users/${user.id}`,
        headers: adminH,
        payload: { password },
      });
    expectPolicyRefusal(await patch("HenriGrondin974"), "/password");
    expect((await sessionsOf(user.id)).every((s) => s.endedAt === null)).toBe(true);
    const res = await patch(STRONG);
    expect(res.statusCode, res.body).toBe(200);
    const [row] = await sessionsOf(user.id);
    expect(row).toMatchObject({ id: kept, endReason: "password_change" });
    const [after] = await t.db.select().from(users).where(eq(users.id, user.id));
    expect(after!.passwordChangedAt).not.toBeNull();
  });
});

describe("a person changes their own password", () => {
  it("asks the current one, checks the new one, keeps this session and ends the others", async () => {
    const user = await createUser(t.db, {
      role: "rssi",
      establishmentId: (await createEstablishment(t.db)).id,
    });
    const others = await openSessions(user.id, 2);
    const { cookie } = await login(t.app, user.email);
    const change = (currentPassword: string, newPassword: string) =>
      t.app.inject({
        method: "POST",
        url: "/api/v1/auth/password",
        headers: cookie,
        payload: { currentPassword, newPassword },
      });

    const wrong = await change("not my password at all", STRONG);
    expect(wrong.statusCode, wrong.body).toBe(400);
    expect(wrong.json().errors).toEqual([
      { field: "/currentPassword", message: "Le mot de passe actuel saisi est incorrect." },
    ]);
    expectPolicyRefusal(await change(PASSWORD, " ".repeat(12)), "/newPassword");
    expectPolicyRefusal(await change(PASSWORD, "motdepasse123"), "/newPassword");
    expect((await sessionsOf(user.id)).every((s) => s.endedAt === null)).toBe(true);

    const unauthenticated = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/password",
      payload: { currentPassword: PASSWORD, newPassword: STRONG },
    });
    expect(unauthenticated.statusCode).toBe(401);

    const res = await change(PASSWORD, STRONG);
    expect(res.statusCode, res.body).toBe(204);
    // The old password no longer works, the new one does.
    const old = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { email: user.email, password: PASSWORD },
    });
    expect(old.statusCode).toBe(401);
    await login(t.app, user.email, STRONG);
    const rows = await sessionsOf(user.id);
    for (const id of others) {
      expect(rows.find((r) => r.id === id)).toMatchObject({ endReason: "password_change" });
      expect(rows.find((r) => r.id === id)!.endedAt).not.toBeNull();
    }
    const trail = await t.db.select().from(auditLog).where(eq(auditLog.objectId, user.id));
    const entry = trail.find((a) => a.action === "user.password_change");
    expect(entry).toMatchObject({ actorUserId: user.id });
    expect(JSON.stringify(entry)).not.toContain(STRONG);
    expectTrailInFrench(trail);
  });
});

describe("mot de passe oublié", () => {
  let person: Awaited<ReturnType<typeof createUser>>;
  let token: string;

  const ask = (email: string, ip = "203.0.113.7") =>
    t.app.inject({
      method: "POST",
      url: "/api/v1/auth/password-reset",
      payload: { email },
      remoteAddress: ip,
    });
  const check = (tk: string) =>
    t.app.inject({ method: "GET", url: `/api/v1/auth/password-reset/${encodeURIComponent(tk)}` });
  const reset = (tk: string, password: string) =>
    t.app.inject({
      method: "POST",
      url: `/api/v1/auth/password-reset/${encodeURIComponent(tk)}`,
      payload: { password },
    });

  async function mailsTo(address: string, count: number): Promise<ReceivedMail[]> {
    return waitUntil(`${count} e-mail(s) to ${address}`, () => {
      const found = smtp.messages.filter((m) => m.envelopeTo.includes(address));
      return found.length >= count && found;
    });
  }

  function linkOf(mail: ReceivedMail): string {
    const match = /https:\/\/pris\.example\.re\/mot-de-passe\/([A-Za-z0-9._-]+)/.exec(mail.parsed.text ?? "");
    expect(match, mail.parsed.text).not.toBeNull();
    expect(mail.parsed.html).toContain(match![0]);
    return match![1]!;
  }

  beforeAll(async () => {
    person = await createUser(t.db, { role: "analyst", name: "Marie Hoarau" });
  });

  it("answers the same for a known and an unknown address, and e-mails only the known one", async () => {
    const known = await ask(person.email.toUpperCase());
    const unknown = await ask("personne@inconnu.test");
    expect(known.statusCode, known.body).toBe(202);
    expect(unknown.statusCode).toBe(202);
    expect(unknown.body).toBe(known.body);
    expect(known.json().message).toContain("Si un compte correspond à cette adresse");
    const [mail] = await mailsTo(person.email, 1);
    expect(mail!.parsed.subject).toBe("Choisir un nouveau mot de passe PRIS — La Réunion");
    const text = mail!.parsed.text ?? "";
    expect(text).toContain(`Bonjour Marie Hoarau,`);
    expect(text).toContain("Il expire dans 30 minutes, le ");
    expect(text).toContain("ne sert qu'une fois");
    token = linkOf(mail!);
    // Neither the outbox nor the delivery row holds the link, nor the outbox the address.
    const rows = await t.db.select().from(outbox).where(eq(outbox.topic, "password.reset_requested"));
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain("inconnu");
    expect(JSON.stringify(rows)).not.toContain(person.email);
    const deliveries = await t.db
      .select()
      .from(mailDeliveries)
      .where(eq(mailDeliveries.template, "password-reset"));
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ userId: person.id, toAddress: person.email });
    expect(JSON.stringify(deliveries)).not.toContain(token.split(".")[3]);
    await waitUntil("both requests processed", async () => {
      const done = await t.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.topic, "password.reset_requested"), isNull(outbox.processedAt)));
      return done.length === 0;
    });
    expect(smtp.messages.filter((m) => m.envelopeTo.includes("personne@inconnu.test"))).toHaveLength(0);
  });

  it("the link says whose password it resets; a link altered is invalid", async () => {
    const res = await check(token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ email: person.email, displayName: "Marie Hoarau" });
    const altered = `${token.slice(0, -2)}${token.endsWith("AA") ? "BB" : "AA"}`;
    const bad = await check(altered);
    expect(bad.statusCode).toBe(404);
    expect(bad.json()).toMatchObject({ code: "reset_link_invalid" });
    expect(bad.json().detail).toContain("n'est pas valide");
    expect((await check("nimportequoi-0123456789")).statusCode).toBe(404);
  });

  it("the new password passes the policy; the link sets it once, ends every session and signs in", async () => {
    const open = await openSessions(person.id, 2);
    expectPolicyRefusal(await reset(token, " ".repeat(12)), "/password");
    expectPolicyRefusal(await reset(token, "Marie Hoarau 974 !"), "/password");
    expect((await check(token)).statusCode).toBe(200);

    const res = await reset(token, STRONG);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().user.email).toBe(person.email);
    expect(res.cookies.find((c) => c.name === "pris_session")?.httpOnly).toBe(true);
    await login(t.app, person.email, STRONG);
    const rows = await sessionsOf(person.id);
    for (const id of open) {
      expect(rows.find((r) => r.id === id)).toMatchObject({ endReason: "password_reset" });
    }

    const again = await reset(token, "Une autre phrase bien longue et sûre");
    expect(again.statusCode).toBe(410);
    expect(again.json()).toMatchObject({ code: "reset_link_used" });
    expect(again.json().detail).toContain("déjà servi");
    expect((await check(token)).json()).toMatchObject({ code: "reset_link_used" });

    const trail = await t.db.select().from(auditLog).where(eq(auditLog.objectId, person.id));
    expect(trail.map((a) => a.action)).toContain("user.password_reset");
    expectTrailInFrench(trail);
  });

  it("a link expires: the one e-mailed after 30 minutes, and then says so", async () => {
    const [, expires] = token.split(".");
    const minutes = (Number(expires) * 1000 - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(25);
    expect(minutes).toBeLessThanOrEqual(30);
    // The link the worker would have made for a request 31 minutes ago.
    const [row] = await t.db.select().from(users).where(eq(users.id, person.id));
    const lapsed = signPasswordResetToken(t.config.JWT_SECRET, row!, new Date(Date.now() - 60_000));
    const res = await check(lapsed);
    expect(res.statusCode).toBe(410);
    expect(res.json()).toMatchObject({ code: "reset_link_expired" });
    expect(res.json().detail).toContain("a expiré");
    expect((await reset(lapsed, STRONG)).json()).toMatchObject({ code: "reset_link_expired" });
    // Trying to use it is in the trail (opening it is not: mail scanners open links).
    const refused = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "user.reset_link_refused"), eq(auditLog.objectId, person.id)));
    expect(refused).toContainEqual(
      expect.objectContaining({ actorUserId: null, after: { reason: "reset_link_expired" } }),
    );
    // Signed with another key, or for another account: invalid.
    const forged = signPasswordResetToken(
      "another-secret-of-at-least-thirty-two-chars",
      row!,
      new Date(Date.now() + 60_000),
    );
    expect((await check(forged)).json()).toMatchObject({ code: "reset_link_invalid" });
  });

  it("a person who owes a second factor sets the password but is sent to the login, with no session opened", async () => {
    const analyst = await createUser(t.db, { role: "analyst", name: "Noé Analyste" });
    await t.db
      .update(secondFactorPolicies)
      .set({ required: true, requiredFrom: null })
      .where(eq(secondFactorPolicies.role, "analyst"));
    try {
      const [row] = await t.db.select().from(users).where(eq(users.id, analyst.id));
      const link = signPasswordResetToken(t.config.JWT_SECRET, row!, new Date(Date.now() + 10 * 60_000));
      const res = await reset(link, STRONG);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ signIn: "second_factor" });
      expect(res.cookies.find((c) => c.name === "pris_session")).toBeUndefined();
      // The password is set: the login takes it, and asks for the factor's enrolment before anything else.
      const login = await t.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        payload: { email: analyst.email, password: STRONG },
      });
      expect(login.json()).toMatchObject({ secondFactor: "enrol" });
    } finally {
      await t.db
        .update(secondFactorPolicies)
        .set({ required: false })
        .where(eq(secondFactorPolicies.role, "analyst"));
    }
  });

  it("an account gets at most three reset e-mails an hour; a deactivated one gets none", async () => {
    const busy = await createUser(t.db, { role: "analyst", name: "Zoé Ramassamy" });
    for (let i = 0; i < 5; i++) expect((await ask(busy.email)).statusCode).toBe(202);
    const gone = await createUser(t.db, { role: "analyst", name: "Parti Ailleurs", active: false });
    expect((await ask(gone.email)).statusCode).toBe(202);
    await waitUntil("every request processed", async () => {
      const left = await t.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.topic, "password.reset_requested"), isNull(outbox.processedAt)));
      return left.length === 0;
    });
    await mailsTo(busy.email, 3);
    await sleep(500);
    expect(smtp.messages.filter((m) => m.envelopeTo.includes(busy.email))).toHaveLength(3);
    expect(smtp.messages.filter((m) => m.envelopeTo.includes(gone.email))).toHaveLength(0);
  });

  it("a bad address is a 400 naming the field", async () => {
    const res = await ask("pas une adresse");
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe("/email");
  });
});
