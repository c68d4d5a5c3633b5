import { incidents } from "@pris/db";
import { eq } from "drizzle-orm";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertWebBuilt,
  DESKTOP,
  launchChromium,
  listen,
  SCREENSHOT_DIR,
  WEB_DIST_DIR,
} from "../support/browser.ts";
import {
  createEstablishment,
  createUser,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * The declaration form's code comes apart from the first page's (main.tsx loads it on demand) but is
 * fetched as soon as the app starts: an RSSI who opened the app on another page and then lost the
 * network can still open the form, type the declaration, keep it on the device and have it sent when the
 * network is back.
 */
describe("the declaration form without network, the app opened on another page", () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    assertWebBuilt();
    t = await startTestApp({ WEB_DIST_DIR });
    baseUrl = await listen(t.app);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await t?.close();
  });

  it("opens the form offline, keeps the draft, and sends it when the network is back", async () => {
    const establishment = await createEstablishment(t.db, { name: "EHPAD Les Filaos" });
    const user = await createUser(t.db, { role: "rssi", establishmentId: establishment.id });
    context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    const fetched: string[] = [];
    page.on("request", (r) => fetched.push(new URL(r.url()).pathname));

    await page.goto(`${baseUrl}/connexion`);
    await page.getByLabel("Adresse électronique").fill(user.email);
    await page.getByLabel("Mot de passe").fill(PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.waitForURL(/\/declarer$/);

    // A fresh start on "Mes signalements", as from a bookmark: the form's code is fetched at once.
    fetched.length = 0;
    await page.goto(`${baseUrl}/incidents`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Mes signalements");
    await page.waitForLoadState("networkidle");
    expect(fetched.some((p) => /\/assets\/DeclarePage-[\w-]+\.js$/.test(p))).toBe(true);

    await context.setOffline(true);
    await page.getByRole("navigation").getByRole("link", { name: "Déclarer un incident" }).click();
    await page.waitForURL(/\/declarer$/);
    const title = page.getByLabel(/^Titre/);
    await title.waitFor();
    await title.fill("Rançongiciel sur le poste de l'infirmerie");
    const choose = (fieldset: string, label: string | RegExp) =>
      page.locator(fieldset).locator("label").filter({ hasText: label }).first().click();
    await choose("#field-rsitClass", "Un virus ou un logiciel malveillant");
    await choose("#field-rsitType", /Un poste ou un serveur est infecté/);
    await page.getByLabel(/^Description/).fill("Fichiers chiffrés sur le poste de soins du 1er étage.");
    await choose("#field-ongoing", "Oui");
    await choose("#field-impactGrade", /Niveau 2/);
    await page.getByLabel(/^Téléphone joignable/).fill("0692 11 22 33");
    expect(
      await page.evaluate(
        () => Object.keys(localStorage).filter((k) => k.startsWith("pris:declaration-draft:")).length,
      ),
    ).toBe(1);

    await page.getByRole("button", { name: "Envoyer la déclaration" }).click();
    await page.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-declare-offline.png`, fullPage: true });
    await page.getByText("Connexion perdue — votre déclaration est conservée sur cet appareil").waitFor();
    expect(
      await t.db.select().from(incidents).where(eq(incidents.establishmentId, establishment.id)),
    ).toEqual([]);

    // Back online: sent by itself, once.
    await context.setOffline(false);
    await page.waitForURL(/\/incidents\/[0-9a-f-]+\/confirmation$/, { timeout: 20_000 });
    const rows = await t.db.select().from(incidents).where(eq(incidents.establishmentId, establishment.id));
    expect(rows.map((r) => r.title)).toEqual(["Rançongiciel sur le poste de l'infirmerie"]);
  });
});
