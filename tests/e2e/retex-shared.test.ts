import { establishments } from "@pris/db";
import { dayInZone } from "@pris/domain";
import { eq } from "drizzle-orm";
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertWebBuilt,
  DESKTOP,
  launchChromium,
  listen,
  PHONE,
  SCREENSHOT_DIR,
  WEB_DIST_DIR,
} from "../support/browser.ts";
import {
  createEstablishment,
  createTerritory,
  createUser,
  login,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * The network's shared RETEX in a real browser: an EHPAD's RSSI on a phone is told on arriving that two
 * were shared, reads them as cards, narrows them by theme and territory, and is not told again; the ARS
 * is told on its home too. The ARS's late list narrowed by name and sorted by territory.
 */
async function signIn(page: Page, baseUrl: string, email: string) {
  await page.goto(`${baseUrl}/connexion`);
  await page.getByLabel("Adresse électronique").fill(email);
  await page.getByLabel("Mot de passe").fill(PASSWORD);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
}

const overflows = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);

describe("shared RETEX and the late list in the browser", () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let year: number;

  async function open(options: BrowserContextOptions) {
    const context = await browser.newContext(options);
    contexts.push(context);
    return context.newPage();
  }

  /** Through the API: an exercise held, its RETEX with one finding, validated by the ARS, shared. */
  async function sharedRetex(establishmentId: string, theme: string, text: string, named: boolean) {
    const rssi = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId })).email))
      .bearer;
    const ars = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;
    const call = async (
      method: "POST" | "PUT",
      url: string,
      headers: Record<string, string>,
      payload?: object,
    ) => {
      const res = await t.app.inject({ method, url, headers, payload });
      expect([200, 201], `${url} ${res.body}`).toContain(res.statusCode);
      return res.json();
    };
    const heldOn = `${year}-01-15`;
    const exercise = await call("POST", "/api/v1/exercises", rssi, {
      kind: "degraded_mode",
      level: "beginner",
      title: "Panne du DPI",
      scenario: "Le dossier patient est indisponible pendant six heures.",
      objectives: [],
      plannedOn: heldOn,
      participants: "",
      organiser: "Direction",
      establishmentIds: [establishmentId],
    });
    const id = exercise.participations[0].id as string;
    await call("POST", `/api/v1/exercises/${exercise.id}/hold`, rssi, { heldOn });
    await call("PUT", `/api/v1/participations/${id}/retex`, rssi, { hotSummary: text });
    await call("POST", `/api/v1/participations/${id}/findings`, rssi, {
      phase: "hot",
      theme,
      polarity: "negative",
      text,
    });
    await call("POST", `/api/v1/participations/${id}/submit`, rssi);
    await call("POST", `/api/v1/participations/${id}/validate`, ars);
    await call("PUT", `/api/v1/participations/${id}/share`, rssi, { shared: true, tlp: "GREEN", named });
  }

  beforeAll(async () => {
    assertWebBuilt();
    t = await startTestApp({ WEB_DIST_DIR });
    baseUrl = await listen(t.app);
    browser = await launchChromium();
    year = Number(dayInZone(new Date(), t.config.REGION_TIMEZONE).slice(0, 4));
    await createTerritory(t.db, "nord", "Nord");
    await createTerritory(t.db, "sud", "Sud");
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await t?.close();
  });

  it("on a phone: told of the new ones, reads them as cards, searches by theme and territory", async () => {
    const ch = await createEstablishment(t.db, { name: "CH du Nord", territory: "nord", category: "ch" });
    const clinic = await createEstablishment(t.db, {
      name: "Clinique du Sud",
      territory: "sud",
      category: "private_clinic",
    });
    await sharedRetex(
      ch.id,
      "technical",
      "Les sauvegardes hors ligne n'avaient jamais été restaurées.",
      true,
    );
    await sharedRetex(
      clinic.id,
      "communication",
      "La Préfecture a été prévenue avec trois heures de retard.",
      false,
    );
    const ehpad = await createEstablishment(t.db, {
      name: "EHPAD Les Filaos",
      territory: "sud",
      category: "ehpad",
    });
    const reader = await createUser(t.db, {
      role: "rssi",
      establishmentId: ehpad.id,
      name: "Denise Grondin",
    });

    const phone = await open(PHONE);
    await signIn(phone, baseUrl, reader.email);
    await phone.waitForURL((url) => url.pathname === "/declarer");
    const notice = phone.getByTestId("new-retex");
    await notice.waitFor();
    expect(await notice.textContent()).toContain("2 nouveaux RETEX partagés");
    await notice.getByRole("link", { name: "Les lire" }).click();
    await phone.getByRole("heading", { level: 1, name: "RETEX partagés" }).waitFor();
    const cards = phone.getByTestId("retex-card");
    await expect.poll(() => cards.count()).toBe(2);
    expect(await cards.first().textContent()).toContain("Établissement anonymisé — Clinique privée");
    expect(await cards.nth(1).textContent()).toContain("CH du Nord");
    expect(await overflows(phone)).toBe(false);
    await phone.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-retex-phone.png`, fullPage: true });

    await phone
      .getByLabel("Thème des constats")
      .selectOption({ label: "Technique : sauvegardes et restauration" });
    await expect.poll(() => cards.count()).toBe(1);
    expect(await cards.first().textContent()).toContain("jamais été restaurées");
    expect(new URL(phone.url()).searchParams.get("theme")).toBe("technical");
    await phone.getByLabel("Territoire").selectOption({ label: "Sud" });
    await phone.getByText("Aucun RETEX partagé ne correspond à cette recherche.").waitFor();
    await phone.getByLabel("Thème des constats").selectOption({ label: "Tous les thèmes" });
    await expect.poll(() => cards.count()).toBe(1);
    expect(await cards.first().textContent()).toContain("trois heures de retard");

    // Seen here: the home no longer announces them.
    await phone.goto(`${baseUrl}/declarer`);
    await phone.getByRole("heading", { level: 1 }).first().waitFor();
    await phone.waitForLoadState("networkidle");
    expect(await phone.getByTestId("new-retex").count()).toBe(0);
  }, 120_000);

  it("the ARS is told on its home, and narrows and sorts the late list", async () => {
    const ars = await createUser(t.db, { role: "ars", name: "Agnès Payet" });
    const late = await createEstablishment(t.db, {
      name: "Centre Zénith",
      territory: "nord",
      category: "ch",
    });
    await t.db.update(establishments).set({ contacts: {} }).where(eq(establishments.id, late.id));
    await createUser(t.db, { role: "rssi", establishmentId: late.id, name: "Paul Grondin" });

    const desk = await open(DESKTOP);
    await signIn(desk, baseUrl, ars.email);
    await desk.waitForURL((url) => url.pathname === "/statistiques");
    await desk.getByTestId("new-retex").waitFor();
    expect(await desk.getByRole("link", { name: "RETEX partagés" }).count()).toBeGreaterThan(0);

    await desk.goto(`${baseUrl}/exercices/tableau-de-bord`);
    const list = desk.getByTestId("late-list");
    await list.waitFor();
    const names = () => list.locator("tbody tr td:first-child").allTextContents();
    await expect.poll(async () => (await names()).includes("Centre Zénith")).toBe(true);
    // By name: Centre Zénith before the EHPAD; by territory: the south's EHPAD after the north's centre.
    await desk.getByRole("button", { name: "Territoire" }).click();
    await expect
      .poll(async () => (await list.locator("th[aria-sort=ascending]").textContent())?.trim())
      .toContain("Territoire");
    const territories = await list.locator("tbody tr td:nth-child(2)").allTextContents();
    expect(territories).toEqual([...territories].sort((a, b) => a.localeCompare(b, "fr")));

    await desk.getByLabel("Nom ou FINESS").fill("zéni");
    await expect.poll(names).toEqual(["Centre Zénith"]);
    const row = list.locator("tbody tr").first();
    expect(await row.textContent()).toContain("Paul Grondin");
    expect(await row.textContent()).toContain("(compte PRIS)");
    expect(await row.textContent()).not.toContain("—");
    await desk.getByLabel("Nom ou FINESS").fill("");
    await desk.getByLabel("Catégorie", { exact: true }).selectOption({ label: "EHPAD" });
    await expect.poll(names).toEqual(["EHPAD Les Filaos"]);
    await desk.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-late-list.png`, fullPage: true });
  }, 120_000);
});
