import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertWebBuilt, DESKTOP, launchChromium, SCREENSHOT_DIR, WEB_DIST_DIR } from "../support/browser.ts";
import { createUser, startTestApp, type TestApp } from "../support/fixtures.ts";
import { startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.ts";
import { freePort } from "../support/redis-server.ts";

/**
 * An analyst signs in with "Se connecter avec ProConnect": the provider's own page (a real OpenID provider
 * on loopback), then back on the pole's queue, the account linked by its verified e-mail.
 */
describe("single sign-on in the browser", () => {
  let op: TestOidcProvider;
  let t: TestApp;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    assertWebBuilt();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    op = await startOidcProvider({
      redirectUri: `${base}/api/v1/auth/oidc/proconnect/callback`,
      backchannelLogoutUri: `${base}/api/v1/auth/oidc/proconnect/backchannel-logout`,
    });
    t = await startTestApp({
      WEB_DIST_DIR,
      PUBLIC_URL: base,
      OIDC_PROVIDERS: JSON.stringify([
        {
          name: "proconnect",
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
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await op?.close();
  });

  it("signs in through the provider's page and lands on the home page", async () => {
    const analyst = await createUser(t.db, { role: "analyst", name: "Aline Hoarau" });
    op.accounts.set("aline.hoarau", { email: analyst.email, emailVerified: true });

    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    await page.goto(`${base}/connexion`);
    await page.getByRole("link", { name: "Se connecter avec ProConnect" }).waitFor();
    await page.screenshot({ path: `${SCREENSHOT_DIR}/oidc-login.png` });
    await page.getByRole("link", { name: "Se connecter avec ProConnect" }).click();

    await page.getByRole("heading", { name: "Fournisseur d'identité de test" }).waitFor();
    expect(new URL(page.url()).origin).toBe(op.issuer);
    await page.getByLabel("Identifiant").fill("aline.hoarau");
    // Two factors asserted by the provider: nothing more is asked here.
    await page.getByLabel("Niveau").selectOption("eidas2");
    await page.getByRole("button", { name: "Valider" }).click();

    await page.waitForURL((url) => url.origin === base && !url.pathname.startsWith("/connexion"));
    await page.getByRole("heading", { level: 1, name: "File des incidents" }).waitFor();
    await page.screenshot({ path: `${SCREENSHOT_DIR}/oidc-home.png` });
    await context.close();
  });

  it("shows a French page to a person without an account", async () => {
    op.accounts.set("inconnue", { email: "inconnue@ars.test", emailVerified: true });
    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    await page.goto(`${base}/connexion`);
    await page.getByRole("link", { name: "Se connecter avec ProConnect" }).click();
    await page.getByLabel("Identifiant").fill("inconnue");
    await page.getByRole("button", { name: "Valider" }).click();
    await page.getByRole("heading", { name: "Connexion refusée" }).waitFor();
    await expect
      .poll(() => page.textContent("main"))
      .toContain("demandez à l'administrateur de PRIS de vous inviter");
    await page.getByRole("link", { name: "Revenir à la page de connexion" }).click();
    await page.getByRole("heading", { level: 1, name: "Connexion" }).waitFor();
    await context.close();
  });
});
