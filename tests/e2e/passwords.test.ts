import { startWorker, type WorkerHandle } from "@pris/worker";
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
import { createEstablishment, createUser, startTestApp, type TestApp } from "../support/fixtures.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

/**
 * A person who forgot their password asks for a link from the login page, gets the e-mail through the
 * worker, chooses a new password on a phone with the French feedback shown as they type, and lands
 * signed in; then changes it again from the "Mot de passe" page of the account menu.
 */
describe("passwords, in the browser", () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let worker: WorkerHandle;
  let baseUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function open(options = DESKTOP): Promise<Page> {
    const context = await browser.newContext(options);
    contexts.push(context);
    return context.newPage();
  }

  beforeAll(async () => {
    assertWebBuilt();
    smtp = await startSmtpServer();
    t = await startTestApp({ WEB_DIST_DIR, SMTP_URL: smtp.url, PUBLIC_URL: "https://pris.example.re" });
    worker = await startWorker(t.config, { tuning: { mailRetryDelayMs: 100, outboxRetryDelayMs: 100 } });
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

  it("forgot password → e-mail → new password with French feedback → signed in; then changed again", async () => {
    const establishment = await createEstablishment(t.db, { name: "Clinique des Tamarins" });
    const person = await createUser(t.db, {
      role: "rssi",
      establishmentId: establishment.id,
      name: "Marie Hoarau",
    });

    const desk = await open();
    await desk.goto(`${baseUrl}/connexion`);
    await desk.getByRole("link", { name: "Mot de passe oublié ?" }).click();
    await desk.getByRole("heading", { name: "Mot de passe oublié" }).waitFor();
    await desk.getByLabel("Adresse électronique").fill(person.email);
    await desk.getByRole("button", { name: "Recevoir un lien par courriel" }).click();
    await desk.getByText("Si un compte correspond à cette adresse").waitFor();

    const mail = await waitUntil("the reset e-mail", () =>
      smtp.messages.find((m) => m.envelopeTo.includes(person.email)),
    );
    expect(mail.parsed.subject).toBe("Choisir un nouveau mot de passe PRIS — La Réunion");
    const link = /https:\/\/pris\.example\.re(\/mot-de-passe\/\S+)/.exec(mail.parsed.text ?? "")![1]!;

    const phone = await open(PHONE);
    await phone.goto(`${baseUrl}${link}`);
    await phone.getByRole("heading", { name: "Choisissez un nouveau mot de passe" }).waitFor();
    const field = phone.getByLabel("Nouveau mot de passe");
    const feedback = phone.getByTestId("password-feedback");
    await field.fill("            ");
    await feedback.getByText("Il doit compter au moins 12 caractères").waitFor();
    await field.fill("motdepasse123");
    await feedback.getByText("Il est trop facile à deviner.").waitFor();
    await field.fill("MarieHoarau2026!");
    await feedback.getByText("Il repose sur votre nom").waitFor();
    await phone.screenshot({ path: `${SCREENSHOT_DIR}/password-reset-feedback.png`, fullPage: true });
    await field.fill("Cascade violette sous le tambour");
    await feedback.getByText("ce mot de passe convient").waitFor();
    await phone.getByLabel("Saisissez-le à nouveau").fill("Cascade violette sous le tambour");
    await phone.getByRole("button", { name: "Enregistrer et me connecter" }).click();
    await phone.waitForURL((url) => url.pathname === "/declarer");

    // The link is spent: opened again, it says so in French.
    const again = await open(PHONE);
    await again.goto(`${baseUrl}${link}`);
    await again.getByText("Ce lien a déjà servi").waitFor();
    await again.getByRole("link", { name: "Demander un nouveau lien" }).waitFor();

    // Changed again from the account menu: the current one is asked.
    await phone.goto(`${baseUrl}/mon-compte/mot-de-passe`);
    await phone.getByRole("heading", { name: "Mot de passe", exact: true }).waitFor();
    await phone.getByLabel("Mot de passe actuel").fill("not the current one");
    await phone.getByLabel("Nouveau mot de passe").fill("Les goyaviers fleurissent en mai");
    await phone.getByLabel("Saisissez-le à nouveau").fill("Les goyaviers fleurissent en mai");
    await phone.getByRole("button", { name: "Changer mon mot de passe" }).click();
    await phone.getByText("Le mot de passe actuel saisi est incorrect.").waitFor();
    await phone.getByLabel("Mot de passe actuel").fill("Cascade violette sous le tambour");
    await phone.getByRole("button", { name: "Changer mon mot de passe" }).click();
    await phone.getByText("Votre nouveau mot de passe est enregistré.").waitFor();
    await phone.screenshot({ path: `${SCREENSHOT_DIR}/password-changed.png`, fullPage: true });
  });
});
