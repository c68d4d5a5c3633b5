import { apiKeys, canonicalProducts, establishments } from "@pris/db";
import { eq } from "drizzle-orm";
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
import {
  createEstablishment,
  createUser,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/** An RSSI keeps their establishment's record on "Mon établissement". Real Chromium and API. */
describe("an RSSI's own establishment", () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    assertWebBuilt();
    t = await startTestApp({ WEB_DIST_DIR });
    baseUrl = await listen(t.app);
    browser = await launchChromium();
    await canonicalProducts(
      t.db,
      [{ kind: "dpi", vendor: "Softway Medical", product: "Hopital Manager" }],
      null,
    );
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("sets the contacts, adds a product picked from the catalog, creates an API key seen once and revokes it", async () => {
    const establishment = await createEstablishment(t.db, { name: "Clinique des Flamboyants" });
    const rssi = await createUser(t.db, {
      role: "rssi",
      establishmentId: establishment.id,
      name: "Rose Payet",
    });
    const context = await browser.newContext(DESKTOP);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/connexion`);
    await page.getByLabel("Adresse électronique").fill(rssi.email);
    await page.getByLabel("Mot de passe").fill(PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
    await page.getByRole("link", { name: "Mon établissement" }).first().click();
    await page.getByRole("heading", { name: "Mon établissement" }).waitFor();
    await page.getByText("Clinique des Flamboyants").first().waitFor();

    // Contacts: a deputy and the functional mailbox; a bad address is refused in French first.
    await page.getByLabel("Nom (RSSI adjoint ou suppléant)").fill("Paul Hoarau");
    await page
      .getByLabel("Adresse électronique (RSSI adjoint ou suppléant)")
      .fill("paul.hoarau@flamboyants.example.org");
    await page.getByLabel("Boîte fonctionnelle de sécurité").fill("ssi@flamboyants.example.org");
    await page.getByLabel("Téléphone (RSSI adjoint ou suppléant)").fill("appelez le standard");
    await page.getByRole("button", { name: "Enregistrer les contacts" }).click();
    await page.getByText("Vérifiez les champs : RSSI adjoint, téléphone : n'a pas le bon format.").waitFor();
    await page.getByLabel("Téléphone (RSSI adjoint ou suppléant)").fill("0262 45 30 31");
    await page.getByRole("button", { name: "Enregistrer les contacts" }).click();
    await page.getByText("Contacts enregistrés.").waitFor();
    const [saved] = await t.db.select().from(establishments).where(eq(establishments.id, establishment.id));
    expect(saved!.contacts).toMatchObject({
      deputy: { name: "Paul Hoarau", email: "paul.hoarau@flamboyants.example.org", phone: "0262 45 30 31" },
      functionalMailbox: "ssi@flamboyants.example.org",
    });

    // A product picked from the catalog, typed without its accents or capitals.
    await page.getByLabel("Type de produit").selectOption({ label: "Dossier patient informatisé" });
    await page.getByLabel("Rechercher dans le catalogue").fill("hôpital SOFTWAY");
    await page.getByRole("button", { name: "Choisir Softway Medical — Hopital Manager" }).click();
    await page.getByText("Softway Medical — Hopital Manager ajouté.").waitFor();
    await expect
      .poll(
        async () =>
          (await t.db.select().from(establishments).where(eq(establishments.id, establishment.id)))[0]!
            .products,
      )
      .toEqual([{ kind: "dpi", vendor: "Softway Medical", product: "Hopital Manager" }]);
    await page.getByRole("button", { name: "Déjà déclaré" }).waitFor();

    // An API key: shown once, copied, gone after a reload; then revoked after confirmation.
    await page.getByLabel("Nom de la nouvelle clé").fill("SIEM de la DSI");
    await page.getByRole("button", { name: "Créer une clé" }).click();
    const shown = page.getByTestId("new-api-key");
    await shown.waitFor();
    const key = (await shown.textContent())!.trim();
    expect(key).toMatch(/^pris_[0-9a-f]{12}_/);
    await page.getByRole("button", { name: "Copier la clé" }).click();
    await page.getByRole("button", { name: "Clé copiée" }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    const row = page.getByRole("row").filter({ hasText: "SIEM de la DSI" });
    await expect.poll(() => row.textContent()).toContain("Jamais");
    expect(await row.textContent()).toContain(key.slice(0, 17));
    await page.screenshot({ path: `${SCREENSHOT_DIR}/self-service.png`, fullPage: true });

    await page.reload();
    await row.waitFor();
    expect(await page.getByTestId("new-api-key").count()).toBe(0);
    expect(await page.content()).not.toContain(key);

    await row.getByRole("button", { name: "Révoquer" }).click();
    await row.getByRole("button", { name: "Confirmer la révocation" }).click();
    await expect.poll(() => row.textContent()).toContain("Révoquée le");
    const [stored] = await t.db.select().from(apiKeys).where(eq(apiKeys.establishmentId, establishment.id));
    expect(stored!.revokedAt).not.toBeNull();
    const refused = await page.request.get(`${baseUrl}/api/v1/establishments/${establishment.id}`, {
      headers: { authorization: `ApiKey ${key}` },
    });
    expect(refused.status()).toBe(401);
  });
});
