import { incidentObservables, incidents, users } from "@pris/db";
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
  createEstablishment,
  createUser,
  declaration,
  login,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * The web app in a real browser against the real API, PostgreSQL and Redis: an RSSI signs in
 * from a phone, declares, sees the reference and the clocks, and finds the incident in the list;
 * a draft survives a reload; a dropped answer is retried without a second incident; an expired
 * session is renewed inline and the declaration still goes out.
 */

const REGION_ZONE = "Indian/Reunion";
const REFERENCE = /^REU-\d{4}-\d{4}$/;

/** "2026-03-02T14:05" as the region's clocks showed it: what a datetime-local field holds. */
function wallTimeInRegion(date: Date): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: REGION_ZONE,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    })
      .formatToParts(date)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** A minute in the past, on a whole minute (what a datetime-local field can express). */
function minutesAgo(n: number): Date {
  const d = new Date(Date.now() - n * 60_000);
  d.setUTCSeconds(0, 0);
  return d;
}

async function shot(page: Page, name: string, fullPage = true) {
  await page.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-${name}.png`, fullPage });
}

async function signIn(page: Page, baseUrl: string, email: string) {
  await page.goto(`${baseUrl}/`);
  await page.waitForURL(/\/connexion/);
  await page.getByLabel("Adresse électronique").fill(email);
  await page.getByLabel("Mot de passe").fill(PASSWORD);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL(/\/declarer$/);
  await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Déclarer un incident");
}

/** The required fields, the way a hurried RSSI fills them. */
async function fillRequired(page: Page, title: string, detectedAt?: Date) {
  await page.getByLabel(/^Titre/).fill(title);
  await choose(page, "#field-rsitClass", "Un virus ou un logiciel malveillant");
  await choose(page, "#field-rsitType", /Un poste ou un serveur est infecté/);
  await page
    .getByLabel(/^Description/)
    .fill("Écrans de rançon sur les postes des urgences depuis 2 h du matin.");
  if (detectedAt) await page.getByLabel(/^Constaté le/).fill(wallTimeInRegion(detectedAt));
  await choose(page, "#field-ongoing", "Oui");
  await choose(page, "#field-impactGrade", /Niveau 3/);
}

/**
 * Picks a DSFR radio or checkbox the way a person does: by tapping its label (the input itself is drawn over
 * by the label's circle, so it cannot be clicked directly).
 */
async function choose(page: Page, fieldset: string, label: string | RegExp) {
  await page.locator(fieldset).locator("label").filter({ hasText: label }).first().click();
}

async function draftCount(page: Page): Promise<number> {
  return page.evaluate(
    () => Object.keys(localStorage).filter((k) => k.startsWith("pris:declaration-draft:")).length,
  );
}

describe("declaring an incident in the browser", () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let establishment: Awaited<ReturnType<typeof createEstablishment>>;
  const contexts: BrowserContext[] = [];

  async function phonePage(options = PHONE) {
    const context = await browser.newContext(options);
    contexts.push(context);
    const page = await context.newPage();
    return { context, page };
  }

  async function rssi(phone: string | null = "+262 692 11 22 33") {
    const user = await createUser(t.db, {
      role: "rssi",
      establishmentId: establishment.id,
      name: "Rita Payet",
    });
    if (phone) await t.db.update(users).set({ phone }).where(eq(users.id, user.id));
    return user;
  }

  beforeAll(async () => {
    assertWebBuilt();
    t = await startTestApp({ WEB_DIST_DIR });
    baseUrl = await listen(t.app);
    establishment = await createEstablishment(t.db, {
      name: "Centre hospitalier Sud Réunion",
      nis2Status: "essential",
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await t?.close();
  });

  it("signs in on a phone, declares, sees the reference and finds it in Mes signalements", async () => {
    const user = await rssi();
    const { page } = await phonePage();
    await signIn(page, baseUrl, user.email);

    // Prefilled from the account: who to call during the crisis.
    await expect.poll(() => page.getByLabel(/^Nom et prénom/).inputValue()).toBe("Rita Payet");
    await expect.poll(() => page.getByLabel(/^Téléphone joignable/).inputValue()).toBe("+262 692 11 22 33");

    // Sending too early: French messages, the first field in error takes the focus.
    await page.getByRole("button", { name: "Envoyer la déclaration" }).click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("field-title");
    expect(await page.getByText("Donnez un titre court à l'incident.").count()).toBeGreaterThan(0);
    await shot(page, "phone-declare-errors", false);

    const detectedAt = minutesAgo(95);
    await fillRequired(page, "Rançongiciel sur les serveurs du DPI", detectedAt);
    await choose(page, "#field-affectedServices", "Dossier patient (DPI)");

    // An observable, checked with the server's own normaliser as soon as the field is left.
    await page.getByRole("button", { name: "Ajouter un indicateur" }).click();
    const value = page.locator('input[id^="field-observables."]').first();
    await value.fill("999.1.1.1");
    await value.blur();
    await expect.poll(() => page.getByText("Adresse IPv4 invalide").count()).toBe(1);
    await value.fill("185.220.101[.]7");
    await expect.poll(() => page.getByText("Reconnu : 185.220.101.7").count()).toBe(1);
    await shot(page, "phone-declare-filled");

    await page.getByRole("button", { name: "Envoyer la déclaration" }).click();
    await page.waitForURL(/\/incidents\/[0-9a-f-]+\/confirmation$/);
    const reference = (await page.getByTestId("incident-reference").textContent())?.trim() ?? "";
    expect(reference).toMatch(REFERENCE);
    await expect.poll(() => page.getByText("Vos échéances réglementaires").count()).toBe(1);
    expect(await page.getByText("Déclaration sur le portail national").count()).toBe(1);
    // NIS2-subject establishment: its three clocks are shown.
    expect(await page.getByText("NIS2 — alerte précoce").count()).toBe(1);
    // A ransomware still running in a CH, admissions diverted: major, and the page says why.
    const main = page.getByRole("main");
    expect(await main.getByText("P1 — incident majeur").count()).toBe(1);
    expect(
      await main
        .getByText(
          "Rançongiciel ou logiciel malveillant toujours actif dans un centre hospitalier : incident majeur, P1",
        )
        .count(),
    ).toBe(1);
    expect(await main.getByText("la task force régionale est mobilisée").count()).toBe(1);
    // Deadlines in words, in the region's zone: what to do, by when, and how long is left.
    const clocks = page.locator(".pris-clocks");
    const portal = clocks.locator('[data-clock="national_portal"]');
    expect(await portal.textContent()).toMatch(
      /À faire tout de suite, au plus tard (aujourd'hui|demain) à \d{1,2} h( \d{2})? \(dans [^)]+\)\./,
    );
    expect(await clocks.locator('[data-clock="nis2_early_warning"]').textContent()).toContain(
      "À faire dans les 24 heures, au plus tard",
    );
    expect(await clocks.textContent()).not.toMatch(/Délai|sans délai|\d:\d{2}/);
    await shot(page, "phone-confirmation");

    // Stored once, as typed: the Réunion wall time read in Réunion, not in the phone's Paris zone.
    const rows = await t.db.select().from(incidents).where(eq(incidents.reference, reference));
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.establishmentId).toBe(establishment.id);
    expect(row.title).toBe("Rançongiciel sur les serveurs du DPI");
    expect(row.detectedAt.toISOString()).toBe(detectedAt.toISOString());
    expect(row.impactGrade).toBe(3);
    expect(row.ongoing).toBe(true);
    expect(row.rsitClass).toBe("malicious-code");
    expect(row.rsitType).toBe("infected-system");
    expect(row.affectedServices).toEqual(["dpi"]);
    expect(row.tlp).toBe("AMBER");
    expect(row.declarant).toMatchObject({ name: "Rita Payet", phone: "+262 692 11 22 33" });
    const observables = await t.db
      .select()
      .from(incidentObservables)
      .where(eq(incidentObservables.incidentId, row.id));
    expect(observables.map((o) => [o.type, o.normalized])).toEqual([["ipv4", "185.220.101.7"]]);
    // Sent: the draft is gone from the device.
    expect(await draftCount(page)).toBe(0);

    await page.getByRole("main").getByRole("link", { name: "Mes signalements" }).click();
    await page.waitForURL(/\/incidents$/);
    const link = page.getByRole("link", { name: reference });
    await link.waitFor();
    expect(
      await page.getByText("Rançongiciel sur les serveurs du DPI").filter({ visible: true }).count(),
    ).toBe(1);
    await shot(page, "phone-list");

    await link.click();
    await page.waitForURL(new RegExp(`/incidents/${row.id}$`));
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent())
      .toContain("Rançongiciel sur les serveurs du DPI");
    await shot(page, "phone-detail");
  }, 90_000);

  it("never calls an ongoing ransomware in an EHPAD minor, even when care goes on in degraded mode", async () => {
    const ehpad = await createEstablishment(t.db, { name: "EHPAD Les Filaos", category: "ehpad" });
    const user = await createUser(t.db, { role: "rssi", establishmentId: ehpad.id, name: "Marie Hoarau" });
    await t.db.update(users).set({ phone: "0692 44 55 66" }).where(eq(users.id, user.id));
    const { page } = await phonePage();
    await signIn(page, baseUrl, user.email);

    await page.getByLabel(/^Titre/).fill("Fichiers chiffrés sur le serveur de soins");
    await choose(page, "#field-rsitClass", "Un virus ou un logiciel malveillant");
    await choose(page, "#field-rsitType", /Un poste ou un serveur est infecté/);
    await page
      .getByLabel(/^Description/)
      .fill("Message de rançon sur le serveur, les fichiers des résidents deviennent illisibles un à un.");
    await choose(page, "#field-ongoing", "Oui");
    await choose(page, "#field-impactGrade", /Niveau 1/);
    // Before sending, the form shows what the service will suggest, and why.
    const preview = page.getByTestId("severity-preview");
    await expect.poll(() => preview.textContent()).toContain("P2 — incident grave");
    const shown = await preview.locator("li").allTextContents();
    expect(shown).toEqual([
      "Impact sur les soins : niveau 1 (Procédures dégradées)",
      "Logiciel malveillant toujours actif (rançongiciel possible) : au moins P2",
    ]);
    await preview.scrollIntoViewIfNeeded();
    await shot(page, "phone-declare-severity-preview", false);
    await page.getByRole("button", { name: "Envoyer la déclaration" }).click();

    await page.waitForURL(/\/incidents\/[0-9a-f-]+\/confirmation$/);
    const main = page.getByRole("main");
    // The confirmation reads back what the API recorded: the same reasons the form showed.
    await main.getByText("Gravité estimée").waitFor();
    expect(await main.locator("ul.fr-text--sm li").allTextContents()).toEqual(shown);
    await main.getByText("Gravité estimée").waitFor();
    expect(await main.getByText("P2 — incident grave").count()).toBe(1);
    expect(await main.getByText(/mineur/i).count()).toBe(0);
    expect(
      await main
        .getByText("Logiciel malveillant toujours actif (rançongiciel possible) : au moins P2")
        .count(),
    ).toBe(1);
    expect(await main.getByText("Impact sur les soins : niveau 1 (Procédures dégradées)").count()).toBe(1);
    // The stored suggestion is the one shown.
    const reference = (await page.getByTestId("incident-reference").textContent())?.trim() ?? "";
    const [row] = await t.db.select().from(incidents).where(eq(incidents.reference, reference));
    expect(row).toMatchObject({ severity: "P2", severitySuggested: "P2" });
    await shot(page, "phone-confirmation-ehpad-ransomware");
  });

  it("keeps the draft on the device across a reload, until it is erased", async () => {
    const user = await rssi();
    const { page } = await phonePage();
    await signIn(page, baseUrl, user.email);

    await page.getByLabel(/^Titre/).fill("Messagerie inaccessible");
    await choose(page, "#field-rsitClass", "Je ne sais pas encore");
    await choose(page, "#field-impactGrade", /Niveau 1/);
    await page.getByLabel(/^Téléphone joignable/).fill("0692 99 88 77");
    await page.getByRole("button", { name: "Ajouter un indicateur" }).click();
    await page.locator('select[id^="observable-type-"]').first().selectOption("domain");
    await page.locator('input[id^="field-observables."]').first().fill("faux-support[.]example");
    expect(await draftCount(page)).toBe(1);

    await page.reload();
    await page.getByText("Brouillon restauré").waitFor();
    expect(await page.getByLabel(/^Titre/).inputValue()).toBe("Messagerie inaccessible");
    expect(await page.getByLabel(/^Téléphone joignable/).inputValue()).toBe("0692 99 88 77");
    expect(await page.locator("#field-rsitClass").getByLabel("Je ne sais pas encore").isChecked()).toBe(true);
    expect(
      await page
        .locator("#field-impactGrade")
        .getByLabel(/Niveau 1/)
        .isChecked(),
    ).toBe(true);
    expect(await page.locator('select[id^="observable-type-"]').first().inputValue()).toBe("domain");
    expect(await page.locator('input[id^="field-observables."]').first().inputValue()).toBe(
      "faux-support[.]example",
    );
    await shot(page, "phone-draft-restored", false);

    await page.getByRole("button", { name: "Effacer le brouillon" }).click();
    await page.getByRole("button", { name: "Oui, effacer" }).click();
    await expect.poll(() => page.getByLabel(/^Titre/).inputValue()).toBe("");
    expect(await page.getByLabel(/^Téléphone joignable/).inputValue()).toBe("+262 692 11 22 33");
    expect(await draftCount(page)).toBe(0);
    await page.reload();
    await page.getByLabel(/^Titre/).waitFor();
    expect(await page.getByText("Brouillon restauré").count()).toBe(0);
  });

  it("retries with the same Idempotency-Key when the answer is lost: one incident, not two", async () => {
    const user = await rssi();
    const { page } = await phonePage(DESKTOP);
    await signIn(page, baseUrl, user.email);
    await shot(page, "desktop-declare", false);
    await fillRequired(page, "Connexion coupée pendant l'envoi");

    // The first POST reaches the API (the incident is created) but its answer never comes back.
    const keys: string[] = [];
    await page.route("**/api/v1/incidents", async (route) => {
      const request = route.request();
      if (request.method() !== "POST") return route.continue();
      keys.push(request.headers()["idempotency-key"] ?? "");
      if (keys.length === 1) {
        const response = await route.fetch();
        expect(response.status()).toBe(201);
        return route.abort("connectionreset");
      }
      return route.continue();
    });

    await page.getByRole("button", { name: "Envoyer la déclaration" }).click();
    await page.getByText("Connexion perdue — votre déclaration est conservée sur cet appareil").waitFor();
    expect(await draftCount(page)).toBe(1);
    await shot(page, "desktop-connection-lost", false);

    await page.getByRole("button", { name: "Réessayer" }).click();
    await page.waitForURL(/\/confirmation$/);
    const reference = (await page.getByTestId("incident-reference").textContent())?.trim() ?? "";
    expect(reference).toMatch(REFERENCE);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);

    const rows = await t.db
      .select({ reference: incidents.reference })
      .from(incidents)
      .where(eq(incidents.title, "Connexion coupée pendant l'envoi"));
    expect(rows).toEqual([{ reference }]);
    await shot(page, "desktop-confirmation");

    await page.getByRole("main").getByRole("link", { name: "Mes signalements" }).click();
    await page.getByRole("table").getByRole("link", { name: reference }).waitFor();
    await shot(page, "desktop-list");
  });

  it("asks to sign in again inline when the session expired, then sends the declaration", async () => {
    const user = await rssi();
    const { context, page } = await phonePage();
    await signIn(page, baseUrl, user.email);
    await fillRequired(page, "Session expirée en pleine crise");

    await context.clearCookies();
    await page.getByRole("button", { name: "Envoyer la déclaration" }).click();
    await page.getByText("Votre session a expiré").waitFor();
    await page.getByLabel("Mot de passe").fill(PASSWORD);
    await shot(page, "phone-inline-login", false);
    await page.getByRole("button", { name: "Se reconnecter et envoyer" }).click();

    await page.waitForURL(/\/confirmation$/);
    expect((await page.getByTestId("incident-reference").textContent())?.trim()).toMatch(REFERENCE);
    const rows = await t.db
      .select({ id: incidents.id })
      .from(incidents)
      .where(eq(incidents.title, "Session expirée en pleine crise"));
    expect(rows).toHaveLength(1);
  });

  it("pages through Mes signalements with the API's cursor", async () => {
    const other = await createEstablishment(t.db, { name: "Clinique des Flamboyants" });
    const user = await createUser(t.db, { role: "rssi", establishmentId: other.id });
    const { bearer } = await login(t.app, user.email);
    for (let n = 1; n <= 23; n++) {
      const res = await t.app.inject({
        method: "POST",
        url: "/api/v1/incidents",
        headers: bearer,
        payload: declaration({ title: `Incident de série ${n}` }),
      });
      expect(res.statusCode).toBe(201);
    }
    const { page } = await phonePage(DESKTOP);
    await signIn(page, baseUrl, user.email);
    await page.goto(`${baseUrl}/incidents`);
    const rows = page.getByRole("table").getByRole("link", { name: REFERENCE });
    await expect.poll(() => rows.count()).toBe(20);
    expect(await page.getByText("23 signalements — 20 affichés").count()).toBe(1);
    // Newest first.
    expect(await page.getByRole("table").getByText("Incident de série 23").count()).toBe(1);

    await page.getByRole("button", { name: "Afficher plus de signalements" }).click();
    await expect.poll(() => rows.count()).toBe(23);
    expect(await page.getByRole("button", { name: "Afficher plus de signalements" }).count()).toBe(0);
    expect(await page.getByRole("table").getByText("Incident de série 1", { exact: true }).count()).toBe(1);
    // The first of the new rows takes the focus, so a keyboard or screen reader user carries on from there.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(REFERENCE);
  });
});
