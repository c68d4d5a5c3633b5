import { canonicalProducts, establishments } from "@pris/db";
import { eq, sql } from "drizzle-orm";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertWebBuilt, DESKTOP, launchChromium, listen, WEB_DIST_DIR } from "../support/browser.ts";
import { createTerritory, createUser, PASSWORD, startTestApp, type TestApp } from "../support/fixtures.ts";

const SEEDED = 3000;

/** What a locator reads, French number spacing (narrow no-break spaces) as plain spaces. */
const read = async (locator: Locator) => ((await locator.textContent()) ?? "").replace(/\s/g, " ");

/**
 * The administrator sets up the region's reference data from the Administration menu: a territory, an
 * establishment, a GHT with a member; retires an unused territory and is told why a used one cannot be.
 * The directory holds a few thousand establishments, searched and paged. Real Chromium and API.
 */
describe("the administrator keeps the region's reference data", () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    assertWebBuilt();
    t = await startTestApp({ WEB_DIST_DIR });
    baseUrl = await listen(t.app);
    browser = await launchChromium();
    await createTerritory(t.db, "sud", "Sud");
    await t.db.execute(sql`
      INSERT INTO establishments (id, finess, name, category, sector, territory, nis2_status)
      SELECT gen_random_uuid(), '9749' || lpad(i::text, 5, '0'), 'EHPAD importé ' || lpad(i::text, 4, '0'),
             'ehpad', 'esms', 'sud', CASE WHEN i % 10 = 0 THEN 'important' ELSE 'not_subject' END
      FROM generate_series(1, ${SEEDED}) AS i`);
    await canonicalProducts(t.db, [{ kind: "firewall", vendor: "Fortinet", product: "FortiGate" }], null);
    const admin = await createUser(t.db, { role: "admin" });
    page = await (await browser.newContext(DESKTOP)).newPage();
    await page.goto(`${baseUrl}/connexion`);
    await page.getByLabel("Adresse électronique").fill(admin.email);
    await page.getByLabel("Mot de passe").fill(PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const openAdmin = async (title: string, heading: string) => {
    await page.getByRole("button", { name: "Administration" }).first().click();
    await page.getByRole("link", { name: title, exact: true }).first().click();
    await page.getByRole("heading", { level: 1, name: heading }).waitFor();
  };

  it("creates a territory, retires an unused one and is refused for one in use", async () => {
    await openAdmin("Territoires", "Territoires");
    await page.getByLabel("Code").fill("est");
    await page.getByLabel("Nom", { exact: true }).fill("Est");
    await page.getByRole("button", { name: "Créer le territoire" }).click();
    await page.getByTestId("territory-est").waitFor();

    await page.getByLabel("Code").fill("hauts");
    await page.getByLabel("Nom", { exact: true }).fill("Les Hauts");
    await page.getByRole("button", { name: "Créer le territoire" }).click();
    const hauts = page.getByTestId("territory-hauts");
    await hauts.getByRole("button", { name: "Retirer" }).click();
    await expect.poll(() => read(hauts)).toContain("Retiré le");

    const sud = page.getByTestId("territory-sud");
    expect(await read(sud)).toContain("3 000");
    await sud.getByRole("button", { name: "Retirer" }).click();
    const refusal = sud.getByRole("alert");
    await refusal.waitFor();
    expect(await read(refusal)).toMatch(/« Sud » est celui de 3 000 établissements actifs \(/);
    expect(await read(sud)).toContain("En service");
  });

  it("searches and pages through thousands of establishments, then registers one", async () => {
    await openAdmin("Établissements", "Établissements");
    const count = page.getByTestId("est-count");
    await expect.poll(() => read(count)).toContain(`3 000 établissements ; 50 affichés`);
    await page.getByRole("button", { name: "Afficher 50 établissements de plus" }).click();
    await expect.poll(() => read(count)).toContain("100 affichés");
    await page.getByLabel("Statut NIS2").selectOption("important");
    await expect.poll(() => read(count)).toContain("300 établissements");
    await page.getByLabel("Rechercher").fill("importé 2990");
    await expect.poll(() => read(count)).toContain("1 établissement ;");
    await page.getByLabel("Statut NIS2").selectOption("");
    await page.getByLabel("Rechercher").fill("");

    await page.getByRole("link", { name: "Nouvel établissement" }).click();
    await page.getByRole("heading", { name: "Nouvel établissement" }).waitFor();
    await page.getByLabel("FINESS (établissement)").fill("970300019");
    await page.getByLabel("SIRET").fill("26974000100018");
    await page.getByLabel("Nom", { exact: true }).fill("Centre hospitalier de l'Est");
    await page.getByLabel("Catégorie").selectOption("ch");
    await expect.poll(() => page.locator("#est-territory option").count()).toBe(3);
    await page.getByLabel("Territoire").selectOption("est");
    await page.getByLabel("Statut NIS2").selectOption("essential");
    await page.getByLabel("RSSI : nom", { exact: true }).fill("Rita Payet");
    await page.locator("#est-contact-rssi-email").fill("rssi@ch-est.test");
    // Products through the same catalog picker as the RSSI's page: one picked, one absent from the catalog.
    await page.getByLabel("Type de produit").selectOption("firewall");
    await page.getByLabel("Rechercher dans le catalogue").fill("fortigate");
    await page.getByRole("button", { name: "Choisir Fortinet — FortiGate" }).click();
    await page.getByRole("button", { name: "Déjà déclaré" }).waitFor();
    await page.getByLabel("Type de produit").selectOption("dpi");
    await page.getByLabel("Éditeur", { exact: true }).fill("Logiciel de l'Est");
    await page.getByLabel("Éditeur", { exact: true }).press("Enter");
    await page.getByRole("listitem").filter({ hasText: "Logiciel de l'Est" }).waitFor();
    await page.getByRole("button", { name: "Ajouter un prestataire" }).click();
    await page.locator("#est-supplier-0-name").fill("Océan Infogérance");
    await page.getByRole("button", { name: "Enregistrer l'établissement" }).click();
    await page.getByRole("heading", { level: 1, name: "Centre hospitalier de l'Est" }).waitFor();
    expect(await page.locator("#est-contact-rssi-email").inputValue()).toBe("rssi@ch-est.test");
    expect(await page.locator("#est-supplier-0-name").inputValue()).toBe("Océan Infogérance");
    const [saved] = await t.db
      .select({ products: establishments.products })
      .from(establishments)
      .where(eq(establishments.finess, "970300019"));
    expect(saved!.products).toEqual([
      { kind: "firewall", vendor: "Fortinet", product: "FortiGate" },
      { kind: "dpi", vendor: "Logiciel de l'Est" },
    ]);

    // A second one with the same FINESS is refused, in French.
    await page.getByRole("link", { name: "Tous les établissements" }).click();
    await page.getByRole("link", { name: "Nouvel établissement" }).click();
    await page.getByLabel("FINESS (établissement)").fill("970300019");
    await page.getByLabel("Nom", { exact: true }).fill("Doublon");
    await expect.poll(() => page.locator("#est-territory option").count()).toBe(3);
    await page.getByLabel("Territoire").selectOption("est");
    await page.getByRole("button", { name: "Enregistrer l'établissement" }).click();
    await page.getByText("Un établissement porte déjà ce numéro FINESS.").waitFor();
  });

  it("creates a GHT, adds the new establishment as a member and names it support", async () => {
    await openAdmin("GHT", "Groupements hospitaliers de territoire");
    await page.getByLabel("Code").fill("GHT-EST");
    await page.getByLabel("Nom", { exact: true }).fill("GHT de l'Est");
    await page.getByRole("button", { name: "Créer le GHT" }).click();
    await page.getByRole("link", { name: "GHT de l'Est" }).click();
    await page.getByRole("heading", { level: 1, name: /GHT de l'Est/ }).waitFor();
    await page.getByLabel("Rechercher un établissement").fill("970300019");
    await page.getByRole("button", { name: "Ajouter", exact: true }).click();
    await page.getByRole("row").filter({ hasText: "Centre hospitalier de l'Est" }).waitFor();
    await page
      .getByLabel("Établissement support", { exact: true })
      .selectOption({ label: "Centre hospitalier de l'Est" });
    await page.getByRole("button", { name: "Enregistrer" }).click();
    await page.getByText("GHT enregistré.").waitFor();
    const member = page.getByRole("row").filter({ hasText: "Centre hospitalier de l'Est" });
    await expect.poll(() => read(member)).toContain("établissement support");

    // The support establishment stays while it is the support: the refusal says why.
    await member.getByRole("button", { name: "Retirer du GHT" }).click();
    await page.getByText(/est l'établissement support du GHT/).waitFor();
  });
});
