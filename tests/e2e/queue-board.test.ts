import { QUEUE_NAMES } from "@pris/domain";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertWebBuilt,
  DESKTOP,
  launchChromium,
  listen,
  SCREENSHOT_DIR,
  WEB_DIST_DIR,
} from "../support/browser.ts";
import { createUser, login, PASSWORD, startTestApp, type TestApp } from "../support/fixtures.ts";

/**
 * An administrator opens the queue board: its page, scripts and styles load under the app's
 * Content-Security-Policy (browser.ts fails the test on any violation), and it lists the worker's queues.
 * The web app's Administration menu leads an administrator there.
 */
describe("the queue board in a browser", () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    assertWebBuilt();
    t = await startTestApp({ WEB_DIST_DIR });
    baseUrl = await listen(t.app);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("renders for an administrator, with no blocked load and no request refused", async () => {
    const admin = await createUser(t.db, { role: "admin" });
    const { cookieWithoutCsrf } = await login(t.app, admin.email);
    const context = await browser.newContext(DESKTOP);
    await context.addCookies([
      { name: "pris_session", value: cookieWithoutCsrf.cookie.split("=")[1]!, url: baseUrl },
    ]);
    const page = await context.newPage();
    const failed: string[] = [];
    page.on("requestfailed", (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
    page.on("response", (r) => {
      if (r.status() >= 400) failed.push(`${r.url()} ${r.status()}`);
    });
    await page.goto(`${baseUrl}/administration/files-attente/`);
    for (const name of Object.values(QUEUE_NAMES)) {
      await page.getByText(name, { exact: true }).first().waitFor({ timeout: 15_000 });
    }
    await page.screenshot({ path: `${SCREENSHOT_DIR}/queue-board.png`, fullPage: true });
    expect(failed).toEqual([]);
    await context.close();
  });

  it("is in an administrator's Administration menu, and in no one else's", async () => {
    const admin = await createUser(t.db, { role: "admin" });
    const analyst = await createUser(t.db, { role: "analyst" });
    const signIn = async (email: string) => {
      const context = await browser.newContext(DESKTOP);
      const page = await context.newPage();
      await page.goto(`${baseUrl}/connexion`);
      await page.getByLabel("Adresse électronique").fill(email);
      await page.getByLabel("Mot de passe").fill(PASSWORD);
      await page.getByRole("button", { name: "Se connecter" }).click();
      await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
      await page.getByRole("button", { name: "Administration" }).click();
      return { context, page };
    };

    const other = await signIn(analyst.email);
    await other.page.getByRole("link", { name: "Astreinte" }).waitFor();
    expect(await other.page.getByRole("link", { name: "Files d'attente" }).count()).toBe(0);
    await other.context.close();

    const { context, page } = await signIn(admin.email);
    await page.getByRole("link", { name: "Files d'attente" }).click();
    await page.waitForURL((url) => url.pathname.startsWith("/administration/files-attente"));
    await page.getByText(QUEUE_NAMES.sendMail, { exact: true }).first().waitFor({ timeout: 15_000 });
    await context.close();
  });
});
