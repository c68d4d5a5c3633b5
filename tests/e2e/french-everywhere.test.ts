import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertWebBuilt, DESKTOP, launchChromium, listen, PHONE, WEB_DIST_DIR } from "../support/browser.ts";
import {
  createEstablishment,
  createUser,
  declaration,
  login,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * What a French reader sees, in a real browser: the pole's emergency phone as a number to dial on the login
 * page and after a declaration; the statistics naming the region rather than its zone identifier, with
 * French figures; the exercise dashboard's counts in the singular or the plural.
 */
const PHONE_NUMBER = "0262 99 00 00";

describe("French everywhere", () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function open(options = DESKTOP): Promise<Page> {
    const context = await browser.newContext(options);
    contexts.push(context);
    return context.newPage();
  }

  async function signIn(page: Page, email: string, landing: RegExp) {
    await page.goto(`${baseUrl}/connexion`);
    await page.getByLabel("Adresse électronique").fill(email);
    await page.getByLabel("Mot de passe").fill(PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.waitForURL(landing);
  }

  beforeAll(async () => {
    assertWebBuilt();
    t = await startTestApp({ WEB_DIST_DIR, POLE_EMERGENCY_PHONE: PHONE_NUMBER });
    baseUrl = await listen(t.app);
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await t?.close();
  });

  it("the login page gives the pole's number to dial", async () => {
    const page = await open(PHONE);
    await page.goto(`${baseUrl}/connexion`);
    const link = page.getByTestId("pole-phone");
    await expect.poll(() => link.textContent()).toBe(PHONE_NUMBER);
    expect(await link.getAttribute("href")).toBe("tel:0262990000");
    expect(await page.locator("main").textContent()).toContain(
      `appelez directement le pôle au ${PHONE_NUMBER}`,
    );
  });

  it("the declaration's confirmation gives it too", async () => {
    const establishment = await createEstablishment(t.db, { name: "CH Sud" });
    const rssi = await createUser(t.db, { role: "rssi", establishmentId: establishment.id });
    const declared = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: (await login(t.app, rssi.email)).bearer,
      payload: declaration(),
    });
    expect(declared.statusCode, declared.body).toBe(201);
    const page = await open(PHONE);
    await signIn(page, rssi.email, /\/declarer$/);
    await page.goto(`${baseUrl}/incidents/${declared.json().id}/confirmation`);
    const link = page.getByTestId("pole-phone");
    await expect.poll(() => link.textContent()).toBe(PHONE_NUMBER);
    expect(await link.getAttribute("href")).toBe("tel:0262990000");
  });

  it("the statistics name the region, not its zone, and write figures in French", async () => {
    const ars = await createUser(t.db, { role: "ars" });
    const page = await open();
    await signIn(page, ars.email, /\/statistiques$/);
    await expect.poll(() => page.getByTestId("stats-total").textContent()).toBe("1");
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).toContain("à l'heure de La Réunion");
    expect(text).not.toContain("Indian/Reunion");
    expect(text).toContain("incident déclaré");
    expect(text).not.toMatch(/\d\.\d+\s*%/);
    expect(text).toMatch(/100\u00a0%/);
  });

  it("the exercise dashboard counts in the singular or the plural, never '(s)'", async () => {
    const ars = await createUser(t.db, { role: "ars" });
    const page = await open();
    await signIn(page, ars.email, /\/statistiques$/);
    await page.goto(`${baseUrl}/exercices/tableau-de-bord`);
    // CH Sud and the one below owe an exercise and have held none.
    await createEstablishment(t.db, { name: "EHPAD Les Lataniers", category: "ehpad" });
    await page.reload();
    const late = page.getByText(/sans exercice réalisé en/);
    await expect
      .poll(() => late.textContent())
      .toMatch(/^2 établissements assujettis sans exercice réalisé en \d{4}\.$/);
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).not.toContain("(s)");
    expect(text).not.toMatch(/\d\.\d+\s*%/);
  });
});
