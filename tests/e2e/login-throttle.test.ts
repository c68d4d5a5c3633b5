import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import { assertWebBuilt, DESKTOP, launchChromium, listen, WEB_DIST_DIR } from "../support/browser.ts";
import { createUser, startTestApp, type TestApp } from "../support/fixtures.ts";

/** Past the sign-in throttle, the login page says in French how long to wait. Real Chromium and API. */
describe("the login page, throttled", () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    assertWebBuilt();
    t = await startTestApp({
      WEB_DIST_DIR,
      LOGIN_RATE_LIMIT_MAX: "2",
      LOGIN_RATE_LIMIT_WINDOW_SECONDS: "600",
    });
    baseUrl = await listen(t.app);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("two wrong passwords, then « Trop de tentatives » with the minutes to wait", async () => {
    const person = await createUser(t.db, { role: "analyst" });
    const page = await (await browser.newContext(DESKTOP)).newPage();
    await page.goto(`${baseUrl}/connexion`);
    await page.getByLabel("Adresse électronique").fill(person.email);
    for (let i = 0; i < 2; i += 1) {
      await page.getByLabel("Mot de passe").fill(`pas-le-bon-${i}`);
      await page.getByRole("button", { name: "Se connecter" }).click();
      await page.getByRole("alert").getByText("Adresse électronique ou mot de passe incorrect.").waitFor();
    }
    await page.getByLabel("Mot de passe").fill("pas-le-bon-2");
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page
      .getByRole("alert")
      .getByText("Trop de tentatives de connexion. Réessayez dans 10 minutes.")
      .waitFor();
  });
});
