import { establishments } from "@pris/db";
import { startWorker, type WorkerHandle } from "@pris/worker";
import { eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
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
import { bulletinDraft } from "../support/bulletin-fixtures.ts";
import {
  createEstablishment,
  createTerritory,
  createUser,
  login,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

/**
 * An analyst composes an alert for a territory in the browser, sees how many will receive it, publishes;
 * the SMTP server receives one message per recipient with the TLP label; an RSSI answers through the
 * personal link on a phone without logging in, and another answer in the application; the dashboard moves.
 */
async function signIn(page: Page, baseUrl: string, email: string) {
  await page.goto(`${baseUrl}/connexion`);
  await page.getByLabel("Adresse électronique").fill(email);
  await page.getByLabel("Mot de passe").fill(PASSWORD);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
}

async function tile(page: Page, label: string): Promise<string> {
  return (
    (await page
      .getByTestId("dashboard-totals")
      .locator(".pris-tile")
      .filter({ hasText: label })
      .locator("strong")
      .textContent()) ?? ""
  );
}

describe("an alert bulletin from the composer to the acknowledgements", () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let worker: WorkerHandle;
  let baseUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function open(options = DESKTOP) {
    const context = await browser.newContext(options);
    contexts.push(context);
    return context.newPage();
  }

  beforeAll(async () => {
    assertWebBuilt();
    smtp = await startSmtpServer();
    t = await startTestApp({ WEB_DIST_DIR, SMTP_URL: smtp.url, PUBLIC_URL: "https://pris.example.re" });
    worker = await startWorker(t.config, {
      tuning: { mailRetryDelayMs: 100, outboxRetryDelayMs: 100 },
      fanoutPollMs: 200,
    });
    baseUrl = await listen(t.app);
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await worker?.close();
    await t?.close();
    await smtp?.close();
  });

  it("publishes to a territory, delivers once per recipient, and counts the answers", async () => {
    await createTerritory(t.db, "ouest", "Ouest");
    await createTerritory(t.db, "sud", "Sud");
    const ch = await createEstablishment(t.db, { name: "Centre hospitalier Ouest", territory: "ouest" });
    const clinic = await createEstablishment(t.db, {
      name: "Clinique du Port",
      territory: "ouest",
      category: "private_clinic",
    });
    await createEstablishment(t.db, { name: "EHPAD du Sud", territory: "sud", category: "ehpad" });
    await t.db
      .update(establishments)
      .set({
        contacts: {
          rssi: { name: "Paul Grondin", email: "paul.grondin@ch-ouest.test" },
          deputy: { name: "Léa Hoarau", email: "lea.hoarau@ch-ouest.test" },
        },
      })
      .where(eq(establishments.id, ch.id));
    const rssi = await createUser(t.db, { role: "rssi", establishmentId: clinic.id, name: "Rita Payet" });
    const analyst = await createUser(t.db, { role: "analyst", name: "Aline Hoarau" });

    // The analyst composes.
    const desk = await open(DESKTOP);
    await signIn(desk, baseUrl, analyst.email);
    await desk.getByRole("link", { name: "Bulletins" }).first().click();
    await desk.getByRole("link", { name: "Nouveau bulletin" }).click();
    await desk.getByRole("heading", { level: 1, name: "Nouveau bulletin" }).waitFor();
    await desk.getByLabel("Titre").fill("Campagne d'hameçonnage visant les établissements de l'Ouest");
    await desk.getByLabel("Résumé").fill("Des courriels imitant l'ARS invitent à saisir ses identifiants.");
    await desk.getByLabel("Actions recommandées").fill("Bloquer le domaine et prévenir les agents.");
    await desk.getByLabel("Observables").fill("domain ars-ouest-portail.example");
    await desk.locator("label", { hasText: /^Ouest$/ }).click();
    // The clinic's RSSI (account and contact), the CH's RSSI and deputy contacts.
    await expect
      .poll(() => desk.getByTestId("audience-count").textContent(), { timeout: 10_000 })
      .toBe("2 établissements, 4 destinataires dont 4 par courriel");
    await expect.poll(() => desk.locator(".pris-bulletin").first().textContent()).toContain("TLP:GREEN");
    await desk.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-bulletin-composer.png`, fullPage: true });
    // The count stays beside the preview, not 3,800 px below it at the end of the form.
    const beside = desk.getByTestId("audience-beside-preview");
    expect(await beside.textContent()).toBe("2 établissements, 4 destinataires dont 4 par courriel");
    const previewTitle = await desk.getByRole("heading", { level: 2, name: "Aperçu" }).boundingBox();
    const besideBox = await beside.boundingBox();
    expect(besideBox!.y - previewTitle!.y).toBeLessThan(150);
    expect(Math.abs(besideBox!.x - previewTitle!.x)).toBeLessThan(5);
    // Publishing asks first, saying how many will be e-mailed; cancelling sends nothing.
    await desk.getByRole("button", { name: "Publier", exact: true }).click();
    const confirmation = desk.getByRole("alertdialog", { name: "Publier ce bulletin ?" });
    await confirmation.waitFor();
    expect(await confirmation.textContent()).toContain(
      "4 personnes recevront un courriel (2 établissements).",
    );
    await desk.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-bulletin-confirm.png` });
    await confirmation.getByRole("button", { name: "Annuler" }).click();
    await confirmation.waitFor({ state: "detached" });
    expect(new URL(desk.url()).pathname).toBe("/bulletins/nouveau");
    await desk.getByRole("button", { name: "Publier", exact: true }).click();
    await desk.getByRole("button", { name: "Envoyer à 4 personnes" }).click();
    await desk.waitForURL(/\/bulletins\/[0-9a-f-]{36}$/);
    // The composer's heading may still be on screen for a moment after the address changes.
    const published = desk.getByRole("heading", { level: 1, name: /^REU-\d{4}-ALE-\d{3}$/ });
    await published.waitFor();
    const heading = await published.textContent();
    expect(heading).toMatch(/^REU-\d{4}-ALE-001$/);
    const reference = heading!;

    // One message per recipient, the label in the subject; nobody of the south.
    const messages = await waitUntil("4 messages", () => smtp.messages.length >= 4 && smtp.messages);
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.messages).toHaveLength(4);
    expect(messages.map((m) => m.envelopeTo[0]).sort()).toEqual(
      [
        "lea.hoarau@ch-ouest.test",
        "paul.grondin@ch-ouest.test",
        rssi.email,
        clinic.contacts.rssi!.email,
      ].sort(),
    );
    for (const m of messages)
      expect(m.parsed.subject).toBe(
        `[TLP:GREEN] Alerte ${reference} — Campagne d'hameçonnage visant les établissements de l'Ouest`,
      );

    // The CH's deputy answers through the personal link, on a phone, without logging in.
    const toDeputy = messages.find((m) => m.envelopeTo[0] === "lea.hoarau@ch-ouest.test")!;
    const link = /https:\/\/pris\.example\.re(\/reponse\/\S+)/.exec(toDeputy.parsed.text ?? "")![1]!;
    const phone = await open(PHONE);
    await phone.goto(`${baseUrl}${link}`);
    await phone.getByRole("heading", { level: 1, name: /Campagne d'hameçonnage/ }).waitFor();
    await phone.getByRole("button", { name: "Nous sommes concernés" }).click();
    await phone.getByText("Merci, votre réponse « Concerné » est enregistrée.").waitFor();
    await phone.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-bulletin-ack.png`, fullPage: true });
    // A tampered link is refused in French.
    await phone.goto(`${baseUrl}${link.slice(0, -3)}xyz`);
    await phone.getByText("Ce lien n'est pas valide").waitFor();

    await desk.reload();
    await expect.poll(() => tile(desk, "Ont répondu")).toBe("1");
    expect(await tile(desk, "Concernés")).toBe("1");
    expect(await tile(desk, "Courriels remis")).toBe("4");

    // The clinic's RSSI reads it in the application and answers.
    const rssiPage = await open(DESKTOP);
    await signIn(rssiPage, baseUrl, rssi.email);
    await rssiPage.getByRole("link", { name: "Mes bulletins" }).click();
    await rssiPage.getByRole("link", { name: reference }).click();
    await rssiPage.getByRole("button", { name: "Corrigé chez nous" }).click();
    await rssiPage.getByText("Votre réponse : Corrigé.").waitFor();

    await desk.reload();
    await expect.poll(() => tile(desk, "Ont répondu")).toBe("2");
    expect(await tile(desk, "Corrigé")).toBe("1");
    // The two without an answer, narrowed by category, by name, and sorted by a column.
    const pending = desk.getByTestId("pending-list");
    const establishmentsShown = () => pending.locator("tbody tr td:first-child").allTextContents();
    expect((await establishmentsShown()).sort()).toEqual(["Centre hospitalier Ouest", "Clinique du Port"]);
    await desk.getByLabel("Catégorie", { exact: true }).selectOption({ label: "Clinique privée" });
    await expect.poll(establishmentsShown).toEqual(["Clinique du Port"]);
    await desk.getByLabel("Catégorie", { exact: true }).selectOption({ label: "Toutes les catégories" });
    await desk.getByLabel("Établissement ou destinataire").fill("grondin");
    await expect.poll(establishmentsShown).toEqual(["Centre hospitalier Ouest"]);
    await desk.getByLabel("Établissement ou destinataire").fill("");
    await desk.getByRole("button", { name: "Catégorie" }).click();
    await expect.poll(establishmentsShown).toEqual(["Centre hospitalier Ouest", "Clinique du Port"]);
    expect(await pending.locator("th[aria-sort=ascending]").textContent()).toContain("Catégorie");
    await desk.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-bulletin-dashboard.png`, fullPage: true });
  }, 120_000);

  it("deletes a draft in two clicks and goes back to the list", async () => {
    const analyst = await createUser(t.db, { role: "analyst", name: "Brouillon Test" });
    const bearer = (await login(t.app, analyst.email)).bearer;
    const created = await t.app.inject({
      method: "POST",
      url: "/api/v1/bulletins",
      headers: bearer,
      payload: bulletinDraft({ title: "Brouillon à supprimer" }),
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const desk = await open(DESKTOP);
    await signIn(desk, baseUrl, analyst.email);
    await desk.goto(`${baseUrl}/bulletins/${id}`);
    await desk.getByRole("heading", { level: 1, name: "Brouillon de bulletin" }).waitFor();
    await desk.getByRole("button", { name: "Supprimer le brouillon" }).click();
    await desk.getByRole("button", { name: "Confirmer la suppression du brouillon" }).click();
    await desk.waitForURL(/\/bulletins$/);
    const gone = await t.app.inject({ method: "GET", url: `/api/v1/bulletins/${id}`, headers: bearer });
    expect(gone.statusCode).toBe(404);
  });
});
