import { fileURLToPath } from "node:url";
import { ensureFirstAdmin } from "@pris/api";
import { establishments, territories, users } from "@pris/db";
import { count } from "drizzle-orm";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertWebBuilt,
  DESKTOP,
  launchChromium,
  listen,
  SCREENSHOT_DIR,
  WEB_DIST_DIR,
} from "../support/browser.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import { FINESS_FIXTURES } from "../support/registry-fixtures.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

/** What a locator reads, French number spacing (narrow no-break spaces) as plain spaces. */
const read = async (locator: Locator) => ((await locator.textContent()) ?? "").replace(/\s/g, " ");

const ADMIN = { email: "admin@ars-reunion.test", password: "premier jour de la région" };
const ANALYST = { name: "Camille Hoarau", email: "camille.hoarau@ars-reunion.test" };
const RSSI = { name: "Rita Payet", email: "rita.payet@ch-gabriel-martin.test" };

/**
 * The administrator's first hour on a fresh deployment: an empty migrated database, the API, the worker
 * and an SMTP server, and only the administrator created at start. Everything else is done in Chromium,
 * through the Administration menu: the region's territory, the FINESS import (refused lines, mappings,
 * preview again, apply), two invitations (the analyst accepts in another browser), the analyst on duty,
 * and the hour read back in the administration trail.
 */
describe("the administrator's first hour on a fresh deployment", () => {
  let stack: FullStack;
  let baseUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let page: Page;

  async function open(): Promise<Page> {
    const context = await browser.newContext(DESKTOP);
    contexts.push(context);
    const opened = await context.newPage();
    // A page that logs an error fails the hour, as a CSP violation does. Signed out, the app asks for a
    // session and is told 401: Chromium logs that refusal, which is expected.
    opened.on("console", (message) => {
      if (message.type() !== "error") return;
      if (/Failed to load resource: .* status of 401/.test(message.text())) return;
      consoleErrors.push(`${opened.url()}: ${message.text()}`);
    });
    opened.on("response", (response) => {
      if (response.status() >= 500) consoleErrors.push(`${response.url()}: ${response.status()}`);
    });
    opened.on("pageerror", (error) => consoleErrors.push(`${opened.url()}: ${error.message}`));
    return opened;
  }
  const consoleErrors: string[] = [];

  const openAdmin = async (title: string, heading: string) => {
    await page.getByRole("button", { name: "Administration" }).first().click();
    await page.getByRole("link", { name: title, exact: true }).first().click();
    await page.getByRole("heading", { level: 1, name: heading }).waitFor();
  };

  beforeAll(async () => {
    assertWebBuilt();
    stack = await startFullStack({}, { WEB_DIST_DIR });
    baseUrl = await listen(stack.t.app);
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await stack?.close();
  });

  it("starts from an empty database and the bootstrap administrator, who signs in", async () => {
    const { db } = stack.t;
    for (const table of [users, territories, establishments]) {
      expect((await db.select({ n: count() }).from(table))[0]!.n).toBe(0);
    }
    expect(await ensureFirstAdmin(db, ADMIN.email, ADMIN.password)).toBe(true);

    page = await open();
    await page.goto(baseUrl);
    await page.waitForURL((url) => url.pathname.startsWith("/connexion"));
    await page.getByLabel("Adresse électronique").fill(ADMIN.email);
    await page.getByLabel("Mot de passe").fill(ADMIN.password);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.waitForURL((url) => url.pathname.startsWith("/administration/"));
    // The administrator lands on the region's first steps, every one still to do.
    await page.getByRole("heading", { level: 1, name: "Premiers pas" }).waitFor();
    await expect.poll(() => page.getByText("À faire", { exact: true }).count()).toBe(6);

    // The menu lists the administration's pages.
    await page.getByRole("button", { name: "Administration" }).first().click();
    for (const title of [
      "Premiers pas",
      "Territoires",
      "GHT",
      "Établissements",
      "Utilisateurs",
      "Journal d'administration",
      "Import du répertoire FINESS",
      "Astreinte",
      "Invitations",
    ]) {
      await page.getByRole("link", { name: title, exact: true }).first().waitFor();
    }
    await page.getByRole("button", { name: "Administration" }).first().click();
  });

  it("creates the region's territory", async () => {
    await openAdmin("Territoires", "Territoires");
    await page.getByLabel("Code").fill("reunion");
    await page.getByLabel("Nom", { exact: true }).fill("La Réunion");
    await page.getByRole("button", { name: "Créer le territoire" }).click();
    await expect.poll(() => read(page.getByTestId("territory-reunion"))).toContain("La Réunion");
  });

  it("imports the FINESS extract: département and categories mapped from the page, previewed, applied", async () => {
    await openAdmin("Import du répertoire FINESS", "Import du répertoire FINESS");
    await page
      .getByLabel("Fichier du répertoire")
      .setInputFiles(fileURLToPath(new URL("reunion-2026-11.csv", FINESS_FIXTURES)));
    await page.getByRole("button", { name: "Prévisualiser l'import" }).click();
    const summary = page.getByTestId("import-summary");

    // Nothing is attached to the region yet: every line is another région's, and the page says what to do.
    await expect.poll(() => read(summary)).toContain("dont 0 de la région");
    await page.getByText("Aucune ligne n'est de la région", { exact: false }).waitFor();
    const manual = page.getByRole("form", { name: "Rattacher un département ou une commune" });
    await manual.getByLabel("Type").selectOption({ label: "Département" });
    await manual.getByLabel("Code").fill("974");
    await manual.getByLabel("Territoire").selectOption({ label: "La Réunion" });
    await manual.getByRole("button", { name: "Rattacher" }).click();
    await page.getByRole("button", { name: "Relancer l'aperçu" }).click();

    // Now the region's lines are read: the registry's categories are not mapped, the faulty lines refused.
    await expect.poll(() => read(summary)).toContain("0 nouveaux");
    const refused = page.getByTestId("row-refused");
    await expect.poll(() => refused.count()).toBeGreaterThan(5);
    expect(await read(refused.filter({ hasText: "Gabriel Martin" }))).toContain(
      "Catégorie FINESS 355 « Centre Hospitalier (C.H.) » non rattachée",
    );
    expect(await read(refused.filter({ hasText: "97A12" }))).toContain("Numéro FINESS « 97A12 » invalide");
    const categories = page.getByRole("region", { name: "Correspondances", exact: true });
    await page.screenshot({ path: `${SCREENSHOT_DIR}/first-hour-unmapped.png`, fullPage: true });

    // Each category: the suggested one is pre-selected; the health centre (124) is not followed.
    const pending = ["355", "101", "500", "365", "292", "183", "124", "620"];
    for (const code of pending) await categories.getByLabel(`Catégorie pour ${code}`).waitFor();
    expect(await categories.getByLabel("Catégorie pour 355").inputValue()).toBe("ch");
    expect(await categories.getByLabel("Catégorie pour 124").inputValue()).toBe("__none");
    // One on its own, then the rest at once, as chosen.
    await categories.getByRole("button", { name: "Enregistrer la catégorie 355" }).click();
    await expect.poll(() => read(categories)).toContain("Correspondance enregistrée (2)");
    await categories
      .getByRole("button", { name: `Enregistrer les ${pending.length} catégories comme choisies` })
      .click();
    await expect.poll(() => read(categories)).toContain("Correspondance enregistrée (3)");
    await page.getByRole("button", { name: "Relancer l'aperçu" }).click();

    await expect.poll(() => read(summary)).toContain("7 nouveaux");
    expect(await read(summary)).toContain("5 lignes refusées");
    await expect.poll(() => refused.count()).toBe(5);
    await page.getByRole("tab", { name: /Nouveaux/ }).click();
    const created = page.getByTestId("row-new");
    await expect.poll(() => created.count()).toBe(7);
    expect(await read(created.filter({ hasText: "Gabriel Martin" }))).toContain("reunion");

    await page.getByRole("button", { name: "Appliquer l'import" }).click();
    await page.getByText("7 établissements seront créés", { exact: false }).waitFor();
    await page.getByRole("button", { name: "Confirmer l'application" }).click();
    await page.getByText("Appliqué : 7 créés, 0 mis à jour, 0 désactivés", { exact: false }).waitFor();

    await openAdmin("Établissements", "Établissements");
    await page.getByLabel("Rechercher").fill("Gabriel");
    await expect.poll(() => read(page.getByTestId("est-count"))).toContain("1 établissement ;");
    await page.getByRole("link", { name: /Gabriel Martin/ }).click();
    await page.getByRole("heading", { level: 1, name: /Gabriel Martin/ }).waitFor();
  });

  it("invites an analyst and the hospital's RSSI; the analyst accepts in another browser", async () => {
    await openAdmin("Invitations", "Invitations");
    const form = page.getByRole("form", { name: "Inviter une personne" });
    await form.getByLabel("Nom et prénom").fill(ANALYST.name);
    await form.getByLabel("Adresse électronique").fill(ANALYST.email);
    await form.getByLabel("Rôle").selectOption("analyst");
    await form.getByRole("button", { name: "Envoyer l'invitation" }).click();
    await page.getByText(`Invitation envoyée à ${ANALYST.email}.`).waitFor();

    await form.getByLabel("Nom et prénom").fill(RSSI.name);
    await form.getByLabel("Adresse électronique").fill(RSSI.email);
    await form.getByLabel("Rôle").selectOption("rssi");
    await form.getByLabel("Rechercher l'établissement").fill("970462107");
    const establishment = form.getByLabel("Établissement", { exact: true });
    const hospital = "Centre hospitalier Gabriel Martin (970462107)";
    await establishment.locator("option", { hasText: hospital }).waitFor({ state: "attached" });
    await establishment.selectOption({ label: hospital });
    await form.getByRole("button", { name: "Envoyer l'invitation" }).click();
    await page.getByText(`Invitation envoyée à ${RSSI.email}.`).waitFor();

    const mails = await waitUntil(
      "both invitation e-mails",
      () => stack.smtp.messages.length >= 2 && stack.smtp.messages,
    );
    expect(mails.flatMap((m) => m.envelopeTo).sort()).toEqual([ANALYST.email, RSSI.email].sort());
    const toAnalyst = mails.find((m) => m.envelopeTo.includes(ANALYST.email))!;
    const link = /https:\/\/pris\.example\.re(\/invitation\/\S+)/.exec(toAnalyst.parsed.text ?? "")?.[1];
    expect(link, toAnalyst.parsed.text).toBeDefined();

    const analyst = await open();
    await analyst.goto(`${baseUrl}${link}`);
    await analyst.getByRole("heading", { name: `Bienvenue dans PRIS, ${ANALYST.name}` }).waitFor();
    await analyst.getByLabel("Choisissez votre mot de passe").fill("astreinte du pôle régional");
    await analyst.getByLabel("Saisissez-le à nouveau").fill("astreinte du pôle régional");
    await analyst.getByRole("button", { name: "Activer mon compte" }).click();
    await analyst.waitForURL((url) => !url.pathname.startsWith("/invitation"));

    await page.reload();
    await page.locator(`tr:has([data-invitation="${ANALYST.email}"])`).getByText("Acceptée").waitFor();
    await page.locator(`tr:has([data-invitation="${RSSI.email}"])`).getByText("En attente").waitFor();
  });

  it("puts the new analyst on duty for the whole week and sees them on duty now", async () => {
    await openAdmin("Astreinte", "Astreinte du pôle");
    const now = page.getByTestId("on-duty-now");
    await expect.poll(() => read(now)).toContain("Personne n'est d'astreinte");
    const form = page.getByRole("form", { name: "Ajouter un créneau" });
    await form.getByLabel("Jour de début").selectOption({ label: "Lundi" });
    await form.getByLabel("Heure de début").fill("00:00");
    await form.getByLabel("Jour de fin").selectOption({ label: "Lundi suivant (fin de semaine)" });
    await form.getByLabel("Heure de fin").fill("00:00");
    await form.getByLabel("Analyste d'astreinte").selectOption({ label: ANALYST.name });
    await form.getByRole("button", { name: "Ajouter le créneau" }).click();
    await expect.poll(() => read(now)).toContain(`D'astreinte : ${ANALYST.name}`);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/first-hour-roster.png`, fullPage: true });
  });

  it("sees the first steps done, but for the ARS accounts and the RSSIs still invited", async () => {
    await openAdmin("Premiers pas", "Premiers pas");
    const step = (title: string) => page.getByRole("listitem").filter({ hasText: title });
    for (const title of [
      "Créer les territoires",
      "Rattacher les départements",
      "Importer les établissements",
      "Organiser l'astreinte",
    ]) {
      await expect.poll(() => step(title).getByText("Fait", { exact: true }).count()).toBe(1);
    }
    await expect.poll(() => step("Inviter les analystes").getByText("À faire").count()).toBe(1);
    await expect.poll(() => step("Inviter les RSSI").textContent()).toContain("1 invitation en attente");
    await expect.poll(() => step("Organiser l'astreinte").textContent()).toMatch(/100\s%\sde la semaine/);
  });

  it("reads the hour's changes in the administration trail", async () => {
    await openAdmin("Journal d'administration", "Journal d'administration");
    const trail = page.getByRole("table", { name: "Journal d'administration" });
    await expect.poll(() => trail.getByTestId("audit-entry").count()).toBeGreaterThan(10);
    const text = await read(trail);
    for (const action of [
      "Création du territoire",
      "Correspondance de territoire",
      "Correspondance de catégorie",
      "Application d'un import FINESS",
      "Création de l'établissement",
      "Envoi d'une invitation",
      "Acceptation d'une invitation",
      "Ajout d'un créneau d'astreinte",
    ]) {
      expect(text, action).toContain(action);
    }
    expect(text).toContain("La Réunion");
    expect(text).toContain(ANALYST.email);
    // Read as people read them: the slot by its days, an address by its lines, dates in French.
    expect(text).toContain("lundi 00:00 – dimanche 24:00");
    expect(text).toContain("38 RUE LABOURDONNAIS, 97460 ST PAUL");
    expect(text).toContain("Actif depuis01/01/1976");
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}|\{"/);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/first-hour-trail.png`, fullPage: true });

    // The on-call changes, on their own.
    await page.getByLabel("Type d'objet").selectOption({ label: "Astreinte" });
    const entries = trail.getByTestId("audit-entry");
    await expect.poll(() => entries.count()).toBe(1);
    expect(await read(entries)).toContain(`D'astreinte${ANALYST.name}`);
    expect(consoleErrors).toEqual([]);
  });
});
