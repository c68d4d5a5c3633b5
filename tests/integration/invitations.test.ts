import { auditLog, establishments, invitations, mailDeliveries, outbox, outboxValues, users } from "@pris/db";
import type { Invitation } from "@pris/domain";
import { and, eq, sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectTrailInFrench } from "../support/audit-fixtures.ts";
import {
  createEstablishment,
  createGht,
  createTerritory,
  createUser,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import type { ReceivedMail, TestSmtpServer } from "../support/smtp.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

/**
 * People onboarded by invitation, through the API, the outbox, the real worker and a real SMTP server:
 * the French e-mail and its single-use link, acceptance that creates the account and signs in, links
 * that no longer work and say why, bulk invitation of the imported RSSI contacts, and who may invite.
 */
let stack: FullStack;
let smtp: TestSmtpServer;
let t: TestApp;
let admin: Awaited<ReturnType<typeof createUser>>;
let adminH: Record<string, string>;
let analystH: Record<string, string>;
let ghtRssiH: Record<string, string>;
let plainRssiH: Record<string, string>;
let alpha: { id: string; name: string };
let bravo: { id: string; name: string };
let outsider: { id: string; name: string };

beforeAll(async () => {
  stack = await startFullStack(
    { sweepEveryMs: 500 },
    { LOGIN_RATE_LIMIT_MAX: "1000", LOGIN_RATE_LIMIT_ADDRESS_MAX: "100000" },
  );
  ({ smtp, t } = stack);
  const ght = await createGht(t.db, "GHT Océan");
  alpha = await createEstablishment(t.db, { name: "CH Alpha", ghtId: ght.id });
  bravo = await createEstablishment(t.db, { name: "Clinique Bravo", ghtId: ght.id });
  outsider = await createEstablishment(t.db, { name: "EHPAD Dehors", category: "ehpad" });
  admin = await createUser(t.db, { role: "admin", name: "Alice Administratrice" });
  adminH = (await login(t.app, admin.email)).bearer;
  analystH = (await login(t.app, (await createUser(t.db, { role: "analyst", name: "Paul Analyste" })).email))
    .bearer;
  ghtRssiH = (await login(t.app, (await createUser(t.db, { role: "rssi", ghtId: ght.id })).email)).bearer;
  plainRssiH = (
    await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: alpha.id })).email)
  ).bearer;
});

afterAll(async () => {
  await stack?.close();
});

function invite(headers: Record<string, string>, payload: Record<string, unknown>) {
  return t.app.inject({ method: "POST", url: "/api/v1/invitations", headers, payload });
}

async function mailsTo(address: string, count: number): Promise<ReceivedMail[]> {
  return waitUntil(`${count} e-mail(s) to ${address}`, () => {
    const found = smtp.messages.filter((m) => m.envelopeTo.includes(address));
    return found.length >= count && found;
  });
}

function linkOf(mail: ReceivedMail): string {
  const match = /https:\/\/pris\.example\.re\/invitation\/([A-Za-z0-9._-]+)/.exec(mail.parsed.text ?? "");
  expect(match, mail.parsed.text).not.toBeNull();
  expect(mail.parsed.html).toContain(match![0]);
  return match![1]!;
}

const check = (token: string) =>
  t.app.inject({ method: "GET", url: `/api/v1/invitation-links/${encodeURIComponent(token)}` });
const accept = (token: string, password: string) =>
  t.app.inject({
    method: "POST",
    url: `/api/v1/invitation-links/${encodeURIComponent(token)}/accept`,
    payload: { password },
  });

const auditOf = (objectId: string) =>
  t.db.select().from(auditLog).where(eq(auditLog.objectId, objectId)).orderBy(auditLog.at);

describe("an invitation e-mailed and accepted", () => {
  let invitation: Invitation;
  let token: string;
  const email = "marie.hoarau@ch-alpha.test";

  it("the admin invites an RSSI: a French e-mail arrives through the worker, with the link and its expiry", async () => {
    const res = await invite(adminH, {
      email: "Marie.Hoarau@ch-alpha.test",
      displayName: "Marie Hoarau",
      role: "rssi",
      establishmentId: alpha.id,
    });
    expect(res.statusCode, res.body).toBe(201);
    invitation = res.json();
    expect(invitation).toMatchObject({
      email,
      status: "pending",
      sendCount: 1,
      role: "rssi",
      establishment: { id: alpha.id, name: "CH Alpha" },
      invitedBy: "Alice Administratrice",
    });
    const [mail] = await mailsTo(email, 1);
    expect(mail!.parsed.subject).toBe("Invitation à rejoindre PRIS — La Réunion");
    const text = mail!.parsed.text ?? "";
    expect(text).toContain("Bonjour Marie Hoarau,");
    expect(text).toContain("Alice Administratrice vous invite à rejoindre PRIS");
    expect(text).toContain("en tant que RSSI d'établissement pour CH Alpha");
    const expiresAt = new Date(invitation.expiresAt);
    expect(expiresAt.getTime() - Date.now()).toBeGreaterThan(167 * 3600_000);
    const day = new Intl.DateTimeFormat("fr-FR", { dateStyle: "full", timeZone: "Indian/Reunion" }).format(
      expiresAt,
    );
    const time = new Intl.DateTimeFormat("fr-FR", { timeStyle: "short", timeZone: "Indian/Reunion" }).format(
      expiresAt,
    );
    expect(text).toContain(`Il expire le ${day} à ${time} (heure de La Réunion)`);
    expect(day).toMatch(/^[a-z]+ \d{1,2} [a-zéû]+ \d{4}$/);
    expect(mail!.parsed.html).toContain("Choisir mon mot de passe");
    token = linkOf(mail!);
    // Job payloads and the delivery row carry ids, never the link.
    const [delivery] = await t.db
      .select()
      .from(mailDeliveries)
      .where(eq(mailDeliveries.subjectId, invitation.id));
    expect(delivery).toMatchObject({ template: "invitation", toAddress: email, userId: null });
    expect(JSON.stringify(delivery)).not.toContain(token.split(".")[3]);
  });

  it("the list shows the invitation with its e-mail's delivery", async () => {
    const row = await waitUntil("delivery recorded sent", async () => {
      const res = await t.app.inject({
        method: "GET",
        url: `/api/v1/invitations?q=hoarau&status=pending`,
        headers: adminH,
      });
      expect(res.statusCode, res.body).toBe(200);
      const found = (res.json() as { items: Invitation[] }).items.find((i) => i.id === invitation.id);
      return found?.delivery?.status === "sent" && found;
    });
    expect(row.delivery!.sentAt).not.toBeNull();
  });

  it("the link says who is invited, without login", async () => {
    const res = await check(token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      email,
      displayName: "Marie Hoarau",
      role: "rssi",
      establishmentName: "CH Alpha",
      ghtName: null,
      expiresAt: invitation.expiresAt,
    });
  });

  it("a password of spaces only is refused, naming the field, and the link stays good", async () => {
    for (const password of [" ".repeat(14), "\t\t\t\t\t\t  \n    ", "   court    "]) {
      const res = await accept(token, password);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().errors).toEqual([expect.objectContaining({ field: "/password" })]);
    }
    expect((await accept(token, "short")).statusCode).toBe(400);
    expect((await check(token)).statusCode).toBe(200);
  });

  it("accepting creates the account, traces it, and signs the person in", async () => {
    const res = await accept(token, "Mon mot de passe 974 !");
    expect(res.statusCode, res.body).toBe(200);
    const session = res.json();
    expect(session.user).toMatchObject({
      email,
      displayName: "Marie Hoarau",
      role: "rssi",
      establishments: [{ id: alpha.id, name: "CH Alpha" }],
    });
    const cookie = res.cookies.find((c) => c.name === "pris_session");
    expect(cookie?.httpOnly).toBe(true);
    const me = await t.app.inject({
      method: "GET",
      url: "/api/v1/auth/session",
      headers: { cookie: `pris_session=${cookie!.value}` },
    });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json().user.email).toBe(email);
    // The password chosen works at the login too.
    await login(t.app, email, "Mon mot de passe 974 !");

    const [row] = await t.db.select().from(invitations).where(eq(invitations.id, invitation.id));
    expect(row!.acceptedAt).not.toBeNull();
    const [user] = await t.db.select().from(users).where(eq(users.id, row!.userId!));
    expect(user).toMatchObject({ email, role: "rssi", establishmentId: alpha.id, active: true });
    expect((await auditOf(invitation.id)).map((a) => a.action)).toEqual([
      "invitation.create",
      "invitation.accept",
    ]);
    const [created] = await auditOf(user!.id);
    expect(created).toMatchObject({ action: "user.create", actorUserId: user!.id });
    expect(created!.after).toMatchObject({ role: "rssi", establishmentId: alpha.id });
  });

  it("the link works once", async () => {
    for (const res of [await check(token), await accept(token, "Un autre mot de passe")]) {
      expect(res.statusCode).toBe(410);
      expect(res.json()).toMatchObject({ code: "invitation_used" });
      expect(res.json().detail).toContain("déjà été utilisée");
    }
    expect(await t.db.$count(users, sql`lower(${users.email}) = ${email}`)).toBe(1);
  });

  it("an address that has an account, or an invitation waiting, is refused with 409", async () => {
    const taken = await invite(adminH, {
      email,
      displayName: "Marie",
      role: "rssi",
      establishmentId: alpha.id,
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: "email_taken" });
    const first = await invite(adminH, { email: "paul@ars.test", displayName: "Paul", role: "ars" });
    expect(first.statusCode, first.body).toBe(201);
    const again = await invite(adminH, { email: "PAUL@ars.test", displayName: "Paul", role: "ars" });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: "invitation_pending", errors: [{ field: "/email" }] });
  });
});

describe("links that no longer work say why", () => {
  it("a re-sent invitation: the old link is replaced, the new e-mail's link works", async () => {
    const email = "jean.grondin@clinique-bravo.test";
    const res = await invite(adminH, {
      email,
      displayName: "Jean Grondin",
      role: "rssi",
      establishmentId: bravo.id,
    });
    expect(res.statusCode, res.body).toBe(201);
    const id = (res.json() as Invitation).id;
    const oldToken = linkOf((await mailsTo(email, 1))[0]!);
    const resent = await t.app.inject({
      method: "POST",
      url: `/api/v1/invitations/${id}/resend`,
      headers: adminH,
    });
    expect(resent.statusCode, resent.body).toBe(200);
    expect(resent.json()).toMatchObject({ sendCount: 2, status: "pending" });
    const newToken = linkOf((await mailsTo(email, 2))[1]!);
    expect(newToken).not.toBe(oldToken);
    const old = await check(oldToken);
    expect(old.statusCode).toBe(410);
    expect(old.json()).toMatchObject({ code: "invitation_superseded" });
    expect(old.json().detail).toContain("remplacé");
    expect((await accept(oldToken, "Mon mot de passe 974 !")).statusCode).toBe(410);
    expect((await check(newToken)).statusCode).toBe(200);
    expect((await auditOf(id)).map((a) => a.action)).toEqual([
      "invitation.create",
      "invitation.resend",
      "invitation.link_refused",
    ]);
  });

  it("a cancelled invitation", async () => {
    const email = "annule@ch-alpha.test";
    const res = await invite(adminH, { email, displayName: "Annulé", role: "analyst" });
    const id = (res.json() as Invitation).id;
    const token = linkOf((await mailsTo(email, 1))[0]!);
    const cancelled = await t.app.inject({
      method: "POST",
      url: `/api/v1/invitations/${id}/cancel`,
      headers: adminH,
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: "cancelled" });
    const res2 = await check(token);
    expect(res2.statusCode).toBe(410);
    expect(res2.json()).toMatchObject({ code: "invitation_cancelled" });
    expect(res2.json().detail).toContain("annulée");
    const resend = await t.app.inject({
      method: "POST",
      url: `/api/v1/invitations/${id}/resend`,
      headers: adminH,
    });
    expect(resend.statusCode).toBe(409);
    expect(resend.json()).toMatchObject({ code: "invitation_closed" });
    expect((await auditOf(id)).map((a) => a.action)).toEqual(["invitation.create", "invitation.cancel"]);
    // Cancelling frees the address.
    expect((await invite(adminH, { email, displayName: "Annulé", role: "analyst" })).statusCode).toBe(201);
  });

  it("an expired invitation, until it is re-sent", async () => {
    const email = "expire@ch-alpha.test";
    const res = await invite(adminH, { email, displayName: "Expiré", role: "taskforce" });
    const id = (res.json() as Invitation).id;
    const token = linkOf((await mailsTo(email, 1))[0]!);
    await t.db
      .update(invitations)
      .set({ expiresAt: new Date(Date.now() - 60_000) })
      .where(eq(invitations.id, id));
    const res2 = await check(token);
    expect(res2.statusCode).toBe(410);
    expect(res2.json()).toMatchObject({ code: "invitation_expired" });
    expect(res2.json().detail).toContain("expiré");
    expect((await accept(token, "Mon mot de passe 974 !")).statusCode).toBe(410);
    // Opening the link leaves no trace (mail scanners open links); trying to use it does.
    expect((await auditOf(id)).filter((a) => a.action === "invitation.link_refused")).toEqual([
      expect.objectContaining({
        actorUserId: null,
        objectLabel: email,
        after: { reason: "invitation_expired" },
      }),
    ]);
    const expired = await t.app.inject({
      method: "GET",
      url: "/api/v1/invitations?status=expired",
      headers: adminH,
    });
    expect((expired.json() as { items: Invitation[] }).items.map((i) => i.id)).toEqual([id]);
    const resent = await t.app.inject({
      method: "POST",
      url: `/api/v1/invitations/${id}/resend`,
      headers: adminH,
    });
    expect(resent.json()).toMatchObject({ status: "pending", sendCount: 2 });
    const fresh = linkOf((await mailsTo(email, 2))[1]!);
    expect((await check(fresh)).statusCode).toBe(200);
  });

  it("a link PRIS did not make", async () => {
    const [row] = await t.db.select().from(invitations).limit(1);
    for (const token of [
      `${row!.id}.${row!.sendCount}.9999999999.${"A".repeat(43)}`,
      "not-a-token-at-all",
      `${row!.id}.1.2.3.4`,
    ]) {
      const res = await check(token);
      expect(res.statusCode, token).toBe(404);
      expect(res.json()).toMatchObject({ code: "invalid_link" });
      expect(res.json().detail).toContain("n'est pas valide");
    }
  });
});

describe("who may invite", () => {
  it("a GHT's RSSI invites RSSIs for its members, and nothing outside them exists for them", async () => {
    const ok = await invite(ghtRssiH, {
      email: "adjoint@clinique-bravo.test",
      displayName: "Adjoint Bravo",
      role: "rssi",
      establishmentId: bravo.id,
    });
    expect(ok.statusCode, ok.body).toBe(201);
    const outside = await invite(ghtRssiH, {
      email: "x@dehors.test",
      displayName: "X",
      role: "rssi",
      establishmentId: outsider.id,
    });
    expect(outside.statusCode).toBe(404);
    const unknown = await invite(ghtRssiH, {
      email: "y@dehors.test",
      displayName: "Y",
      role: "rssi",
      establishmentId: "01900000-0000-7000-8000-000000000001",
    });
    expect(unknown.statusCode).toBe(404);
    const analyst = await invite(ghtRssiH, { email: "z@dehors.test", displayName: "Z", role: "analyst" });
    expect(analyst.statusCode).toBe(403);

    // The admin's invitation for the outsider is not theirs to see, re-send or cancel.
    const adminOnes = await invite(adminH, {
      email: "rssi@dehors.test",
      displayName: "RSSI Dehors",
      role: "rssi",
      establishmentId: outsider.id,
    });
    const foreignId = (adminOnes.json() as Invitation).id;
    for (const url of [
      `/api/v1/invitations/${foreignId}/resend`,
      `/api/v1/invitations/${foreignId}/cancel`,
    ]) {
      expect((await t.app.inject({ method: "POST", url, headers: ghtRssiH })).statusCode).toBe(404);
    }
    expect(
      (await t.app.inject({ method: "GET", url: `/api/v1/invitations/${foreignId}`, headers: ghtRssiH }))
        .statusCode,
    ).toBe(404);
    const list = await t.app.inject({
      method: "GET",
      url: "/api/v1/invitations?limit=100",
      headers: ghtRssiH,
    });
    const items = (list.json() as { items: Invitation[] }).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.establishment && [alpha.id, bravo.id].includes(i.establishment.id))).toBe(
      true,
    );
  });

  it("an RSSI without a GHT may not invite (403), nor list invitations", async () => {
    const res = await invite(plainRssiH, {
      email: "collegue@ch-alpha.test",
      displayName: "Collègue",
      role: "rssi",
      establishmentId: alpha.id,
    });
    expect(res.statusCode).toBe(403);
    for (const url of ["/api/v1/invitations", "/api/v1/invitations/bulk"]) {
      expect((await t.app.inject({ method: "GET", url, headers: plainRssiH })).statusCode).toBe(403);
    }
  });

  it("an analyst invites the network's RSSIs, not the pole's people", async () => {
    const rssi = await invite(analystH, {
      email: "rssi2@dehors.test",
      displayName: "Autre RSSI",
      role: "rssi",
      establishmentId: outsider.id,
    });
    expect(rssi.statusCode, rssi.body).toBe(201);
    for (const role of ["analyst", "admin", "ars"]) {
      const res = await invite(analystH, { email: `${role}@pole.test`, displayName: "Quelqu'un", role });
      expect(res.statusCode, role).toBe(403);
    }
    const list = await t.app.inject({
      method: "GET",
      url: "/api/v1/invitations?limit=100",
      headers: analystH,
    });
    expect((list.json() as { items: Invitation[] }).items.every((i) => i.role === "rssi")).toBe(true);
  });

  it("the task force and the ARS may not invite", async () => {
    for (const role of ["taskforce", "ars"] as const) {
      const h = (await login(t.app, (await createUser(t.db, { role })).email)).bearer;
      expect(
        (await invite(h, { email: "q@q.test", displayName: "Q", role: "rssi", establishmentId: alpha.id }))
          .statusCode,
      ).toBe(403);
    }
  });

  it("an RSSI needs an establishment or a GHT, and only an RSSI has one", async () => {
    const none = await invite(adminH, { email: "a@b.test", displayName: "A", role: "rssi" });
    expect(none.statusCode).toBe(400);
    expect(none.json().errors).toEqual([expect.objectContaining({ field: "/establishmentId" })]);
    const extra = await invite(adminH, {
      email: "a@b.test",
      displayName: "A",
      role: "ars",
      establishmentId: alpha.id,
    });
    expect(extra.statusCode).toBe(400);
  });
});

describe("bulk invitation of the imported RSSI contacts", () => {
  const territory = "est-bulk";
  let ids: string[] = [];

  beforeAll(async () => {
    await createTerritory(t.db, territory, "Est");
    const made = [];
    for (let i = 0; i < 4; i += 1)
      made.push(await createEstablishment(t.db, { territory, name: `Bulk ${i}` }));
    ids = made.map((e) => e.id);
    // Not invited: an inactive one, one with an RSSI account, one without an RSSI address,
    // and one sharing its RSSI's address with another (invited once).
    const inactive = await createEstablishment(t.db, { territory, name: "Bulk fermé" });
    await t.db.update(establishments).set({ active: false }).where(eq(establishments.id, inactive.id));
    const covered = await createEstablishment(t.db, { territory, name: "Bulk couvert" });
    await createUser(t.db, { role: "rssi", establishmentId: covered.id });
    const noAddress = await createEstablishment(t.db, { territory, name: "Bulk sans adresse" });
    await t.db
      .update(establishments)
      .set({ contacts: { director: { name: "Directeur" } } })
      .where(eq(establishments.id, noAddress.id));
    const twin = await createEstablishment(t.db, { territory, name: "Bulk jumeau" });
    const [first] = await t.db.select().from(establishments).where(eq(establishments.id, ids[0]!));
    await t.db
      .update(establishments)
      .set({ contacts: { rssi: { name: "Même RSSI", email: first!.contacts.rssi!.email! } } })
      .where(eq(establishments.id, twin.id));
  });

  it("counts before sending, sends them all in one go, and counts none after", async () => {
    const preview = await t.app.inject({
      method: "GET",
      url: `/api/v1/invitations/bulk?territory=${territory}`,
      headers: adminH,
    });
    expect(preview.statusCode, preview.body).toBe(200);
    const body = preview.json() as { count: number; items: { establishmentId: string; email: string }[] };
    expect(body.count).toBe(4);
    expect(body.items.map((i) => i.establishmentId).sort()).toEqual([...ids].sort());

    const sent = await t.app.inject({
      method: "POST",
      url: "/api/v1/invitations/bulk",
      headers: adminH,
      payload: { territory },
    });
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json()).toEqual({ count: 4 });
    const [entry] = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "invitation.bulk")));
    expect(entry!.after).toMatchObject({ count: 4, territory });

    for (const item of body.items) {
      const [mail] = await mailsTo(item.email, 1);
      expect(mail!.parsed.subject).toContain("Invitation à rejoindre PRIS");
      expect((await check(linkOf(mail!))).statusCode).toBe(200);
    }
    const after = await t.app.inject({
      method: "GET",
      url: `/api/v1/invitations/bulk?territory=${territory}`,
      headers: adminH,
    });
    expect(after.json()).toMatchObject({ count: 0 });
  });

  it("a GHT's RSSI counts only its members", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/v1/invitations/bulk", headers: ghtRssiH });
    expect(res.statusCode, res.body).toBe(200);
    const items = (res.json() as { items: { establishmentId: string }[] }).items;
    expect(items.every((i) => [alpha.id, bravo.id].includes(i.establishmentId))).toBe(true);
  });
});

describe("hostile links and passwords", () => {
  it("a mangled genuine token, or anything else, gets 400, 404 or 410 in problem+json, never a 5xx", async () => {
    const email = "fuzz@ch-alpha.test";
    await invite(adminH, { email, displayName: "Fuzz", role: "rssi", establishmentId: alpha.id });
    const genuine = linkOf((await mailsTo(email, 1))[0]!);
    const mangled = fc
      .tuple(fc.nat({ max: genuine.length - 1 }), fc.string({ minLength: 0, maxLength: 3 }))
      .map(([at, text]) => genuine.slice(0, at) + text + genuine.slice(at + 1));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(mangled, fc.string({ maxLength: 80 })),
        fc.oneof(
          fc.string({ maxLength: 11 }),
          fc.constant(" ".repeat(40)),
          fc.constant(" \t x \n "),
          fc.constant(null),
        ),
        async (token, password) => {
          const path = `/api/v1/invitation-links/${encodeURIComponent(token) || "x"}`;
          for (const res of [
            await t.app.inject({ method: "GET", url: path }),
            await t.app.inject({ method: "POST", url: `${path}/accept`, payload: { password } }),
          ]) {
            if (token === genuine && res.statusCode === 200) continue;
            expect([400, 404, 410], `${token} ${res.body}`).toContain(res.statusCode);
            expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
          }
        },
      ),
      { numRuns: 150, seed: 20261206 },
    );
    // None of those passwords is acceptable: the invitation is still waiting.
    expect((await check(genuine)).statusCode).toBe(200);
  });
});

describe("the public link is rate-limited like the login", () => {
  let small: TestApp;
  beforeAll(async () => {
    small = await startTestApp({ LOGIN_RATE_LIMIT_MAX: "3" });
  });
  afterAll(async () => {
    await small?.close();
  });

  it("answers 429 after the allowed attempts from one address at one invitation", async () => {
    const id = "01900000-0000-7000-8000-000000000001";
    const attempt = (n: number, remoteAddress: string, invitationId = id) =>
      small.app.inject({
        method: "GET",
        url: `/api/v1/invitation-links/${invitationId}.1.9999999999.guess${n}`,
        remoteAddress,
      });
    const codes: number[] = [];
    for (let i = 0; i < 5; i += 1) codes.push((await attempt(i, "10.1.2.3")).statusCode);
    expect(codes).toEqual([404, 404, 404, 429, 429]);
    const limited = await attempt(9, "10.1.2.3");
    expect(limited.headers["content-type"]).toMatch(/^application\/problem\+json/);
    // Another address, or another invitation from the same address (colleagues behind one NAT), still may.
    expect((await attempt(5, "10.9.9.9")).statusCode).toBe(404);
    expect((await attempt(6, "10.1.2.3", "01900000-0000-7000-8000-000000000002")).statusCode).toBe(404);
  });
});

describe("the list pages through every invitation", () => {
  it("newest first, by cursor, to the end; a forged cursor is a 400", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let total = 0;
    do {
      const url: string = `/api/v1/invitations?limit=3${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await t.app.inject({ method: "GET", url, headers: adminH });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { items: Invitation[]; total: number; nextCursor: string | null };
      seen.push(...page.items.map((i) => i.id));
      total = page.total;
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect(total).toBe(await t.db.$count(invitations));
    for (const forged of [Buffer.from(JSON.stringify(["-".repeat(36)])).toString("base64url"), "nope"]) {
      const res = await t.app.inject({
        method: "GET",
        url: `/api/v1/invitations?cursor=${forged}`,
        headers: adminH,
      });
      expect(res.statusCode).toBe(400);
    }
  });
});

describe("the worker sends only what is still owed", () => {
  it("an invitation closed, or re-sent, before its outbox row is relayed sends nothing for that row", async () => {
    const rows = await t.db
      .insert(invitations)
      .values([
        {
          email: "closed-early@ch-alpha.test",
          displayName: "Fermée",
          role: "ars",
          expiresAt: new Date(Date.now() + 3600_000),
          cancelledAt: new Date(),
        },
        {
          email: "resent-early@ch-alpha.test",
          displayName: "Renvoyée",
          role: "ars",
          expiresAt: new Date(Date.now() + 3600_000),
          sendCount: 2,
        },
      ])
      .returning();
    const written = await t.db
      .insert(outbox)
      .values(
        rows.map((r) =>
          outboxValues({ topic: "invitation.sent", aggregateId: r.id, payload: { sendCount: 1 } }),
        ),
      )
      .returning();
    const done = await waitUntil("both rows processed", async () => {
      const now = await t.db
        .select()
        .from(outbox)
        .where(
          sql`${outbox.id} IN (${sql.join(
            written.map((w) => sql`${w.id}`),
            sql`, `,
          )})`,
        );
      return now.every((r) => r.processedAt) && now;
    });
    expect(done.map((r) => r.lastError).sort()).toEqual([
      "invitation closed before its e-mail",
      "invitation re-sent before this e-mail",
    ]);
    for (const r of rows) {
      expect(await t.db.$count(mailDeliveries, eq(mailDeliveries.subjectId, r.id))).toBe(0);
      expect(smtp.messages.some((m) => m.envelopeTo.includes(r.email))).toBe(false);
    }
  });
});

describe("the administration trail", () => {
  it("every entry these flows wrote is one the audit page reads in French", async () => {
    expectTrailInFrench(await t.db.select().from(auditLog));
  });
});
