import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertWebBuilt, DESKTOP, launchChromium, listen, WEB_DIST_DIR } from "../support/browser.ts";
import {
  createEstablishment,
  createUser,
  declaration,
  login,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/** The ARS finds who read an incident on the Traces d'accès page, and exports it. Real Chromium and API. */
describe("the ARS reads the traces of access", () => {
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

  it("lists a read of an incident, filters by incident and offers the CSV export", async () => {
    const establishment = await createEstablishment(t.db);
    const rssi = await createUser(t.db, {
      role: "rssi",
      establishmentId: establishment.id,
      name: "Rose Payet",
    });
    const headers = (await login(t.app, rssi.email)).bearer;
    const declared = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers,
      payload: declaration(),
    });
    const { id } = declared.json() as { id: string };
    expect((await t.app.inject({ method: "GET", url: `/api/v1/incidents/${id}`, headers })).statusCode).toBe(
      200,
    );
    await t.app.accessTraces.flush();

    const ars = await createUser(t.db, { role: "ars" });
    const page = await (await browser.newContext(DESKTOP)).newPage();
    await page.goto(`${baseUrl}/connexion`);
    await page.getByLabel("Adresse électronique").fill(ars.email);
    await page.getByLabel("Mot de passe").fill(PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
    await page.getByRole("link", { name: "Traces d'accès" }).first().click();
    await page.getByRole("heading", { name: "Traces d'accès" }).waitFor();
    await page.getByLabel("Identifiant de l'incident ou du bulletin").fill(id);
    await page.getByRole("button", { name: "Filtrer" }).click();
    const row = page.getByRole("row").filter({ hasText: "Rose Payet" });
    await expect.poll(() => row.count()).toBe(1);
    // The operation and the role in words, not as the API spells them.
    expect(await row.textContent()).toContain("Lecture de l'incident");
    expect(await row.textContent()).not.toMatch(/getIncident|rssi/);
    const href = await page.getByRole("link", { name: "Exporter en CSV" }).getAttribute("href");
    expect(href).toContain(`objectId=${id}`);
    const csv = await page.request.get(`${baseUrl}${href}`);
    expect(csv.status()).toBe(200);
    expect(await csv.text()).toContain("Rose Payet");
  });
});
