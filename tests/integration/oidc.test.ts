import { auditLog, secondFactorPolicies, sessions, userIdentities, users } from "@pris/db";
import { and, count, desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEstablishment, createUser, startTestApp, type TestApp } from "../support/fixtures.ts";
import { HttpBrowser } from "../support/http-browser.ts";
import { startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.ts";
import { freePort } from "../support/redis-server.ts";

/**
 * Single sign-on against a real OpenID provider (oidc-provider on loopback), through real HTTP both ways:
 * the provider's back-channel logout calls the API as it would in production.
 */
describe("single sign-on with OpenID Connect", () => {
  let op: TestOidcProvider;
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    op = await startOidcProvider({
      redirectUri: `${base}/api/v1/auth/oidc/agents/callback`,
      backchannelLogoutUri: `${base}/api/v1/auth/oidc/agents/backchannel-logout`,
    });
    t = await startTestApp({
      PUBLIC_URL: base,
      OIDC_PROVIDERS: JSON.stringify([
        {
          name: "agents",
          label: "ProConnect",
          issuer: op.issuer,
          clientId: op.clientId,
          clientSecret: op.clientSecret,
          acrValues: "eidas1 eidas2",
          strongAcrValues: ["eidas2"],
          roles: ["analyst", "taskforce", "ars", "admin"],
        },
      ]),
    });
    await t.app.listen({ port, host: "127.0.0.1" });
  });

  afterAll(async () => {
    await t?.close();
    await op?.close();
  });

  const isCallback = (url: URL) => url.href.startsWith(`${base}/api/v1/auth/oidc/agents/callback`);

  /** Starts at the login page's button, signs in at the provider's page; stops at our callback. */
  async function atProvider(browser: HttpBrowser, login: string, acr = "") {
    const { res, location } = await browser.follow(`${base}/api/v1/auth/oidc/agents/start?retour=/file`);
    expect(res.status).toBe(200);
    expect(location.pathname).toMatch(/^\/interaction\//);
    expect(await res.text()).toContain("Identifiant");
    const done = await browser.follow(location.href, isCallback, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ login, acr }).toString(),
    });
    expect(isCallback(done.location)).toBe(true);
    return done.location;
  }

  async function signIn(browser: HttpBrowser, login: string, acr = "") {
    const callback = await atProvider(browser, login, acr);
    const res = await browser.fetch(callback.href);
    return { res, callback };
  }

  async function refusals(code: string) {
    const rows = await t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "auth.sso_refused"))
      .orderBy(desc(auditLog.at));
    return rows.filter((r) => (r.after as { code?: string }).code === code);
  }

  const sessionOf = (browser: HttpBrowser) =>
    fetch(`${base}/api/v1/auth/session`, {
      headers: { cookie: `pris_session=${browser.cookie(base, "pris_session") ?? ""}` },
    });

  it("lists the providers on the public config, without their secrets", async () => {
    const res = await fetch(`${base}/api/v1/config/public`);
    const body = await res.json();
    expect(body.ssoProviders).toEqual([{ name: "agents", label: "ProConnect" }]);
    expect(JSON.stringify(body)).not.toContain(op.clientSecret);
  });

  it("links on first use by verified e-mail, then finds the person by subject even after the e-mail changed", async () => {
    const analyst = await createUser(t.db, { role: "analyst", name: "Aline Analyste" });
    op.accounts.set("aline", { email: analyst.email.toUpperCase(), emailVerified: true });

    const browser = new HttpBrowser();
    const { res } = await signIn(browser, "aline");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/file");
    expect(browser.cookie(base, "pris_sso")).toBeUndefined();
    const session = await sessionOf(browser);
    expect(session.status).toBe(200);
    expect((await session.json()).user.email).toBe(analyst.email);

    const [identity] = await t.db.select().from(userIdentities).where(eq(userIdentities.userId, analyst.id));
    expect(identity).toMatchObject({ provider: "agents", subject: "aline" });
    const links = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "auth.sso_link"), eq(auditLog.objectId, analyst.id)));
    expect(links).toHaveLength(1);
    expect(links[0]!.after).toMatchObject({ provider: "ProConnect", subject: "aline" });

    // The provider's record of the person changed address, even to an unverified one: the subject decides.
    op.accounts.set("aline", { email: "aline.nouvelle@ars.test", emailVerified: false });
    const again = new HttpBrowser();
    const second = await signIn(again, "aline");
    expect(second.res.status).toBe(302);
    expect((await (await sessionOf(again)).json()).user.id).toBe(analyst.id);
    const linksAfter = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "auth.sso_link"), eq(auditLog.objectId, analyst.id)));
    expect(linksAfter).toHaveLength(1);

    const rows = await t.db.select().from(sessions).where(eq(sessions.userId, analyst.id));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      // The test template makes every role's second factor optional, and Aline enrolled none.
      expect(row).toMatchObject({ amr: ["sso"], provider: "agents", secondFactorPending: false });
      expect(row.providerSid).toBeTruthy();
    }
  });

  it("counts a strong level asserted by the provider as two factors", async () => {
    const ars = await createUser(t.db, { role: "ars" });
    await t.db
      .update(secondFactorPolicies)
      .set({ required: true, requiredFrom: null })
      .where(eq(secondFactorPolicies.role, "ars"));
    op.accounts.set("ars-fort", { email: ars.email, emailVerified: true });
    const browser = new HttpBrowser();
    expect((await signIn(browser, "ars-fort", "eidas2")).res.status).toBe(302);
    const [row] = await t.db.select().from(sessions).where(eq(sessions.userId, ars.id));
    expect(row).toMatchObject({ amr: ["sso", "mfa"], secondFactorPending: false });

    // A weaker level does not stand for the second factor the ARS's role requires: refused with a French
    // page that sends the person to their password and second factor; no session is opened.
    const weak = new HttpBrowser();
    const { res } = await signIn(weak, "ars-fort", "eidas1");
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("demande une double authentification");
    expect(weak.cookie(base, "pris_session")).toBeUndefined();
    const rows = await t.db.select().from(sessions).where(eq(sessions.userId, ars.id));
    expect(rows).toHaveLength(1);
    const [entry] = await refusals("sso_second_factor_required");
    expect(entry).toMatchObject({ actorUserId: ars.id });
  });

  it("refuses an unverified e-mail on first use, and links nothing", async () => {
    const taskforce = await createUser(t.db, { role: "taskforce" });
    op.accounts.set("non-verifie", { email: taskforce.email, emailVerified: false });
    const browser = new HttpBrowser();
    const { res } = await signIn(browser, "non-verifie");
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("n&#39;est pas vérifiée chez ProConnect");
    expect(browser.cookie(base, "pris_session")).toBeUndefined();
    expect(await t.db.select().from(userIdentities).where(eq(userIdentities.userId, taskforce.id))).toEqual(
      [],
    );
    const [entry] = await refusals("email_unverified");
    expect(entry).toMatchObject({ actorUserId: null, actorLabel: taskforce.email, objectId: "agents" });
  });

  it("refuses an unknown person with a French page saying whom to ask, and creates no account", async () => {
    const [{ n: before }] = (await t.db.select({ n: count() }).from(users)) as [{ n: number }];
    const ssoFailures = async () =>
      (await t.app.metrics.signInFailures.get()).values.find((v) => v.labels.step === "sso")?.value;
    const failuresBefore = await ssoFailures();
    op.accounts.set("inconnu", { email: "personne@ars.test", emailVerified: true });
    const { res } = await signIn(new HttpBrowser(), "inconnu");
    expect(res.status).toBe(403);
    const page = await res.text();
    expect(page).toContain("Aucun compte PRIS n&#39;est ouvert pour personne@ars.test");
    expect(page).toContain("demandez à l&#39;administrateur de PRIS de vous inviter");
    expect(page).toContain('lang="fr"');
    const [{ n: after }] = (await t.db.select({ n: count() }).from(users)) as [{ n: number }];
    expect(after).toBe(before);
    const [entry] = await refusals("unknown_person");
    expect(entry!.after).toMatchObject({ email: "personne@ars.test", subject: "inconnu" });
    // Operators see it: pris_sign_in_failures_total{step="sso"}.
    expect(await ssoFailures()).toBe(failuresBefore! + 1);
  });

  it("refuses a role this provider may not sign in, even a known one", async () => {
    const establishment = await createEstablishment(t.db);
    const rssi = await createUser(t.db, { role: "rssi", establishmentId: establishment.id });
    op.accounts.set("rssi", { email: rssi.email, emailVerified: true });
    const { res } = await signIn(new HttpBrowser(), "rssi");
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("RSSI d&#39;établissement) ne peut pas se connecter avec ProConnect");
    expect(await t.db.select().from(userIdentities).where(eq(userIdentities.userId, rssi.id))).toEqual([]);
    const [entry] = await refusals("role_not_allowed");
    expect(entry).toMatchObject({ actorUserId: rssi.id });
  });

  it("refuses a mismatched state", async () => {
    const admin = await createUser(t.db, { role: "admin" });
    op.accounts.set("etat", { email: admin.email, emailVerified: true });
    const browser = new HttpBrowser();
    const callback = await atProvider(browser, "etat");
    callback.searchParams.set("state", "forged-state");
    const res = await browser.fetch(callback.href);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("ne correspond pas à la connexion commencée");
    expect(browser.cookie(base, "pris_session")).toBeUndefined();
    expect(await refusals("sso_state_mismatch")).toHaveLength(1);
  });

  it("refuses a replayed callback, with or without the flow's cookie, and one from another browser", async () => {
    const admin = await createUser(t.db, { role: "admin" });
    op.accounts.set("rejoue", { email: admin.email, emailVerified: true });
    const browser = new HttpBrowser();
    const callback = await atProvider(browser, "rejoue");
    const flowCookie = browser.cookie(base, "pris_sso")!;
    expect(flowCookie).toBeTruthy();

    // Another browser given the same callback URL (login CSRF): it holds no flow.
    const elsewhere = await new HttpBrowser().fetch(callback.href);
    expect(elsewhere.status).toBe(400);

    expect((await browser.fetch(callback.href)).status).toBe(302);
    const replay = await browser.fetch(callback.href);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("a déjà servi");

    // Replayed with the flow's cookie captured too: the provider refuses the code a second time.
    const thief = new HttpBrowser();
    thief.setCookie(base, "pris_sso", flowCookie);
    const stolen = await thief.fetch(callback.href);
    expect(stolen.status).toBe(400);
    expect(thief.cookie(base, "pris_session")).toBeUndefined();

    expect((await refusals("sso_flow_missing")).length).toBeGreaterThanOrEqual(2);
    expect(await refusals("sso_code_rejected")).toHaveLength(1);
  });

  it("answers an API client with problem+json", async () => {
    const res = await fetch(`${base}/api/v1/auth/oidc/agents/callback?code=x&state=y`, {
      headers: { accept: "application/json" },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect((await res.json()).code).toBe("sso_flow_missing");
    const unknown = await fetch(`${base}/api/v1/auth/oidc/nobody/start`, { redirect: "manual" });
    expect(unknown.status).toBe(404);
  });

  it("ends the sessions of the provider's session when it logs the person out (back-channel)", async () => {
    const analyst = await createUser(t.db, { role: "analyst" });
    op.accounts.set("sortie", { email: analyst.email, emailVerified: true });
    const browser = new HttpBrowser();
    expect((await signIn(browser, "sortie")).res.status).toBe(302);
    const [row] = await t.db.select().from(sessions).where(eq(sessions.userId, analyst.id));
    expect(row!.endedAt).toBeNull();

    await op.backchannelLogout("sortie", row!.providerSid!);
    const [ended] = await t.db.select().from(sessions).where(eq(sessions.id, row!.id));
    expect(ended).toMatchObject({ endReason: "sso_logout" });
    expect(ended!.endedAt).toBeInstanceOf(Date);

    const forged = await fetch(`${base}/api/v1/auth/oidc/agents/backchannel-logout`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ logout_token: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0." }).toString(),
    });
    expect(forged.status).toBe(400);
    expect((await forged.json()).code).toBe("invalid_logout_token");
  });

  it("ends the provider's session too after our logout (RP-initiated), which ends ours by back-channel", async () => {
    // A role whose second factor is optional here (the strong-level test made the ARS's required).
    const ars = await createUser(t.db, { role: "taskforce" });
    op.accounts.set("depart", { email: ars.email, emailVerified: true });
    const browser = new HttpBrowser();
    expect((await signIn(browser, "depart")).res.status).toBe(302);

    const answer = await browser.fetch(`${base}/api/v1/auth/oidc/end-session`, {
      headers: { accept: "application/json" },
    });
    const { url } = (await answer.json()) as { url: string };
    const endSession = new URL(url);
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${op.issuer}/session/end`);
    expect(endSession.searchParams.get("id_token_hint")).toBeTruthy();
    expect(endSession.searchParams.get("post_logout_redirect_uri")).toBe(`${base}/connexion`);
    // Asked once: forgotten afterwards.
    const again = await browser.fetch(`${base}/api/v1/auth/oidc/end-session`, {
      headers: { accept: "application/json" },
    });
    expect((await again.json()).url).toBeNull();

    // At the provider: its logout page, confirmed.
    const page = await browser.fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    const action = /action="([^"]+)"/.exec(html)?.[1];
    expect(xsrf && action).toBeTruthy();
    const { location } = await browser.follow(
      new URL(action!, op.issuer).href,
      (next) => next.origin === base,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ xsrf: xsrf!, logout: "yes" }).toString(),
      },
    );
    expect(location.href).toMatch(new RegExp(`^${base}/connexion`));
    const [row] = await t.db.select().from(sessions).where(eq(sessions.userId, ars.id));
    expect(row).toMatchObject({ endReason: "sso_logout" });
  });
});
