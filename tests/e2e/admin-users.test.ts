import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertWebBuilt,
  DESKTOP,
  launchChromium,
  listen,
  SCREENSHOT_DIR,
  WEB_DIST_DIR,
} from "../support/browser.ts";
import { createUser, PASSWORD, startTestApp, type TestApp } from "../support/fixtures.ts";

/**
 * The administrator changes a person's role on the Utilisateurs page, is refused in French when the change
 * would leave no administrator, and finds the change in the Journal d'administration, which exports as CSV.
 * Real Chromium and API.
 */
describe("the administrator manages users and reads the trail", () => {
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

  async function signIn(page: Page, email: string) {
    await page.goto(`${baseUrl}/connexion`);
    await page.getByLabel("Adresse électronique").fill(email);
    await page.getByLabel("Mot de passe", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
  }

  it("changes a role, sees it in the journal and exports the journal", async () => {
    const admin = await createUser(t.db, { role: "admin", name: "Adèle Administratrice" });
    await createUser(t.db, { role: "ars", name: "Yves Ciblé" });
    for (let i = 0; i < 55; i++) await createUser(t.db, { role: "analyst", name: `Analyste ${i}` });
    const page = await (await browser.newContext(DESKTOP)).newPage();
    page.setDefaultTimeout(10_000);
    await signIn(page, admin.email);

    await page.goto(`${baseUrl}/administration/utilisateurs`);
    await page.getByRole("heading", { name: "Utilisateurs" }).waitFor();
    const rows = page.locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(50);
    await page.getByRole("button", { name: "Afficher plus" }).click();
    await expect.poll(() => rows.count()).toBe(57);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-admin-users.png`, fullPage: true });
    await page.getByLabel("Rechercher").fill("Yves");
    await expect.poll(() => page.getByTestId("users-total").textContent()).toContain("1 compte");
    await page.locator("tbody").getByRole("link", { name: "Yves Ciblé" }).click();
    await page.getByRole("heading", { name: "Yves Ciblé" }).waitFor();
    await page.locator("#user-role").selectOption({ label: "Analyste du pôle cyber" });
    await page.getByRole("button", { name: "Enregistrer" }).click();
    await page.getByText("Modifications enregistrées.").waitFor();
    const history = page.getByTestId("audit-entry").filter({ hasText: "Modification du compte" });
    await expect.poll(() => history.count()).toBe(1);
    expect(await history.textContent()).toContain("Analyste du pôle cyber");

    // Her own account: the last active administrator cannot be switched off.
    await page.goto(`${baseUrl}/administration/utilisateurs?role=admin`);
    await page.locator("tbody").getByRole("link", { name: "Adèle Administratrice" }).click();
    await page.getByRole("heading", { name: "Adèle Administratrice" }).waitFor();
    await page.getByText("Compte actif", { exact: true }).click();
    await page.getByRole("button", { name: "Enregistrer" }).click();
    await page.getByText(/dernier administrateur actif/).waitFor();
    await page.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-admin-user.png`, fullPage: true });

    await page.goto(`${baseUrl}/administration/journal`);
    await page.getByRole("heading", { name: "Journal d'administration" }).waitFor();
    await page.locator("#audit-kind").selectOption({ label: "Compte" });
    await page.locator("#audit-verb").selectOption({ label: "Modification du compte" });
    const row = page.getByTestId("audit-entry").filter({ hasText: "Yves Ciblé" });
    await expect.poll(() => row.count()).toBe(1);
    const text = await row.textContent();
    expect(text).toContain("Adèle Administratrice");
    expect(text).toContain("ARS");
    expect(text).toContain("Analyste du pôle cyber");

    await page.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-admin-journal.png`, fullPage: true });
    const href = await page.getByTestId("audit-csv").getAttribute("href");
    expect(href).toContain("objectKind=user");
    expect(href).toContain("action=user.update");
    const csv = await page.request.get(`${baseUrl}${href}`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()["content-type"]).toContain("text/csv");
    const body = await csv.text();
    expect(body).toContain("Date;Auteur;");
    expect(body).toContain("Yves Ciblé");
    expect(body).not.toContain("user.create");

    // Clicking the object narrows the trail to its history, named in a removable tag.
    await row.getByRole("button", { name: /Yves Ciblé/ }).click();
    await page.getByRole("button", { name: /Objet : Yves Ciblé/ }).waitFor();
    expect(await page.getByTestId("audit-csv").getAttribute("href")).toMatch(/objectId=[0-9a-f-]{36}/);
  });
});
