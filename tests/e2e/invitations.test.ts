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
import {
  createEstablishment,
  createUser,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

/**
 * The administrator invites an RSSI from the Invitations page; the e-mail arrives through the worker;
 * the invitee opens its link on a phone, chooses a password twice and lands signed in on their home page.
 */
describe("a person onboarded by invitation, in the browser", () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let worker: WorkerHandle;
  let baseUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let desk: Page;

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

  it("admin invites, the invitee sets a password and lands on the declaration page", async () => {
    await createEstablishment(t.db, { name: "Clinique des Tamarins", finess: "974000777" });
    const admin = await createUser(t.db, { role: "admin", name: "Alice Administratrice" });

    desk = await open();
    await desk.goto(`${baseUrl}/connexion`);
    await desk.getByLabel("Adresse électronique").fill(admin.email);
    await desk.getByLabel("Mot de passe").fill(PASSWORD);
    await desk.getByRole("button", { name: "Se connecter" }).click();
    await desk.waitForURL((url) => !url.pathname.startsWith("/connexion"));
    await desk.getByRole("button", { name: "Administration" }).click();
    await desk.getByRole("link", { name: "Invitations", exact: true }).first().click();
    await desk.getByRole("heading", { name: "Inviter une personne" }).waitFor();

    await desk.getByLabel("Nom et prénom").fill("Nadia Payet");
    await desk.getByLabel("Adresse électronique").fill("nadia.payet@tamarins.test");
    await desk.getByLabel("Rôle").selectOption("rssi");
    await desk.getByLabel("Rechercher l'établissement").fill("Tamarins");
    const establishment = desk.getByLabel("Établissement", { exact: true });
    await waitUntil(
      "the establishment found",
      async () => (await establishment.locator("option").count()) > 1,
    );
    await establishment.selectOption({ label: "Clinique des Tamarins (974000777)" });
    await desk.getByRole("button", { name: "Envoyer l'invitation" }).click();
    await desk.getByText("Invitation envoyée à nadia.payet@tamarins.test.").waitFor();
    const row = desk.locator('tr:has([data-invitation="nadia.payet@tamarins.test"])');
    await row.getByText("En attente").waitFor();

    const [mail] = await waitUntil("the invitation e-mail", () => smtp.messages.length >= 1 && smtp.messages);
    expect(mail!.envelopeTo).toEqual(["nadia.payet@tamarins.test"]);
    expect(mail!.parsed.text).toContain("Alice Administratrice vous invite à rejoindre PRIS");
    const link = /https:\/\/pris\.example\.re(\/invitation\/\S+)/.exec(mail!.parsed.text ?? "")![1]!;

    const phone = await open(PHONE);
    await phone.goto(`${baseUrl}${link}`);
    await phone.getByRole("heading", { name: "Bienvenue dans PRIS, Nadia Payet" }).waitFor();
    await phone.getByText("Clinique des Tamarins").first().waitFor();
    await phone.screenshot({ path: `${SCREENSHOT_DIR}/invitation-page.png`, fullPage: true });
    await phone.getByLabel("Choisissez votre mot de passe").fill("Une phrase de passe sûre");
    await phone.getByLabel("Saisissez-le à nouveau").fill("Une phrase de passe sure");
    await phone.getByRole("button", { name: "Activer mon compte" }).click();
    await phone.getByText("Les deux mots de passe ne sont pas identiques.").waitFor();
    await phone.getByLabel("Saisissez-le à nouveau").fill("Une phrase de passe sûre");
    await phone.getByRole("button", { name: "Activer mon compte" }).click();
    await phone.waitForURL((url) => url.pathname === "/declarer");
    await phone.screenshot({ path: `${SCREENSHOT_DIR}/invitation-landed.png`, fullPage: true });

    // The link is used up: opened again, it says so in French.
    const again = await open(PHONE);
    await again.goto(`${baseUrl}${link}`);
    await again.getByText("Cette invitation a déjà été utilisée").waitFor();
    await again.screenshot({ path: `${SCREENSHOT_DIR}/invitation-used.png`, fullPage: true });

    // The administrator's list shows the invitation accepted, its e-mail sent.
    await desk.reload();
    await row.getByText("Acceptée").waitFor();
    await row.getByText(/Envoyé le/).waitFor();
    await desk.screenshot({ path: `${SCREENSHOT_DIR}/invitations-admin.png`, fullPage: true });
  });

  it("admin counts the RSSI contacts without an account, confirms, and the e-mails go", async () => {
    await createEstablishment(t.db, { name: "EHPAD Les Filaos", category: "ehpad" });
    await createEstablishment(t.db, { name: "SSIAD du Sud", category: "home_care" });
    const before = smtp.messages.length;
    await desk.getByRole("button", { name: "Compter les invitations" }).click();
    await desk.getByText("2 invitations à envoyer.").waitFor();
    await desk.getByText("Voir la liste").click();
    await desk.getByText(/EHPAD Les Filaos/).waitFor();
    await desk.getByRole("button", { name: "Envoyer les 2 invitations" }).click();
    await desk.getByRole("button", { name: "Confirmer l'envoi" }).click();
    await desk.getByText("2 invitations envoyées.", { exact: false }).waitFor();
    await waitUntil("two more e-mails", () => smtp.messages.length >= before + 2);
    await desk.getByRole("button", { name: "Compter les invitations" }).click();
    await desk.getByText("Aucun RSSI à inviter", { exact: false }).waitFor();

    // From the list: re-send one (a new e-mail), cancel another after confirming.
    const sent = smtp.messages.length;
    await desk
      .getByRole("button", { name: /^Renvoyer l'invitation de/ })
      .first()
      .click();
    await desk.getByText(/Invitation renvoyée à .*\s: le lien précédent ne fonctionne plus\./).waitFor();
    await waitUntil("the re-sent e-mail", () => smtp.messages.length >= sent + 1);
    desk.once("dialog", (dialog) => void dialog.accept());
    await desk
      .getByRole("button", { name: /^Annuler l'invitation de/ })
      .first()
      .click();
    await desk.getByText(/Invitation de .* annulée\./).waitFor();
    await desk
      .getByRole("cell", { name: /Annulée/ })
      .first()
      .waitFor();
  });
});
