import { auditLog, sessions } from "@pris/db";
import { and, eq, isNull } from "drizzle-orm";
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
  createUser,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/** A browser the session list must name as "Firefox, Windows", whatever Chromium runs the test. */
const FIREFOX_ON_WINDOWS: BrowserContextOptions = {
  ...DESKTOP,
  userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
};

/**
 * Sessions that end, in the browser: a person signed in on several browsers reads them on "Mes sessions"
 * (reached from the account menu on a phone), ends one, then all the others, then their own; the
 * administrator ends all of someone's. Each browser whose session ended is sent to the login by its next
 * page and refused by the API. Real Chromium, API, PostgreSQL and Redis.
 */
describe("sessions, in the browser", () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

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

  /** A new browser (its own cookies) signed in as `email`. */
  async function signedIn(email: string, options = DESKTOP): Promise<Page> {
    const context = await browser.newContext(options);
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${baseUrl}/connexion`);
    await page.getByLabel("Adresse électronique").fill(email);
    await page.getByLabel("Mot de passe", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
    return page;
  }

  /** Its next page is the login, and the API refuses its cookie. */
  async function signedOut(page: Page): Promise<void> {
    await page.goto(`${baseUrl}/incidents`);
    await page.waitForURL((url) => url.pathname === "/connexion");
    await page.getByRole("button", { name: "Se connecter" }).waitFor();
    expect((await page.request.get(`${baseUrl}/api/v1/auth/session`)).status()).toBe(401);
  }

  async function stillSignedIn(page: Page): Promise<void> {
    expect((await page.request.get(`${baseUrl}/api/v1/auth/session`)).status()).toBe(200);
  }

  const focusedText = (page: Page) => page.evaluate(() => document.activeElement?.textContent ?? "");

  const openSessions = (userId: string) =>
    t.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, userId), isNull(sessions.endedAt)));

  it("lists one's sessions, ends another, then all the others, then this one", async () => {
    const establishment = await createEstablishment(t.db, { name: "Clinique des Flamboyants" });
    const person = await createUser(t.db, { role: "rssi", establishmentId: establishment.id });
    const phone = await signedIn(person.email, PHONE);
    const desk = await signedIn(person.email, FIREFOX_ON_WINDOWS);

    // From the account menu, on a phone.
    await phone.getByRole("button", { name: "Menu" }).click();
    await phone.getByRole("link", { name: "Mes sessions" }).click();
    await phone.getByRole("heading", { name: "Mes sessions" }).waitFor();
    const cards = phone.getByTestId("session-card");
    await expect.poll(() => cards.count()).toBe(2);
    const mine = cards.filter({ hasText: "Cette session" });
    const other = cards.filter({ hasNotText: "Cette session" });
    expect(await mine.count()).toBe(1);
    const otherText = (await other.textContent()) ?? "";
    expect(otherText).toContain("Firefox, Windows");
    expect(otherText).toMatch(/Dernière activité : (à l'instant|il y a \d+\smin)/);
    expect(otherText).toContain("Adresse IP : 127.0.0.1");
    expect(otherText).toMatch(/Ouverte le \d{2}\/\d{2}\/\d{4}\s\d{2}:\d{2}/);
    expect(otherText).toContain("Connexion : Mot de passe");
    await phone.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-my-sessions.png`, fullPage: true });

    // End the other one: asked first, the focus on the answer; then the message takes it.
    await other.getByRole("button", { name: "Mettre fin à la session Firefox, Windows" }).click();
    await expect.poll(() => focusedText(phone)).toBe("Confirmer la fin de la session");
    await phone.getByRole("button", { name: "Annuler" }).click();
    await expect.poll(() => focusedText(phone)).toContain("Mettre fin");
    await other.getByRole("button", { name: /^Mettre fin à la session/ }).click();
    await phone.getByRole("button", { name: "Confirmer la fin de la session" }).click();
    await phone.getByText("est terminée : cet appareil devra se reconnecter").waitFor();
    await expect.poll(() => focusedText(phone)).toContain("est terminée");
    await expect.poll(() => cards.count()).toBe(1);
    await phone.getByText("Vous n'êtes connecté nulle part ailleurs.").waitFor();
    await signedOut(desk);
    await stillSignedIn(phone);
    expect(await openSessions(person.id)).toHaveLength(1);

    // All the others at once.
    const laptop = await signedIn(person.email);
    const tablet = await signedIn(person.email, PHONE);
    await phone.reload();
    await expect.poll(() => cards.count()).toBe(3);
    await phone.getByRole("button", { name: "Déconnecter toutes les autres sessions" }).click();
    await phone.getByText("Mettre fin à vos 2 autres sessions ?").waitFor();
    await expect.poll(() => focusedText(phone)).toBe("Confirmer la déconnexion");
    await phone.getByRole("button", { name: "Confirmer la déconnexion" }).click();
    await phone.getByText("2 sessions terminées.").waitFor();
    await expect.poll(() => cards.count()).toBe(1);
    await signedOut(laptop);
    await signedOut(tablet);
    await stillSignedIn(phone);

    // This one: signing out.
    await mine.getByRole("button", { name: "Mettre fin à cette session (vous serez déconnecté)" }).click();
    await phone.getByRole("button", { name: "Me déconnecter" }).click();
    await phone.waitForURL((url) => url.pathname === "/connexion");
    await signedOut(phone);
    expect(await openSessions(person.id)).toHaveLength(0);
  });

  it("lets the administrator end all of a person's sessions, which signs that person out", async () => {
    const admin = await createUser(t.db, { role: "admin", name: "Adèle Administratrice" });
    const person = await createUser(t.db, { role: "analyst", name: "Joël Grondin" });
    const desk = await signedIn(person.email, FIREFOX_ON_WINDOWS);
    const phone = await signedIn(person.email, PHONE);
    const office = await signedIn(admin.email);

    await office.goto(`${baseUrl}/administration/utilisateurs/${person.id}`);
    await office.getByRole("heading", { name: "Joël Grondin" }).waitFor();
    const section = office.getByRole("region", { name: "Sessions" });
    const cards = section.getByTestId("session-card");
    await expect.poll(() => cards.count()).toBe(2);
    await section.getByText("2 sessions ouvertes").waitFor();
    expect(await cards.filter({ hasText: "Cette session" }).count()).toBe(0);
    expect(await cards.filter({ hasText: "Firefox, Windows" }).count()).toBe(1);

    await section.getByRole("button", { name: "Mettre fin à toutes ses sessions" }).click();
    await section.getByText("Mettre fin à toutes les sessions de Joël Grondin ?").waitFor();
    await expect.poll(() => focusedText(office)).toBe("Confirmer la fin des sessions");
    await section.getByRole("button", { name: "Confirmer la fin des sessions" }).click();
    await section.getByText("2 sessions terminées.").waitFor();
    await expect.poll(() => focusedText(office)).toContain("2 sessions terminées.");
    await section.getByText("Aucune session ouverte.").waitFor();
    await office.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-admin-user-sessions.png`, fullPage: true });

    await signedOut(desk);
    await signedOut(phone);
    await stillSignedIn(office);
    expect(await openSessions(person.id)).toHaveLength(0);
    const traced = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "session.end_all"), eq(auditLog.objectId, person.id)));
    expect(traced).toHaveLength(1);
    expect(traced[0]!.actorUserId).toBe(admin.id);
    // The account's history on the page says it too.
    await office
      .getByTestId("audit-entry")
      .filter({ hasText: "Fin de toutes les sessions d'une personne" })
      .first()
      .waitFor();
  });
});
