import { onCallSlots } from "@pris/db";
import { weekMinuteAt } from "@pris/domain";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertWebBuilt,
  DESKTOP,
  launchChromium,
  listen,
  SCREENSHOT_DIR,
  WEB_DIST_DIR,
} from "../support/browser.ts";
import { createUser, PASSWORD, startTestApp, type TestApp } from "../support/fixtures.ts";
import { setRota } from "../support/timer-fixtures.ts";

/** An analyst plans the pole's week on the Astreinte page. Real Chromium and API. */
describe("the pole's on-call rota", () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let camille: Awaited<ReturnType<typeof createUser>>;
  let mickael: Awaited<ReturnType<typeof createUser>>;

  beforeAll(async () => {
    assertWebBuilt();
    t = await startTestApp({ WEB_DIST_DIR });
    baseUrl = await listen(t.app);
    browser = await launchChromium();
    camille = await createUser(t.db, { role: "analyst", name: "Camille Hoarau" });
    mickael = await createUser(t.db, { role: "analyst", name: "Mickaël Payet" });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signIn(email: string): Promise<Page> {
    const page = await (await browser.newContext(DESKTOP)).newPage();
    await page.goto(`${baseUrl}/connexion`);
    await page.getByLabel("Adresse électronique").fill(email);
    await page.getByLabel("Mot de passe").fill(PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
    return page;
  }

  it("adds the weekday day slot, sees who is on duty now, is refused an overlap in French, edits and deletes", async () => {
    // Whoever is on duty right now: a slot around this minute of the week, for Mickaël.
    const m = weekMinuteAt(new Date(), t.config.REGION_TIMEZONE);
    const around = { startMinute: Math.max(0, m - 5), endMinute: Math.min(10080, m + 60) };
    await setRota(t.db, [{ ...around, primaryUserId: mickael.id, backupUserId: camille.id }]);

    const page = await signIn(camille.email);
    await page.getByRole("button", { name: "Administration" }).click();
    await page.getByRole("link", { name: "Astreinte" }).click();
    await page.getByRole("heading", { name: "Astreinte du pôle" }).waitFor();
    const now = page.getByTestId("on-duty-now");
    await expect.poll(() => now.textContent()).toContain("D'astreinte : Mickaël Payet");
    expect(await now.textContent()).toContain("suppléant : Camille Hoarau");

    // Clear the rota and plan Tuesday's day, 08:00–18:00.
    await setRota(t.db, []);
    await page.reload();
    await page.getByRole("heading", { name: "Astreinte du pôle" }).waitFor();
    await expect
      .poll(() => page.getByTestId("on-duty-now").textContent())
      .toContain("Personne n'est d'astreinte");
    const form = page.getByRole("form", { name: "Ajouter un créneau" });
    await form.getByLabel("Jour de début").selectOption({ label: "Mardi" });
    await form.getByLabel("Heure de début").fill("08:00");
    await form.getByLabel("Jour de fin").selectOption({ label: "Mardi" });
    await form.getByLabel("Heure de fin").fill("18:00");
    await form.getByLabel("Analyste d'astreinte").selectOption({ label: "Camille Hoarau" });
    await form
      .getByLabel("Suppléant (alerté si un délai est dépassé)")
      .selectOption({ label: "Mickaël Payet" });
    await form.getByLabel("Remarque (facultatif)").fill("Journée");
    await form.getByRole("button", { name: "Ajouter le créneau" }).click();
    await page.getByText("Créneau du mardi 08:00 – mardi 18:00 ajouté.").waitFor();
    const tuesday = page.getByRole("table", { name: "Astreinte du mardi" });
    await expect.poll(() => tuesday.getByRole("row").filter({ hasText: "08:00 – 18:00" }).count()).toBe(1);
    expect(await tuesday.textContent()).toContain("Camille Hoarau");

    // A night from Tuesday 17:00 overlaps the day: refused, in French, naming the day slot.
    await form.getByLabel("Jour de début").selectOption({ label: "Mardi" });
    await form.getByLabel("Heure de début").fill("17:00");
    await form.getByLabel("Jour de fin").selectOption({ label: "Mercredi" });
    await form.getByLabel("Heure de fin").fill("08:00");
    await form.getByLabel("Analyste d'astreinte").selectOption({ label: "Mickaël Payet" });
    await form.getByLabel("Suppléant (alerté si un délai est dépassé)").selectOption({ label: "Aucun" });
    await form.getByRole("button", { name: "Ajouter le créneau" }).click();
    await page
      .getByText("Ce créneau chevauche celui du mardi 08:00 – mardi 18:00 (Camille Hoarau).", {
        exact: false,
      })
      .waitFor();
    expect(await t.db.select().from(onCallSlots)).toHaveLength(1);

    // From 18:00 it fits, and reads on both days.
    await form.getByLabel("Heure de début").fill("18:00");
    await form.getByRole("button", { name: "Ajouter le créneau" }).click();
    await page.getByText("Créneau du mardi 18:00 – mercredi 08:00 ajouté.").waitFor();
    const wednesday = page.getByRole("table", { name: "Astreinte du mercredi" });
    await expect.poll(() => wednesday.textContent()).toContain("00:00 – 08:00");
    expect(await wednesday.textContent()).toContain("suite de la veille");

    // Edit the day slot: it ends at 17:30 now.
    await tuesday
      .getByRole("row")
      .filter({ hasText: "08:00 – 18:00" })
      .getByRole("button", { name: "Modifier" })
      .click();
    const edit = page.getByRole("form", { name: "Modifier le créneau" });
    await edit.getByLabel("Heure de fin").fill("17:30");
    await edit.getByRole("button", { name: "Enregistrer le créneau" }).click();
    await page.getByText("Créneau du mardi 08:00 – mardi 17:30 enregistré.").waitFor();

    // Delete it, after confirming.
    const row = tuesday.getByRole("row").filter({ hasText: "08:00 – 17:30" });
    await row.getByRole("button", { name: "Supprimer" }).click();
    await row.getByRole("button", { name: "Confirmer la suppression" }).click();
    await page.getByText("Créneau du mardi 08:00 – mardi 17:30 supprimé.").waitFor();
    await expect.poll(async () => (await t.db.select().from(onCallSlots)).length).toBe(1);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/roster.png`, fullPage: true });
  });
});
