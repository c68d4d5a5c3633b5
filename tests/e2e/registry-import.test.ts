import { fileURLToPath } from "node:url";
import { establishments, registryTerritoryMappings } from "@pris/db";
import { count, eq } from "drizzle-orm";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertWebBuilt, DESKTOP, launchChromium, listen, WEB_DIST_DIR } from "../support/browser.ts";
import { createUser, PASSWORD, startTestApp, type TestApp } from "../support/fixtures.ts";
import { FINESS_FIXTURES, seedRegistryMappings } from "../support/registry-fixtures.ts";

/**
 * The administrator imports the region's FINESS extract: upload, read the refused lines, map the commune
 * the preview lacks, preview again, apply. Real Chromium and API.
 */
describe("the administrator imports the FINESS extract", () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    assertWebBuilt();
    t = await startTestApp({ WEB_DIST_DIR });
    await seedRegistryMappings(t.db);
    baseUrl = await listen(t.app);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("uploads the fixture, fixes a mapping, previews again and applies", async () => {
    const admin = await createUser(t.db, { role: "admin" });
    const page = await (await browser.newContext(DESKTOP)).newPage();
    await page.goto(`${baseUrl}/connexion`);
    await page.getByLabel("Adresse électronique").fill(admin.email);
    await page.getByLabel("Mot de passe").fill(PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
    await page.goto(`${baseUrl}/administration/import-finess`);
    await page.getByRole("heading", { name: "Import du répertoire FINESS", level: 1 }).waitFor();

    await page
      .locator('input[type="file"]')
      .setInputFiles(fileURLToPath(new URL("reunion-2026-11.csv", FINESS_FIXTURES)));
    await page.getByRole("button", { name: "Prévisualiser l'import" }).click();
    const summary = page.getByTestId("import-summary");
    await expect.poll(() => summary.textContent()).toContain("6 nouveaux");
    expect(await summary.textContent()).toContain("7 lignes refusées");

    // The refused lines come first, each with its line number and its reason.
    const refused = page.getByTestId("row-refused");
    await expect.poll(() => refused.count()).toBe(7);
    expect(await refused.filter({ hasText: "97424" }).textContent()).toContain(
      "Commune 97424 (97413 CILAOS) non rattachée à un territoire",
    );

    // Cilaos belongs to the Sud: map it, preview again with the same file.
    await page.getByLabel("Territoire pour 97424").selectOption("sud");
    await page.getByRole("button", { name: "Rattacher la commune 97424" }).click();
    await page.getByRole("button", { name: "Relancer l'aperçu" }).click();
    await expect.poll(() => summary.textContent()).toContain("7 nouveaux");
    await expect.poll(() => refused.count()).toBe(6);

    await page.getByRole("tab", { name: /Nouveaux/ }).click();
    const created = page.getByTestId("row-new");
    await expect.poll(() => created.count()).toBe(7);
    expect(await created.filter({ hasText: "970400446" }).textContent()).toContain(
      "EHPAD Les Thermes de Cilaos",
    );

    await page.getByRole("button", { name: "Appliquer l'import" }).click();
    await page.getByRole("button", { name: "Confirmer l'application" }).click();
    await page.getByText("Appliqué : 7 créés, 0 mis à jour, 0 désactivés").waitFor();
    expect((await t.db.select({ n: count() }).from(establishments))[0]!.n).toBe(7);
    // The mapping is remembered, and can be changed from the list.
    await page.getByRole("button", { name: "Correspondances enregistrées" }).click();
    await page.getByLabel("Territoire de 97424").selectOption("ouest");
    await expect
      .poll(async () => {
        const [row] = await t.db
          .select()
          .from(registryTerritoryMappings)
          .where(eq(registryTerritoryMappings.code, "97424"));
        return row?.territory;
      })
      .toBe("ouest");
    // The history lists both previews, the first one replaced.
    const history = page.getByRole("table", { name: "Historique des imports" });
    await expect.poll(() => history.getByRole("row").count()).toBe(3);
    expect(await history.textContent()).toContain("Remplacé");
  });
});
