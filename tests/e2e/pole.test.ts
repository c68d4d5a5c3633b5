import { incidents } from "@pris/db";
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
import {
  createApiKey,
  createEstablishment,
  createUser,
  declaration,
  login,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";
import { rawKeysOnPage } from "../support/page-quality.ts";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

/**
 * The regional pole at work, in real browsers against the real API, worker, PostgreSQL, Redis and an
 * SMTP server: analysts have the queue open (desk screen and phone); an RSSI declares a major incident
 * and it appears on both without a reload; the analyst claims it, opens the crisis cell (the task
 * force and the ARS are e-mailed), works it through the lifecycle, asks the establishment a question
 * in the shared conversation; the RSSI, on a phone, reads it and answers; the analyst sees the answer
 * and closes the incident with its summary.
 */

const LIVE_MS = 15_000;

async function shot(page: Page, name: string, fullPage = true) {
  await page.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-pole-${name}.png`, fullPage });
}

async function signIn(page: Page, baseUrl: string, email: string, landing: RegExp) {
  await page.goto(`${baseUrl}/`);
  await page.waitForURL(/\/connexion/);
  await page.getByLabel("Adresse électronique").fill(email);
  await page.getByLabel("Mot de passe").fill(PASSWORD);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL(landing);
}

/** The status badge of the incident page's header. */
function headerText(page: Page) {
  return page.locator(".pris-badges").first().textContent();
}

describe("the pole takes a new P1 from the queue to closure while the RSSI answers", () => {
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
      sweepEveryMs: 300,
      timerPollMs: 200,
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

  it("works a major incident end to end", async () => {
    const establishment = await createEstablishment(t.db, {
      name: "Centre hospitalier Ouest Réunion",
      nis2Status: "essential",
      territory: "ouest",
    });
    const analyst = await createUser(t.db, { role: "analyst", name: "Aline Hoarau" });
    const rssi = await createUser(t.db, {
      role: "rssi",
      establishmentId: establishment.id,
      name: "Rita Payet",
    });
    const taskforce = await createUser(t.db, { role: "taskforce", name: "Tom Grondin" });
    const ars = await createUser(t.db, { role: "ars", name: "Anne Técher" });

    // Earlier, a clinic's SIEM declared a minor incident with the same address (correlation).
    const clinic = await createEstablishment(t.db, {
      name: "Clinique Saint-Paul",
      category: "private_clinic",
    });
    const siem = await createApiKey(t.db, clinic.id);
    const earlier = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: { authorization: `ApiKey ${siem.key}` },
      payload: declaration({ title: "Connexions suspectes sur le VPN", impactGrade: 1 }),
    });
    expect(earlier.statusCode).toBe(201);
    const earlierRef = (earlier.json() as { reference: string }).reference;

    // Two screens of the same analyst: the desk and the phone on call.
    const desk = await open(DESKTOP);
    await signIn(desk, baseUrl, analyst.email, /\/file$/);
    await desk.getByRole("heading", { level: 1, name: "File des incidents" }).waitFor();
    await desk.locator(`tr[data-reference="${earlierRef}"]`).waitFor();
    const phone = await open(PHONE);
    await signIn(phone, baseUrl, analyst.email, /\/file$/);
    await phone.locator(".pris-card").filter({ hasText: earlierRef }).waitFor();

    // The RSSI declares a major incident (grade 4: plan blanc) through the API, with the session cookie.
    const session = await login(t.app, rssi.email);
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: session.cookie,
      payload: declaration({
        title: "Rançongiciel : plan blanc déclenché",
        rsitClass: "malicious-code",
        rsitType: "infected-system",
        impactGrade: 4,
        personalData: { breach: "yes", approxPeople: 12000 },
      }),
    });
    expect(res.statusCode).toBe(201);
    const declared = res.json() as { id: string; reference: string; severity: string };
    expect(declared.severity).toBe("P1");

    // On both screens, without a reload: the row, the P1 banner.
    const row = desk.locator(`tr[data-reference="${declared.reference}"]`);
    await row.waitFor({ timeout: LIVE_MS });
    await desk.getByText(`Incident majeur déclaré : ${declared.reference}`).waitFor();
    expect(await row.textContent()).toContain("Rançongiciel : plan blanc déclenché");
    expect(await row.textContent()).toContain("Non attribué");
    // Most urgent first: the P1 above the earlier P4.
    expect(await desk.locator("tbody tr").first().getAttribute("data-reference")).toBe(declared.reference);
    await phone.getByText(`Incident majeur déclaré : ${declared.reference}`).waitFor({ timeout: LIVE_MS });
    await phone.locator(".pris-card").filter({ hasText: declared.reference }).waitFor();
    await shot(desk, "desktop-queue", false);
    await shot(phone, "phone-queue", false);

    // The analyst opens it and claims it: acknowledged, assigned.
    await row.getByRole("link", { name: declared.reference }).click();
    await desk.waitForURL(new RegExp(`/incidents/${declared.id}$`));
    await desk.getByRole("button", { name: "Prendre l'incident" }).click();
    await desk.getByText("Responsable :").waitFor();
    await expect.poll(() => desk.locator(".pris-assignee").textContent()).toContain("vous (Aline Hoarau)");
    await expect.poll(() => headerText(desk)).toContain("Pris en compte");

    // Confirming P1 opens the crisis cell; the task force and the ARS are e-mailed.
    await desk.getByRole("button", { name: "Confirmer P1 et ouvrir la cellule de crise" }).click();
    await expect.poll(() => headerText(desk)).toContain("Cellule de crise");
    const mobilised = await waitUntil(
      "the task force's and the ARS's e-mails",
      () => {
        const to = new Set(smtp.messages.flatMap((m) => m.envelopeTo));
        return to.has(taskforce.email) && to.has(ars.email) && smtp.messages;
      },
      20_000,
    );
    const escalationMail = mobilised.find((m) => m.envelopeTo.includes(taskforce.email));
    expect(escalationMail?.parsed.subject ?? "").toContain(declared.reference);

    // The task force now finds it in its queue (and only it: the clinic's incident is not its business).
    const crew = await open(DESKTOP);
    await signIn(crew, baseUrl, taskforce.email, /\/file$/);
    await crew.locator(`tr[data-reference="${declared.reference}"]`).waitFor();
    expect(await crew.locator(`tr[data-reference="${earlierRef}"]`).count()).toBe(0);
    expect(await crew.locator(`tr[data-reference="${declared.reference}"]`).textContent()).toContain(
      "Cellule de crise",
    );

    // A task for oneself, then done.
    await desk.getByLabel("Nouvelle tâche (pour vous)").fill("Appeler le prestataire VPN");
    await desk.getByRole("button", { name: "Ajouter la tâche" }).click();
    const task = desk.locator(".pris-task").filter({ hasText: "Appeler le prestataire VPN" });
    await task.getByRole("button", { name: "Marquer comme faite" }).click();
    await expect.poll(() => task.textContent()).toContain("faite le");

    // Through the lifecycle, one button each (a word for the establishment with the containment).
    const containmentNote = "Serveurs du DPI isolés du réseau ; ne rallumez pas les postes des urgences.";
    for (const [action, status] of [
      ["Lancer l'investigation", "En investigation"],
      ["Passer en endiguement", "Endiguement"],
      ["Passer en remédiation", "Remédiation"],
      ["Passer en surveillance", "Surveillance"],
    ] as const) {
      if (status === "Endiguement") await desk.locator("#action-note").fill(containmentNote);
      await desk.getByRole("button", { name: action, exact: true }).click();
      await expect.poll(() => headerText(desk)).toContain(status);
    }

    // A question shared with the establishment.
    const question =
      "Vos sauvegardes hors ligne sont-elles intactes ? Merci de confirmer avant la remise en service.";
    await desk.locator("label").filter({ hasText: "Partagé avec l'établissement" }).first().click();
    await desk.locator("#entry-text").fill(question);
    await desk.getByRole("button", { name: "Ajouter et partager" }).click();
    await desk.locator(".pris-entry--shared").filter({ hasText: question }).waitFor();
    // An internal note the establishment must not see.
    const internal = "Note interne : vérifier le prestataire d'infogérance.";
    await desk.locator("label").filter({ hasText: "Interne au pôle" }).first().click();
    await desk.locator("#entry-text").fill(internal);
    await desk.getByRole("button", { name: "Ajouter (interne)" }).click();
    await desk.locator(".pris-entry--internal").filter({ hasText: internal }).waitFor();
    await expect.poll(() => desk.getByText(/Main courante intègre/).count()).toBe(1);
    // The shared address: the pole sees where else it was seen.
    await desk.getByText(`aussi dans ${earlierRef} (Clinique Saint-Paul)`).waitFor();
    await shot(desk, "desktop-incident-working");
    await shot(desk, "desktop-incident-working-view", false);
    // Every entry of the main courante in words, no key as the code spells it.
    expect(await rawKeysOnPage(desk)).toEqual([]);

    // The RSSI, on a phone, reads the question (and not the internal note) and answers.
    const rssiPage = await open(PHONE);
    await signIn(rssiPage, baseUrl, rssi.email, /\/declarer$/);
    await rssiPage.goto(`${baseUrl}/incidents/${declared.id}`);
    await rssiPage.getByText(question).waitFor();
    expect(await rssiPage.getByText(internal).count()).toBe(0);
    expect(await rssiPage.getByText(containmentNote).count()).toBe(1);
    expect(await headerText(rssiPage)).toContain("Surveillance");
    const answer = "Sauvegardes hors ligne vérifiées ce matin : intactes. Remise en service prévue à 14 h.";
    await rssiPage.locator("#reply-text").fill(answer);
    await rssiPage.getByRole("button", { name: "Envoyer au pôle" }).click();
    await rssiPage.locator(".pris-entry").filter({ hasText: answer }).waitFor();
    // The establishment only learns that the address was seen elsewhere.
    await rssiPage.getByText("Vu ailleurs dans la région").waitFor();
    expect(await rssiPage.getByText("Clinique Saint-Paul").count()).toBe(0);
    await shot(rssiPage, "phone-rssi-conversation");
    await shot(rssiPage, "phone-rssi-conversation-view", false);
    expect(await rawKeysOnPage(rssiPage)).toEqual([]);

    // The RSSI records the national portal declaration on the phone.
    const portal = rssiPage.locator('[data-clock="national_portal"]');
    await portal.getByRole("button", { name: "Enregistrer la déclaration" }).click();
    await rssiPage.locator("#clock-national_portal-reference").fill("CERTS-2026-4471");
    await rssiPage.getByRole("button", { name: "Enregistrer", exact: true }).click();
    await expect.poll(() => portal.textContent()).toContain("Fait dans les délais");
    expect(await portal.textContent()).toContain("CERTS-2026-4471");

    // The analyst's page shows the answer without a reload.
    await desk
      .locator(".pris-entry--shared")
      .filter({ hasText: answer })
      .waitFor({ timeout: 2 * LIVE_MS });

    // Closing needs the summary.
    await desk.getByRole("button", { name: "Clore", exact: true }).click();
    await desk
      .locator("#closure-rootCause")
      .fill("Compte VPN d'un prestataire compromis, sans double authentification.");
    await desk
      .locator("#closure-measures")
      .fill("Comptes réinitialisés, MFA imposée, postes réinstallés depuis des images saines.");
    await desk
      .locator("#closure-lessons")
      .fill("Tenir à jour l'inventaire des accès des prestataires ; exercer la restauration.");
    await shot(desk, "desktop-closure-form");
    await desk.getByRole("button", { name: "Confirmer : Clore" }).click();
    await expect.poll(() => headerText(desk)).toContain("Clos");
    await desk.getByText("Synthèse de clôture").waitFor();
    await shot(desk, "desktop-incident-closed");

    const [stored] = await t.db.select().from(incidents).where(eq(incidents.id, declared.id));
    expect(stored!.status).toBe("closed");
    expect(stored!.crisisCell).toBe(true);
    expect(stored!.assigneeUserId).toBe(analyst.id);
    expect(stored!.closure).toMatchObject({ rsitClass: "malicious-code", rsitType: "infected-system" });

    // The RSSI sees it closed; the queue no longer lists it.
    await rssiPage.reload();
    await expect.poll(() => headerText(rssiPage)).toContain("Clos");
    await shot(rssiPage, "phone-rssi-closed");
    await phone
      .locator(".pris-card")
      .filter({ hasText: declared.reference })
      .waitFor({ state: "detached", timeout: LIVE_MS });

    // The phone view of the analyst's incident page.
    await phone.goto(`${baseUrl}/incidents/${declared.id}`);
    await expect.poll(() => headerText(phone)).toContain("Clos");
    await shot(phone, "phone-incident-closed");
    await shot(phone, "phone-incident-closed-top", false);
    await phone.locator("#log-title").scrollIntoViewIfNeeded();
    await shot(phone, "phone-incident-closed-log", false);
    await phone.locator("#clocks-title").scrollIntoViewIfNeeded();
    await shot(phone, "phone-incident-closed-clocks", false);
  }, 120_000);

  it("lets an analyst declare for an establishment whose RSSI phoned in", async () => {
    const hospital = await createEstablishment(t.db, { name: "EHPAD Les Filaos", category: "ehpad" });
    const analyst = await createUser(t.db, { role: "analyst", name: "Hugo Boyer" });
    const colleague = await createUser(t.db, { role: "analyst", name: "Léa Fontaine" });
    const page = await open(DESKTOP);
    await signIn(page, baseUrl, analyst.email, /\/file$/);
    await page.getByRole("link", { name: "Déclarer pour un établissement" }).click();
    await page.waitForURL(/\/declarer$/);
    await page
      .locator("#field-establishmentId")
      .selectOption({ label: `EHPAD Les Filaos (FINESS ${hospital.finess})` });
    // The channel: the establishment phoned, the form's choice by default.
    const channel = page.locator("#field-channel");
    expect(await channel.getByLabel("Téléphone").isChecked()).toBe(true);
    expect(await channel.getByLabel("Courriel").isChecked()).toBe(false);
    await page.getByLabel(/^Nom et prénom/).fill("Marie Hoarau");
    await page.getByLabel(/^Téléphone joignable/).fill("0692 55 44 33");
    await page.getByLabel(/^Titre/).fill("Messagerie piratée, hameçonnage des familles");
    await page
      .locator("#field-rsitClass")
      .locator("label")
      .filter({ hasText: "Je ne sais pas encore" })
      .first()
      .click();
    await page.getByLabel(/^Description/).fill("Des courriels frauduleux partent de la boîte de l'accueil.");
    await page.locator("#field-ongoing").locator("label").filter({ hasText: "Oui" }).first().click();
    await page
      .locator("#field-impactGrade")
      .locator("label")
      .filter({ hasText: /Niveau 1/ })
      .first()
      .click();
    await page.getByRole("button", { name: "Envoyer la déclaration" }).click();
    await page.waitForURL(/\/incidents\/[0-9a-f-]+$/);
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent())
      .toContain("Messagerie piratée");
    expect(await page.getByText("EHPAD Les Filaos").count()).toBeGreaterThan(0);
    expect(await page.getByTestId("incident-channel").textContent()).toBe("canal : Téléphone");
    await page.getByRole("button", { name: "Prendre l'incident" }).waitFor();
    // Handed to a colleague of the pole.
    await page.getByLabel("Attribuer à").selectOption({ label: colleague.displayName });
    await page.getByText(`Responsable : ${colleague.displayName}`).waitFor();
  });

  it("pages through a filtered queue with Afficher plus", async () => {
    const east = await createEstablishment(t.db, { name: "CH de l'Est", territory: "est" });
    const key = await createApiKey(t.db, east.id);
    for (let n = 1; n <= 30; n++) {
      const r = await t.app.inject({
        method: "POST",
        url: "/api/v1/incidents",
        headers: { authorization: `ApiKey ${key.key}` },
        payload: declaration({ title: `Alerte antivirus n° ${n}`, impactGrade: 1, observables: [] }),
      });
      expect(r.statusCode).toBe(201);
    }
    const analyst = await createUser(t.db, { role: "analyst" });
    const page = await open(DESKTOP);
    await signIn(page, baseUrl, analyst.email, /\/file$/);
    await page.goto(`${baseUrl}/file?territoire=est`);
    const rows = page.locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(25);
    await page.getByText("30 incidents, le plus urgent en premier — 25 affichés").waitFor();
    await page.getByRole("button", { name: "Afficher plus" }).click();
    await expect.poll(() => rows.count()).toBe(30);
    expect(await page.getByRole("button", { name: "Afficher plus" }).count()).toBe(0);
    const references = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-reference")));
    expect(new Set(references).size).toBe(30);
  });

  it("shows the ARS its statistics with the month's major incident", async () => {
    const arsUser = await createUser(t.db, { role: "ars", name: "Agnès Payet" });
    const page = await open(DESKTOP);
    await signIn(page, baseUrl, arsUser.email, /\/statistiques$/);
    await page.getByRole("heading", { level: 1, name: "Statistiques des incidents" }).waitFor();
    await expect.poll(() => page.getByTestId("stats-total").textContent()).not.toBe("0");
    await page.getByText("Centre hospitalier Ouest Réunion").waitFor();
    await shot(page, "desktop-stats");
    expect(await rawKeysOnPage(page)).toEqual([]);
    const small = await open(PHONE);
    await signIn(small, baseUrl, arsUser.email, /\/statistiques$/);
    await small.getByTestId("stats-total").waitFor();
    await shot(small, "phone-stats");
  });
});
