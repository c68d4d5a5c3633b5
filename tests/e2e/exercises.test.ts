import { addDays, dayInZone } from "@pris/domain";
import { sql } from "drizzle-orm";
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
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
  createTerritory,
  createUser,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * An EHPAD's director, on a tablet in the hot debrief, plans and records the year's exercise, writes its
 * RETEX with a finding and an action and submits it; the ARS, at a desk, sees the territory's rate move,
 * validates the RETEX and finds the grid and the late list updated. Real Chromium, real API and database.
 */
const TABLET: BrowserContextOptions = {
  viewport: { width: 820, height: 1180 },
  deviceScaleFactor: 1,
  isMobile: true,
  hasTouch: true,
  locale: "fr-FR",
  timezoneId: "Europe/Paris",
};

async function signIn(page: Page, baseUrl: string, email: string) {
  await page.goto(`${baseUrl}/connexion`);
  await page.getByLabel("Adresse électronique").fill(email);
  await page.getByLabel("Mot de passe").fill(PASSWORD);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
}

describe("an exercise and its RETEX, from the establishment's tablet to the ARS's dashboard", () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function open(options: BrowserContextOptions) {
    const context = await browser.newContext(options);
    contexts.push(context);
    return context.newPage();
  }

  beforeAll(async () => {
    assertWebBuilt();
    t = await startTestApp({ WEB_DIST_DIR });
    baseUrl = await listen(t.app);
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await t?.close();
  });

  it("records, submits, validates, and the rate of the territory changes", async () => {
    const today = dayInZone(new Date(), t.config.REGION_TIMEZONE);
    const ehpad = await createEstablishment(t.db, {
      name: "EHPAD Les Lataniers",
      category: "ehpad",
      territory: "sud",
    });
    await createEstablishment(t.db, { name: "EHPAD Les Filaos", category: "ehpad", territory: "sud" });
    const director = await createUser(t.db, {
      role: "rssi",
      establishmentId: ehpad.id,
      name: "Denise Grondin",
    });
    const ars = await createUser(t.db, { role: "ars", name: "Anne Técher" });

    // The ARS's dashboard before: nobody in the south's EHPADs has held an exercise.
    const desk = await open(DESKTOP);
    await signIn(desk, baseUrl, ars.email);
    await desk.goto(`${baseUrl}/exercices/tableau-de-bord`);
    const cell = desk.locator('[data-cell="sud:ehpad"]');
    await expect.poll(() => cell.textContent()).toContain("0\u00a0%");
    expect(await cell.textContent()).toContain("0 / 2");

    // The director plans the exercise on a tablet, then records it held.
    const tablet = await open(TABLET);
    await signIn(tablet, baseUrl, director.email);
    // At a tablet's width the header's navigation folds into its menu: go straight to the page.
    await tablet.goto(`${baseUrl}/exercices`);
    await tablet.getByRole("heading", { level: 1, name: "Mes exercices de crise cyber" }).waitFor();
    await tablet.getByRole("button", { name: "Planifier un exercice" }).click();
    await tablet.getByLabel("Type d'exercice").selectOption("degraded_mode");
    await tablet.getByLabel("Niveau").selectOption("light");
    await tablet.getByLabel("Intitulé").fill("Panne du logiciel de soins");
    await tablet.getByLabel("Scénario").fill("Le logiciel de soins est indisponible pendant une matinée.");
    await tablet.getByLabel("Objectifs").fill("Basculer sur les plans de soins papier\nPrévenir l'ARS");
    await tablet.getByLabel("Date prévue").fill(today);
    await tablet.getByLabel("Organisateur").fill("Direction");
    await tablet.getByLabel("Participants", { exact: false }).first().fill("Infirmières, aides-soignantes");
    await expect.poll(() => tablet.getByLabel("EHPAD Les Lataniers").isChecked()).toBe(true);
    await tablet.getByRole("button", { name: "Planifier l'exercice" }).click();
    await tablet.waitForURL(/\/exercices\/[0-9a-f-]{36}$/);
    await tablet.getByTestId("exercise-status").filter({ hasText: "Planifié" }).waitFor();
    await tablet.getByLabel("Date de réalisation").fill(today);
    await tablet.getByRole("button", { name: "Enregistrer l'exercice comme réalisé" }).click();
    await tablet.getByTestId("exercise-status").filter({ hasText: "Réalisé" }).waitFor();

    // The RETEX, in the hot debrief.
    await tablet.getByRole("link", { name: "EHPAD Les Lataniers" }).click();
    await tablet.waitForURL(/\/exercices\/participations\//);
    await tablet
      .locator("#retex-hot")
      .fill("Bascule papier en 15 minutes ; le numéro d'astreinte de l'ARS manquait.");
    await tablet.getByRole("button", { name: "Enregistrer le RETEX" }).click();
    await tablet.getByText("RETEX enregistré.").waitFor();
    await tablet.getByText("Point à améliorer", { exact: true }).click();
    await tablet.getByLabel("Thème", { exact: true }).selectOption("communication");
    await tablet.getByLabel("Constat", { exact: true }).fill("Numéro d'astreinte de l'ARS introuvable");
    await tablet.getByRole("button", { name: "Ajouter le constat" }).click();
    await tablet.locator(".pris-finding").filter({ hasText: "Numéro d'astreinte" }).waitFor();
    await tablet.getByLabel("Action", { exact: true }).fill("Afficher l'annuaire de crise en salle de soins");
    await tablet.getByLabel("Porteur", { exact: true }).fill("Infirmière coordinatrice");
    await tablet.getByLabel("Échéance", { exact: true }).fill(addDays(today, 30));
    await tablet.getByRole("button", { name: "Ajouter l'action" }).click();
    await tablet.getByRole("cell", { name: "Afficher l'annuaire de crise en salle de soins" }).waitFor();
    await tablet.getByRole("button", { name: "Soumettre le RETEX à l'ARS" }).click();
    await tablet.getByTestId("participation-status").filter({ hasText: "RETEX soumis" }).waitFor();
    await tablet.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-exercises-retex.png`, fullPage: true });

    // The ARS sees the south's EHPADs at one in two, validates the RETEX.
    await desk.reload();
    await expect.poll(() => cell.textContent(), { timeout: 10_000 }).toContain("50\u00a0%");
    expect(await cell.textContent()).toContain("1 / 2");
    await desk.goto(`${baseUrl}/exercices`);
    await desk.getByRole("link", { name: "Panne du logiciel de soins" }).click();
    await desk.getByRole("link", { name: "EHPAD Les Lataniers" }).click();
    await desk
      .locator(".pris-finding")
      .filter({ hasText: "Numéro d'astreinte de l'ARS introuvable" })
      .waitFor();
    await desk.getByRole("button", { name: "Valider le RETEX" }).click();
    await desk.getByTestId("participation-status").filter({ hasText: "RETEX validé" }).waitFor();

    await desk.goto(`${baseUrl}/exercices/tableau-de-bord`);
    await expect.poll(() => desk.getByTestId("completion-held").textContent()).toBe("1 / 2");
    const late = desk.locator("table").filter({ hasText: "RSSI" });
    await late.getByText("EHPAD Les Filaos").waitFor();
    expect(await late.textContent()).not.toContain("EHPAD Les Lataniers");
    await desk.getByText("Communication (dont échanges Préfecture / ARS)").waitFor();
    await desk.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-exercises-dashboard.png`, fullPage: true });
  }, 120_000);

  it("the ARS plans the regional exercise for a territory's EHPADs, edits it, adds and removes participants", async () => {
    await createTerritory(t.db, "nord", "Nord");
    const north = ["Bois de Nèfles", "Sainte-Clotilde", "Saint-Denis", "La Montagne"];
    for (const name of north) {
      await createEstablishment(t.db, { name: `EHPAD ${name}`, category: "ehpad", territory: "nord" });
    }
    const closed = await createEstablishment(t.db, {
      name: "EHPAD Fermé",
      category: "ehpad",
      territory: "nord",
    });
    await t.db.execute(sql`UPDATE establishments SET active = false WHERE id = ${closed.id}`);
    await createEstablishment(t.db, { name: "CH du Nord", category: "ch", territory: "nord" });
    await createEstablishment(t.db, { name: "CH Gabriel Martin", category: "ch", territory: "sud" });
    await createEstablishment(t.db, {
      name: "Clinique Jeanne d'Arc",
      category: "private_clinic",
      territory: "sud",
    });
    const ars = await createUser(t.db, { role: "ars", name: "Paul Hoarau" });

    const desk = await open(DESKTOP);
    await signIn(desk, baseUrl, ars.email);
    await desk.goto(`${baseUrl}/exercices`);
    await desk.getByRole("button", { name: "Planifier un exercice" }).click();
    await desk.getByLabel("Type d'exercice").selectOption("regional");
    await desk.getByLabel("Niveau").selectOption("confirmed");
    await desk.getByLabel("Intitulé").fill("Exercice régional 2026");
    await desk.getByLabel("Scénario").fill("Rançongiciel sur l'hébergeur commun des EHPAD.");
    await desk.getByLabel("Date prévue").fill("2026-12-01");
    await desk.getByLabel("Organisateur").fill("ARS La Réunion");

    // Every open EHPAD of the north, in one click: the closed one is not offered.
    await desk.locator("#ex-territory").selectOption("nord");
    await desk.locator("#ex-category").selectOption("ehpad");
    await expect.poll(() => desk.getByTestId("ex-matches").textContent()).toContain("4 établissements");
    await desk.getByRole("button", { name: "Sélectionner les 4 établissements correspondants" }).click();
    await expect
      .poll(() => desk.getByTestId("ex-count").textContent())
      .toBe("4 établissements sélectionnés.");
    // And one more, found by name in the whole region.
    await desk.locator("#ex-territory").selectOption("");
    await desk.locator("#ex-category").selectOption("");
    await desk.locator("#ex-search").fill("Gabriel");
    await expect.poll(() => desk.getByTestId("ex-matches").textContent()).toContain("1 établissement");
    await desk.getByText("CH Gabriel Martin (Centre hospitalier)").click();
    await expect
      .poll(() => desk.getByTestId("ex-count").textContent())
      .toBe("5 établissements sélectionnés.");
    await desk.getByRole("button", { name: "Planifier l'exercice" }).click();
    await desk.waitForURL(/\/exercices\/[0-9a-f-]{36}$/);
    const participants = desk.locator("table").filter({ hasText: "Établissement" });
    await participants.getByRole("link", { name: "EHPAD Bois de Nèfles" }).waitFor();
    expect(await participants.locator("tbody tr").count()).toBe(5);
    expect(await participants.textContent()).not.toContain("EHPAD Fermé");

    // Edited while planned.
    await desk.getByRole("button", { name: "Modifier l'exercice" }).click();
    await desk.locator("#edit-ex-title").fill("Exercice régional EHPAD 2026");
    await desk.locator("#edit-ex-organiser").fill("ARS — cellule régionale");
    await desk.getByRole("button", { name: "Enregistrer les modifications" }).click();
    await desk.getByRole("heading", { level: 1, name: "Exercice régional EHPAD 2026" }).waitFor();
    await desk.getByText("ARS — cellule régionale").waitFor();

    // A clinic joins; the CH du Sud leaves.
    await desk.getByRole("button", { name: "Ajouter des établissements" }).click();
    await desk.locator("#add-search").fill("Jeanne");
    await desk.getByText("Clinique Jeanne d'Arc (Clinique privée)").click();
    await desk.getByRole("button", { name: "Ajouter 1 établissement" }).click();
    await participants.getByRole("link", { name: "Clinique Jeanne d'Arc" }).waitFor();
    expect(await participants.locator("tbody tr").count()).toBe(6);
    const row = participants.locator("tr").filter({ hasText: "CH Gabriel Martin" });
    await row.getByRole("button", { name: "Retirer" }).click();
    await row.getByRole("button", { name: "Confirmer le retrait" }).click();
    await expect.poll(() => participants.locator("tbody tr").count()).toBe(5);
    expect(await participants.textContent()).not.toContain("CH Gabriel Martin");
    await desk.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-exercises-regional.png`, fullPage: true });
  }, 120_000);
});
