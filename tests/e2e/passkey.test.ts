import { createServer } from "node:net";
import { auditLog, secondFactorPolicies, webauthnCredentials } from "@pris/db";
import { and, eq } from "drizzle-orm";
import * as OTPAuth from "otpauth";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertWebBuilt, DESKTOP, launchChromium, SCREENSHOT_DIR, WEB_DIST_DIR } from "../support/browser.ts";
import {
  createEstablishment,
  createUser,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/** A port the system has just handed out: the app's PUBLIC_URL (the WebAuthn origin) must name it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * An analyst, whose role requires a second factor, enrols a passkey at first sign-in and signs in with it
 * the next time: real Chromium with its virtual authenticator (DevTools protocol WebAuthn domain), real API.
 * WebAuthn needs a secure context and a domain as relying party: http://localhost is both.
 */
describe("passkeys", () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    assertWebBuilt();
    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    t = await startTestApp({ WEB_DIST_DIR, PUBLIC_URL: baseUrl });
    await t.db
      .update(secondFactorPolicies)
      .set({ required: true, requiredFrom: null })
      .where(eq(secondFactorPolicies.role, "analyst"));
    await t.app.listen({ port, host: "127.0.0.1" });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("enrols a passkey at first sign-in, then signs in with it", async () => {
    const analyst = await createUser(t.db, { role: "analyst", name: "Line Grondin" });
    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    });

    const signIn = async () => {
      await page.goto(`${baseUrl}/connexion`);
      await page.getByLabel("Adresse électronique").fill(analyst.email);
      await page.getByLabel("Mot de passe").fill(PASSWORD);
      await page.getByRole("button", { name: "Se connecter" }).click();
    };

    await signIn();
    // The role requires a factor: enrolment, passkey first, and no "Plus tard".
    await page
      .getByRole("heading", { name: "Protéger votre compte par une double authentification" })
      .waitFor();
    expect(await page.getByRole("button", { name: "Plus tard" }).count()).toBe(0);
    await page.getByLabel("Nom de la clé").fill("Ordinateur du bureau");
    await page.getByRole("button", { name: "Créer une clé d'accès" }).click();
    await page.getByRole("heading", { name: "Vos codes de secours" }).waitFor();
    const codes = await page.getByTestId("recovery-codes").locator("li").allInnerTexts();
    expect(codes).toHaveLength(10);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/passkey-recovery-codes.png` });
    await page.getByRole("button", { name: "J'ai noté mes codes" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));

    const [credential] = await t.db
      .select()
      .from(webauthnCredentials)
      .where(eq(webauthnCredentials.userId, analyst.id));
    expect(credential).toMatchObject({ name: "Ordinateur du bureau", lastUsedAt: null });

    await page.getByRole("button", { name: "Se déconnecter" }).click();
    await page.waitForURL((url) => url.pathname.startsWith("/connexion"));

    await signIn();
    await page.getByRole("heading", { name: "Vérification en deux étapes" }).waitFor();
    await page.getByRole("button", { name: "Utiliser ma clé d'accès" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
    await page.getByRole("button", { name: "Se déconnecter" }).waitFor();

    const [used] = await t.db
      .select()
      .from(webauthnCredentials)
      .where(eq(webauthnCredentials.userId, analyst.id));
    expect(used!.lastUsedAt).not.toBeNull();

    // "Sécurité du compte" lists the passkey.
    await page.goto(`${baseUrl}/securite`);
    await page.getByRole("heading", { name: "Sécurité du compte" }).waitFor();
    await page.getByText("Ordinateur du bureau").waitFor();
    const enrolled = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.objectId, analyst.id), eq(auditLog.action, "mfa.enrol")));
    expect(enrolled).toHaveLength(1);
    expect(await t.db.select().from(auditLog).where(eq(auditLog.action, "mfa.failed"))).toHaveLength(0);
    await context.close();
  });

  it("offers an RSSI enrolment during the rollout period: later, then an authenticator application", async () => {
    await t.db
      .update(secondFactorPolicies)
      .set({ required: true, requiredFrom: new Date(Date.now() + 30 * 86_400_000) })
      .where(eq(secondFactorPolicies.role, "rssi"));
    const establishment = await createEstablishment(t.db);
    const rssi = await createUser(t.db, { role: "rssi", establishmentId: establishment.id });
    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    const signIn = async () => {
      await page.goto(`${baseUrl}/connexion`);
      await page.getByLabel("Adresse électronique").fill(rssi.email);
      await page.getByLabel("Mot de passe").fill(PASSWORD);
      await page.getByRole("button", { name: "Se connecter" }).click();
      await page
        .getByRole("heading", { name: "Protéger votre compte par une double authentification" })
        .waitFor();
    };
    await signIn();
    await page.getByRole("button", { name: "Plus tard" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
    await page.getByRole("button", { name: "Se déconnecter" }).click();
    await page.waitForURL((url) => url.pathname.startsWith("/connexion"));

    await signIn();
    await page.getByRole("button", { name: "Utiliser une application d'authentification" }).click();
    await page
      .getByRole("img", { name: "QR code à scanner avec l'application d'authentification" })
      .waitFor();
    const secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
    await page
      .getByLabel("Code à 6 chiffres")
      .fill(new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate());
    await page.getByRole("button", { name: "Valider" }).click();
    await page.getByRole("heading", { name: "Vos codes de secours" }).waitFor();
    await page.getByRole("button", { name: "J'ai noté mes codes" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
    await page.goto(`${baseUrl}/securite`);
    await page.getByText(/^Enregistrée le/).waitFor();
    await page.getByText("10 code(s) inutilisé(s)", { exact: false }).waitFor();
    await context.close();
  });
});
