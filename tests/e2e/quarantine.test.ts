import { randomBytes } from "node:crypto";
import { establishments, incidents, mailIntake, type QuarantineReason } from "@pris/db";
import { eq } from "drizzle-orm";
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
  createUser,
  login,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";
import {
  crushedText,
  horizontalOverflow,
  rawKeysOnPage,
  seriousViolations,
} from "../support/page-quality.ts";

/**
 * The pole's review of its mailbox's quarantine, on a 360 px phone: each message set aside shows when it
 * came (the region's time, French format), from whom, why in French and the start of its text; an
 * analyst declares one for an establishment and is led to the declaration, discards another once
 * confirmed, and is told in French when a colleague was faster. An RSSI has no entry in the menu and is
 * refused in French at the address.
 */

const NARROW: BrowserContextOptions = {
  ...DESKTOP,
  viewport: { width: 360, height: 780 },
  isMobile: true,
  hasTouch: true,
};

let t: TestApp;
let baseUrl: string;
let browser: Browser;
const contexts: BrowserContext[] = [];
let analystEmail: string;
let rssiEmail: string;
let hospital: typeof establishments.$inferSelect;

const RANSOM = {
  subject: "Urgent : rançongiciel aux urgences, plus aucun poste ne démarre",
  fromName: "Jean Grondin",
  from: "jean.grondin.urgences@gmail.com",
  text: [
    "Bonjour,",
    "",
    "Je suis cadre de santé aux urgences du CH de Saint-Pierre. Depuis 6 h ce matin tous les postes affichent",
    "une note de rançon et le DPI est inaccessible. Notre messagerie est coupée, j'écris depuis ma boîte",
    "personnelle. Le RSSI est injoignable. Les patients sont orientés vers le CHU Nord depuis 6 h 30 ; nous",
    "travaillons en procédures dégradées sur papier. Pouvez-vous nous rappeler au 0692 12 34 56 ?",
    "",
    "Jean Grondin",
  ].join("\n"),
  // 07:10 in Réunion (UTC+4), written half an hour before while the hospital's network went down.
  receivedAt: new Date("2026-12-07T03:10:00Z"),
  sentAt: new Date("2026-12-07T02:40:00Z"),
};
const PHISHING = {
  subject: "Virement à effectuer aujourd'hui",
  fromName: "Direction générale",
  from: "direction@ch-sud-reunion.re",
  text: "Merci d'effectuer le virement ci-joint avant midi, en toute discrétion.",
  receivedAt: new Date("2026-12-07T02:00:00Z"),
};
const LARGE = {
  subject: "Journaux du pare-feu (export complet de la nuit du 6 au 7 décembre pour analyse)",
  fromName: null,
  from: "exploitation.infrastructures.reseaux-et-securite@prestataire-infogerance-ocean-indien.example.re",
  text: "",
  receivedAt: new Date("2026-12-06T20:45:00Z"),
};

async function quarantine(
  m: {
    subject: string;
    fromName: string | null;
    from: string;
    text: string;
    receivedAt: Date;
    sentAt?: Date;
  },
  reason: QuarantineReason,
  attachments: { name: string; size: number; sha256: string; contentType: string }[] = [],
) {
  const [row] = await t.db
    .insert(mailIntake)
    .values({
      messageId: `<${randomBytes(8).toString("hex")}@mail.test>`,
      mailbox: "INBOX",
      uidValidity: 1,
      uid: Math.floor(Math.random() * 1e9),
      fromAddress: m.from,
      fromName: m.fromName,
      subject: m.subject,
      sentAt: m.sentAt ?? new Date(m.receivedAt.getTime() - 20_000),
      size: 4_000 + m.text.length,
      outcome: "quarantined",
      quarantineReason: reason,
      bodyText: m.text,
      attachments,
      receivedAt: m.receivedAt,
    })
    .returning();
  return row!;
}

async function open(options = NARROW) {
  const context = await browser.newContext(options);
  contexts.push(context);
  return context.newPage();
}

async function signIn(page: Page, email: string, landing: RegExp) {
  await page.goto(`${baseUrl}/`);
  await page.waitForURL(/\/connexion/);
  await page.getByLabel("Adresse électronique").fill(email);
  await page.getByLabel("Mot de passe").fill(PASSWORD);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL(landing);
}

const card = (page: Page, subject: string) =>
  page.getByTestId("quarantine-card").filter({ hasText: subject });

beforeAll(async () => {
  assertWebBuilt();
  t = await startTestApp({ WEB_DIST_DIR });
  baseUrl = await listen(t.app);
  browser = await launchChromium();
  hospital = await createEstablishment(t.db, {
    name: "Groupe hospitalier Sud Réunion — Centre hospitalier de Saint-Pierre",
  });
  const closed = await createEstablishment(t.db, { name: "Clinique de Saint-Pierre (fermée)" });
  await t.db.update(establishments).set({ active: false }).where(eq(establishments.id, closed.id));
  analystEmail = (await createUser(t.db, { role: "analyst", name: "Aline Hoarau" })).email;
  rssiEmail = (await createUser(t.db, { role: "rssi", establishmentId: hospital.id })).email;
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await t?.close();
});

describe("the quarantine page", () => {
  it("shows an analyst each message set aside, in French, within a 360 px screen", async () => {
    await quarantine(RANSOM, "unknown_sender");
    await quarantine(PHISHING, "authentication_failed");
    await quarantine(LARGE, "too_large", [
      {
        name: "pare-feu-2026-12-06.log.gz",
        size: 19_400_000,
        sha256: "0".repeat(64),
        contentType: "application/gzip",
      },
    ]);
    const page = await open();
    await signIn(page, analystEmail, /\/file$/);
    // From the menu, on a phone.
    await page.getByRole("button", { name: "Menu" }).click();
    await page.getByRole("link", { name: "Courriels en quarantaine" }).click();
    await page.getByRole("heading", { name: "Courriels en quarantaine", level: 1 }).waitFor();
    await expect.poll(() => page.getByTestId("quarantine-card").count()).toBe(3);
    expect(await page.getByTestId("quarantine-count").textContent()).toBe("3 messages en attente d'examen.");
    expect(await page.title()).toMatch(/^Courriels en quarantaine — PRIS/);

    // Newest first; the time is the region's (Réunion, UTC+4) whatever the phone's zone (Paris).
    const subjects = await page.getByTestId("quarantine-card").locator("h2").allTextContents();
    expect(subjects).toEqual([RANSOM.subject, PHISHING.subject, LARGE.subject]);
    const ransom = card(page, RANSOM.subject);
    const text = (await ransom.textContent()) ?? "";
    expect(text).toContain("Reçu le07/12/2026 07:10 (écrit le 07/12/2026 06:40)");
    expect(await card(page, PHISHING.subject).textContent()).not.toContain("écrit le");
    expect(text).toContain(`Jean Grondin <${RANSOM.from}>`);
    expect(await ransom.getByTestId("quarantine-reason").textContent()).toBe(
      "Expéditeur inconnu de l'annuaire",
    );
    const excerpt = (await ransom.getByTestId("quarantine-excerpt").textContent()) ?? "";
    expect(excerpt.startsWith("Bonjour, Je suis cadre de santé aux urgences")).toBe(true);
    expect(excerpt.endsWith("…")).toBe(true);
    expect(excerpt.length).toBeLessThanOrEqual(281);
    // The whole text is one click away.
    await ransom.getByText("Lire le message en entier").click();
    await ransom.getByText("Pouvez-vous nous rappeler au 0692 12 34 56 ?", { exact: false }).waitFor();

    expect(await card(page, PHISHING.subject).getByTestId("quarantine-reason").textContent()).toBe(
      "Authentification du domaine en échec (SPF, DKIM ou DMARC)",
    );
    const large = card(page, LARGE.subject);
    expect(await large.getByTestId("quarantine-reason").textContent()).toBe("Message trop volumineux");
    expect(await large.textContent()).toContain("pare-feu-2026-12-06.log.gz (18,5 Mo)");
    expect(await large.textContent()).toContain("Aucun texte lisible dans ce message.");

    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(await rawKeysOnPage(page)).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-quarantine-360.png`, fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    // The smallest phone WCAG 1.4.10 names: still nothing wider, no text squeezed letter by letter.
    await page.setViewportSize({ width: 320, height: 740 });
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(await crushedText(page)).toEqual([]);
  });

  it("declares a message for the establishment picked, and links to the declaration", async () => {
    const page = await open();
    await signIn(page, analystEmail, /\/file$/);
    await page.goto(`${baseUrl}/quarantaine`);
    const ransom = card(page, RANSOM.subject);
    await ransom.getByRole("button", { name: "Rattacher à un établissement" }).click();

    // Without a choice, the page says what is missing.
    await ransom.getByRole("button", { name: "Créer la déclaration" }).click();
    await ransom.getByText("Choisissez l'établissement pour lequel déclarer ce message.").waitFor();

    // Only the establishments still open are offered.
    await ransom.getByLabel("Établissement concerné").fill("Saint-Pierre");
    const choices = ransom.getByRole("list", { name: "Établissements correspondants" });
    await choices.getByRole("button", { name: /Centre hospitalier de Saint-Pierre/ }).waitFor();
    expect(await choices.getByRole("button").count()).toBe(1);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await choices.getByRole("button", { name: /Centre hospitalier de Saint-Pierre/ }).click();
    expect(await ransom.getByTestId(/-picked$/).textContent()).toBe(hospital.name);
    expect(await seriousViolations(page)).toEqual([]);
    await ransom.getByRole("button", { name: "Créer la déclaration" }).click();

    const link = page.getByTestId("quarantine-declared");
    await expect.poll(() => link.textContent()).toMatch(/^Déclaration [A-Z]+-\d{4}-\d{4,} créée$/);
    const reference = ((await link.textContent()) ?? "").split(" ")[1]!;
    await page.getByText(`pour ${hospital.name}, à partir du message de Jean Grondin`).waitFor();
    await expect.poll(() => page.getByTestId("quarantine-card").count()).toBe(2);
    expect(await page.getByTestId("quarantine-count").textContent()).toBe("2 messages en attente d'examen.");
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/pris-e2e-quarantine-attached-360.png`, fullPage: true });

    // The declaration: the establishment's, by e-mail, its title the subject.
    const [incident] = await t.db.select().from(incidents).where(eq(incidents.reference, reference));
    expect(incident).toMatchObject({ establishmentId: hospital.id, channel: "email", title: RANSOM.subject });
    const [row] = await t.db.select().from(mailIntake).where(eq(mailIntake.subject, RANSOM.subject));
    expect(row).toMatchObject({ review: "attached", incidentId: incident!.id, establishmentId: hospital.id });
    await link.click();
    await page.waitForURL(new RegExp(`/incidents/${incident!.id}$`));
    // The reference is also in the breadcrumb, collapsed (hidden) at 360 px once DSFR's script runs: wait
    // for where it shows.
    await page.getByText(reference).filter({ visible: true }).first().waitFor();
  });

  it("discards a message once confirmed, and says in French when a colleague was faster", async () => {
    const page = await open();
    await signIn(page, analystEmail, /\/file$/);
    await page.goto(`${baseUrl}/quarantaine`);
    const phishing = card(page, PHISHING.subject);

    // Asked first; keeping it changes nothing.
    await phishing.getByRole("button", { name: "Écarter" }).click();
    await phishing.getByText("Écarter ce message ?", { exact: false }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await phishing.getByRole("button", { name: "Garder le message" }).click();
    expect(await phishing.getByRole("button", { name: "Confirmer l'écart" }).count()).toBe(0);
    await phishing.getByRole("button", { name: "Écarter" }).click();
    await phishing.getByRole("button", { name: "Confirmer l'écart" }).click();
    await page.getByText(`Message de Direction générale <${PHISHING.from}> écarté.`).waitFor();
    await expect.poll(() => page.getByTestId("quarantine-card").count()).toBe(1);
    const [discarded] = await t.db.select().from(mailIntake).where(eq(mailIntake.subject, PHISHING.subject));
    expect(discarded).toMatchObject({ review: "discarded", incidentId: null });

    // Another analyst discarded the last one meanwhile: a French sentence, nothing declared.
    const large = card(page, LARGE.subject);
    await large.getByRole("button", { name: "Écarter" }).click();
    await t.db.update(mailIntake).set({ review: "discarded" }).where(eq(mailIntake.subject, LARGE.subject));
    await large.getByRole("button", { name: "Confirmer l'écart" }).click();
    await large
      .getByText(
        "Ce message a déjà été examiné par un autre analyste (rattaché ou écarté). Rechargez la liste.",
      )
      .waitFor();
    expect(await rawKeysOnPage(page)).toEqual([]);
    await page.getByRole("button", { name: "Actualiser" }).click();
    await expect
      .poll(() => page.getByTestId("quarantine-count").textContent())
      .toBe("Aucun message en attente d'examen.");
    expect(await page.getByTestId("quarantine-card").count()).toBe(0);
  });

  it("is neither offered nor opened to an RSSI", async () => {
    await quarantine({ ...PHISHING, subject: "Un message qu'un RSSI ne doit pas lire" }, "unknown_sender");
    const page = await open(DESKTOP);
    await signIn(page, rssiEmail, /\/declarer$/);
    await page.getByRole("navigation").getByRole("link", { name: "Mes signalements" }).waitFor();
    expect(await page.getByRole("link", { name: "Courriels en quarantaine" }).count()).toBe(0);

    await page.goto(`${baseUrl}/quarantaine`);
    await page.getByRole("heading", { name: "Courriels en quarantaine", level: 1 }).waitFor();
    await page
      .getByText("L'examen des courriels en quarantaine est réservé aux analystes du pôle cyber.")
      .waitFor();
    expect(await page.getByText("Accès refusé").count()).toBe(1);
    expect(await page.getByText("Un message qu'un RSSI ne doit pas lire").count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);

    // And the API refuses it too, whatever the page does.
    const { cookie } = await login(t.app, rssiEmail);
    const res = await t.app.inject({ method: "GET", url: "/api/v1/intake/quarantine", headers: cookie });
    expect(res.statusCode).toBe(403);
  });
});
