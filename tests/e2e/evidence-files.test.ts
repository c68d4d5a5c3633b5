import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalEvidenceStorage } from "@pris/db";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertWebBuilt, DESKTOP, launchChromium, listen, WEB_DIST_DIR } from "../support/browser.ts";
import { EICAR, type PrivateClamd, scanPendingFiles, startPrivateClamd } from "../support/clamd.ts";
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
 * The establishment's RSSI hands over a screenshot and a suspicious attachment from the incident page:
 * each is received at once and waits for the antivirus; once scanned (the worker's function, against a
 * real clamd) the page shows the screenshot clean and downloadable, the EICAR file quarantined with no
 * download, in French. Real Chromium, API and clamd.
 */
describe("evidence files from the incident page", () => {
  let t: TestApp;
  let clamd: PrivateClamd;
  let evidenceDir: string;
  let baseUrl: string;
  let browser: Browser;
  const scanAll = () =>
    scanPendingFiles(t.db, { storage: new LocalEvidenceStorage(evidenceDir), clamd: { path: clamd.socket } });

  beforeAll(async () => {
    assertWebBuilt();
    clamd = await startPrivateClamd();
    evidenceDir = mkdtempSync(path.join(tmpdir(), "pris-evidence-"));
    t = await startTestApp({ WEB_DIST_DIR, EVIDENCE_DIR: evidenceDir, CLAMD_SOCKET: clamd.socket });
    baseUrl = await listen(t.app);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await clamd?.stop();
    if (evidenceDir) rmSync(evidenceDir, { recursive: true, force: true });
  });

  it("uploads a screenshot (clean, downloadable) and the EICAR file (quarantined)", async () => {
    const establishment = await createEstablishment(t.db, { name: "CH Alpha" });
    const rssi = await createUser(t.db, { role: "rssi", establishmentId: establishment.id });
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: (await login(t.app, rssi.email)).bearer,
      payload: declaration(),
    });
    const { id } = res.json() as { id: string };

    const page = await (await browser.newContext(DESKTOP)).newPage();
    await page.goto(`${baseUrl}/connexion`);
    await page.getByLabel("Adresse électronique").fill(rssi.email);
    await page.getByLabel("Mot de passe").fill(PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/connexion"));
    // Right after declaring, the confirmation offers to hand files over.
    await page.goto(`${baseUrl}/incidents/${id}/confirmation`);
    await page.getByRole("heading", { name: "Pièces jointes" }).waitFor();
    await page.getByText("Ajouter une pièce jointe").first().waitFor();
    await page.goto(`${baseUrl}/incidents/${id}`);
    await page.getByRole("heading", { name: "Pièces jointes" }).waitFor();
    await page.getByText("Aucune pièce jointe.").waitFor();

    const PNG = Buffer.from(
      "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082",
      "hex",
    );
    const input = page.locator('input[type="file"]');
    await input.setInputFiles({ name: "rançon.png", mimeType: "image/png", buffer: PNG });
    await page.getByRole("button", { name: "Envoyer le fichier" }).click();
    await page.getByText(/« rançon\.png » a été reçu et son empreinte inscrite/).waitFor();
    await page.getByText("Analyse antivirus en cours").first().waitFor();
    // The worker scans it (here the same function, run by the test); the page looks again by itself.
    expect(await scanAll()).toBe(1);
    await page.getByText("Sain", { exact: true }).first().waitFor();
    const link = page.getByRole("link", { name: "rançon.png" });
    await link.waitFor();
    const download = page.waitForEvent("download");
    await link.click();
    expect((await download).suggestedFilename()).toBe("rançon.png");

    await input.setInputFiles({ name: "facture.pdf", mimeType: "application/pdf", buffer: EICAR });
    await page.getByRole("button", { name: "Envoyer le fichier" }).click();
    await page.getByText(/« facture\.pdf » a été reçu et son empreinte inscrite/).waitFor();
    expect(await scanAll()).toBe(1);
    await page.getByText("Infecté : mis en quarantaine").first().waitFor();
    expect(await page.getByRole("link", { name: "facture.pdf" }).count()).toBe(0);
  });
});
