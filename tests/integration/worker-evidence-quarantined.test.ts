import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EICAR, type PrivateClamd, startPrivateClamd } from "../support/clamd.ts";
import { createEstablishment, createUser, declaration, login } from "../support/fixtures.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import { multipartFile } from "../support/registry-fixtures.ts";
import { waitUntil } from "../support/worker-fixtures.ts";

/**
 * A file found infected is quarantined and the pole is told: every active analyst gets one e-mail,
 * through the outbox and a real SMTP server, whose content follows the incident's TLP; the establishment
 * is not e-mailed, and the main courante records the notification.
 */
let stack: FullStack;
let clamd: PrivateClamd;
let evidenceDir: string;
let rssi: Record<string, string>;
let analysts: string[];
let rssiEmail: string;

beforeAll(async () => {
  clamd = await startPrivateClamd();
  evidenceDir = mkdtempSync(path.join(tmpdir(), "pris-evidence-"));
  stack = await startFullStack(
    { sweepEveryMs: 300 },
    { EVIDENCE_DIR: evidenceDir, CLAMD_SOCKET: clamd.socket },
  );
  const { t } = stack;
  const a = await createEstablishment(t.db, { name: "CH Alpha" });
  const user = await createUser(t.db, { role: "rssi", establishmentId: a.id });
  rssiEmail = user.email;
  rssi = (await login(t.app, user.email)).bearer;
  analysts = [
    (await createUser(t.db, { role: "analyst" })).email,
    (await createUser(t.db, { role: "analyst" })).email,
  ];
  await createUser(t.db, { role: "analyst", active: false });
});

afterAll(async () => {
  await stack?.close();
  await clamd?.stop();
  if (evidenceDir) rmSync(evidenceDir, { recursive: true, force: true });
});

async function declareAndUpload(tlp: "AMBER" | "AMBER+STRICT", content: Buffer, name: string) {
  const { t } = stack;
  const res = await t.app.inject({
    method: "POST",
    url: "/api/v1/incidents",
    headers: rssi,
    payload: declaration({ tlp }),
  });
  expect(res.statusCode, res.body).toBe(201);
  const incident = res.json() as { id: string; reference: string };
  const body = multipartFile(content, name, "file", "application/octet-stream");
  const up = await t.app.inject({
    method: "POST",
    url: `/api/v1/incidents/${incident.id}/evidence`,
    headers: { ...rssi, ...body.headers },
    payload: body.payload,
  });
  expect(up.statusCode, up.body).toBe(201);
  return { incident, file: up.json() as { id: string; sha256: string; scanStatus: string } };
}

const quarantineMails = (reference: string) =>
  stack.smtp.messages.filter(
    (m) => m.parsed.subject?.includes(reference) && /quarantaine/.test(m.parsed.subject),
  );

describe("a quarantined file is told to the pole", () => {
  it("e-mails each active analyst once, with its hash and verdict, and records it in the main courante", async () => {
    const { incident, file } = await declareAndUpload("AMBER", EICAR, "facture.pdf.exe");
    // Stored at once; the worker scans it (outbox evidence.received), then tells the pole.
    expect(file.scanStatus).toBe("pending");
    await waitUntil(
      "the quarantine e-mails",
      () => quarantineMails(incident.reference).length >= analysts.length,
    );
    const mails = quarantineMails(incident.reference);
    expect(mails.map((m) => m.envelopeTo[0]).sort()).toEqual([...analysts].sort());
    expect(mails.some((m) => m.envelopeTo.includes(rssiEmail))).toBe(false);
    const text = mails[0]!.parsed.text ?? "";
    expect(text).toContain(file.sha256);
    expect(text).toContain("facture.pdf.exe");
    expect(text).toMatch(/Eicar/);
    expect(mails[0]!.parsed.subject).toMatch(/^\[TLP:AMBER\] Pièce jointe infectée mise en quarantaine/);
    const analystHeaders = (await login(stack.t.app, analysts[0]!)).bearer;
    const log = await stack.t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${incident.id}/log`,
      headers: analystHeaders,
    });
    const notification = log
      .json()
      .items.find(
        (e: { kind: string; body: { template?: string } }) =>
          e.kind === "notification" && e.body.template === "evidence-quarantined",
      );
    expect(notification.body).toMatchObject({
      template: "evidence-quarantined",
      recipients: 2,
      fileId: file.id,
    });
  });

  it("under TLP:AMBER+STRICT the file's name stays out of the e-mail", async () => {
    const { incident, file } = await declareAndUpload("AMBER+STRICT", EICAR, "nom-secret.exe");
    await waitUntil(
      "the quarantine e-mails",
      () => quarantineMails(incident.reference).length >= analysts.length,
    );
    const text = quarantineMails(incident.reference)[0]!.parsed.text ?? "";
    expect(text).not.toContain("nom-secret");
    expect(text).toContain(file.sha256);
  });
});
