import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { establishments, evidenceFiles, incidentLog, mailIntake } from "@pris/db";
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EICAR, type PrivateClamd, startPrivateClamd } from "../support/clamd.ts";
import { type PrivateDovecot, startDovecot } from "../support/dovecot.ts";
import { createEstablishment, createUser, login } from "../support/fixtures.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import { waitUntil } from "../support/worker-fixtures.ts";
import { deepZip, nestedZipBomb } from "../support/zip-bomb.ts";

const until = (check: () => Promise<boolean> | boolean, timeoutMs = 15_000) =>
  waitUntil("the intake to get there", check, timeoutMs);

/**
 * A message's attachments become evidence files of the incident it declares or answers, through the
 * same store, scanner and hash chain as an upload: a real IMAP server (Dovecot), a real clamd with the
 * tests' signature database, a real SMTP server for the pole's notice.
 */
let dovecot: PrivateDovecot;
let clamd: PrivateClamd;
let evidenceDir: string;
let stack: FullStack;
const alphaMailbox = `secu-${randomBytes(3).toString("hex")}@ch-alpha.re`;
let rssiA: Record<string, string>;
let rssiB: Record<string, string>;
let analystEmail: string;
let bravoId: string;

const EVIDENCE_MAX_BYTES = 64 * 1024;

/** A 1×1 PNG: what a screenshot of a ransom note starts like. */
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082",
  "hex",
);
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** A multipart/mixed message: a text part, then each file in base64 under the name and type given. */
function mailWithFiles(
  headers: Record<string, string>,
  text: string,
  files: { name: string; type: string; content: Buffer }[],
): { raw: string; messageId: string } {
  const messageId = `<${randomBytes(8).toString("hex")}@mail.test>`;
  const boundary = `b-${randomBytes(6).toString("hex")}`;
  const head = Object.entries({
    "Message-ID": messageId,
    Date: new Date().toUTCString(),
    To: "cyber@pole.re",
    "MIME-Version": "1.0",
    "Content-Type": `multipart/mixed; boundary="${boundary}"`,
    ...headers,
  })
    .map(([k, v]) => `${k}: ${v}`)
    .join("\r\n");
  const parts = [
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text}\r\n`,
    ...files.map(
      (f) =>
        `--${boundary}\r\nContent-Type: ${f.type}; name="${f.name}"\r\nContent-Disposition: attachment; filename="${f.name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${
          f.content
            .toString("base64")
            .match(/.{1,76}/g)
            ?.join("\r\n") ?? ""
        }\r\n`,
    ),
  ];
  return { raw: `${head}\r\n\r\n${parts.join("")}--${boundary}--\r\n`, messageId };
}

async function intakeRow(messageId: string, timeoutMs?: number) {
  let row: typeof mailIntake.$inferSelect | undefined;
  await until(async () => {
    [row] = await stack.t.db.select().from(mailIntake).where(eq(mailIntake.messageId, messageId));
    return row !== undefined;
  }, timeoutMs);
  return row!;
}

const files = (incidentId: string) =>
  stack.t.db
    .select()
    .from(evidenceFiles)
    .where(eq(evidenceFiles.incidentId, incidentId))
    .orderBy(asc(evidenceFiles.createdAt), asc(evidenceFiles.id));

/** The incident's files once the worker has scanned them all (outbox evidence.received). */
async function scannedFiles(incidentId: string, count: number, timeoutMs = 15_000) {
  await until(async () => {
    const all = await files(incidentId);
    return all.length >= count && all.every((f) => f.scanStatus !== "pending");
  }, timeoutMs);
  return files(incidentId);
}

const api = (url: string, headers: Record<string, string>) =>
  stack.t.app.inject({ method: "GET", url, headers });

beforeAll(async () => {
  dovecot = await startDovecot();
  clamd = await startPrivateClamd();
  evidenceDir = mkdtempSync(path.join(tmpdir(), "pris-intake-evidence-"));
  stack = await startFullStack(
    { intakePollMs: 300 },
    {
      INTAKE_IMAP_URL: dovecot.url,
      EVIDENCE_DIR: evidenceDir,
      EVIDENCE_MAX_BYTES: String(EVIDENCE_MAX_BYTES),
      CLAMD_SOCKET: clamd.socket,
      // clamd goes through 10,000 files of a bomb before MaxFiles stops it: a second when idle, more
      // when two test files share the machine's two cores.
      CLAMD_TIMEOUT_MS: "20000",
    },
  );
  const db = stack.t.db;
  const alpha = await createEstablishment(db, { name: "CH Alpha" });
  await db
    .update(establishments)
    .set({ contacts: { ...alpha.contacts, functionalMailbox: alphaMailbox } })
    .where(eq(establishments.id, alpha.id));
  const bravo = await createEstablishment(db, { name: "Clinique Bravo" });
  bravoId = bravo.id;
  rssiA = (
    await login(stack.t.app, (await createUser(db, { role: "rssi", establishmentId: alpha.id })).email)
  ).bearer;
  rssiB = (
    await login(stack.t.app, (await createUser(db, { role: "rssi", establishmentId: bravo.id })).email)
  ).bearer;
  analystEmail = (await createUser(db, { role: "analyst" })).email;
}, 60_000);

afterAll(async () => {
  await stack?.worker.close();
  await stack?.close();
  await dovecot?.stop();
  await clamd?.stop();
  if (evidenceDir) rmSync(evidenceDir, { recursive: true, force: true });
});

let incidentId: string;

describe("a declaration by e-mail with attachments", () => {
  it("makes each attachment an evidence file: scanned, typed from its bytes, its name cleaned, chained", async () => {
    const big = randomBytes(EVIDENCE_MAX_BYTES + 1);
    const m = mailWithFiles(
      { From: `Sécurité CH Alpha <${alphaMailbox}>`, Subject: "Note de rançon sur les postes" },
      "Capture de la note et la pièce jointe reçue ce matin.",
      [
        { name: "../../etc/passwd.pdf", type: "application/pdf", content: PNG },
        { name: "facture.doc", type: "application/msword", content: EICAR },
        { name: "journal.bin", type: "application/octet-stream", content: big },
      ],
    );
    await dovecot.append(m.raw);
    const row = await intakeRow(m.messageId);
    expect(row.outcome).toBe("declared");
    incidentId = row.incidentId!;

    const stored = await scannedFiles(incidentId, 2);
    expect(stored).toHaveLength(2);
    const png = stored.find((f) => f.sha256 === sha256(PNG))!;
    const eicar = stored.find((f) => f.sha256 === sha256(EICAR))!;
    expect(png).toMatchObject({
      originalName: "passwd.pdf",
      detectedMime: "image/png",
      detectedExt: "png",
      declaredMime: "application/pdf",
      scanStatus: "clean",
      uploadedByUserId: null,
      uploadedByApiKeyId: null,
      uploadedByMailIntakeId: row.id,
    });
    expect(eicar).toMatchObject({ scanStatus: "infected" });
    expect(eicar.scanDetail).toMatch(/^Eicar-Test-Signature/);

    // The message keeps every attachment's trace: stored ones by id, the one over the limit refused.
    expect(row.attachments).toHaveLength(3);
    expect(row.attachments.find((a) => a.sha256 === sha256(PNG))?.evidenceFileId).toBe(png.id);
    expect(row.attachments.find((a) => a.sha256 === sha256(big))).toMatchObject({ refused: "too_large" });
    expect(row.attachments.find((a) => a.sha256 === sha256(big))?.evidenceFileId).toBeUndefined();

    const entries = await stack.t.db
      .select()
      .from(incidentLog)
      .where(eq(incidentLog.incidentId, incidentId))
      .orderBy(asc(incidentLog.seq));
    expect(entries[0]!.kind).toBe("declared");
    expect(
      (entries[0]!.body.attachments as { sha256: string; refused?: string }[]).find(
        (a) => a.sha256 === sha256(big),
      )?.refused,
    ).toBe("too_large");
    const added = entries.filter((e) => e.kind === "evidence_added");
    expect(added.map((e) => (e.body.file as { sha256: string }).sha256).sort()).toEqual(
      [sha256(PNG), sha256(EICAR)].sort(),
    );
    expect(added[0]!.body).toMatchObject({ channel: "email", from: alphaMailbox, messageId: m.messageId });
    // One chain: each entry follows the previous one.
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));

    // The establishment's RSSI sees both, downloads the clean one, never the infected one.
    const listed = await api(`/api/v1/incidents/${incidentId}/evidence`, rssiA);
    expect(listed.statusCode, listed.body).toBe(200);
    const items = listed.json().items as {
      id: string;
      name: string;
      downloadable: boolean;
      uploadedBy: unknown;
    }[];
    expect(items).toHaveLength(2);
    expect(items.find((i) => i.id === png.id)).toMatchObject({
      name: "passwd.pdf",
      downloadable: true,
      uploadedBy: { kind: "email", id: row.id, name: "Sécurité CH Alpha" },
    });
    expect(items.find((i) => i.id === eicar.id)).toMatchObject({ downloadable: false });
    const got = await api(`/api/v1/incidents/${incidentId}/evidence/${png.id}/content`, rssiA);
    expect(got.statusCode).toBe(200);
    expect(got.headers["content-type"]).toBe("image/png");
    expect(String(got.headers["content-disposition"])).toMatch(/^attachment; filename="passwd\.pdf"/);
    expect(got.rawPayload.equals(PNG)).toBe(true);
    const refused = await api(`/api/v1/incidents/${incidentId}/evidence/${eicar.id}/content`, rssiA);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe("evidence_infected");

    // The pole is told of the infected one.
    await until(
      () =>
        stack.smtp.messages.some(
          (s) =>
            s.envelopeTo.includes(analystEmail) &&
            /infectée mise en quarantaine/.test(s.parsed.subject ?? ""),
        ),
      15_000,
    );
  });

  it("keeps them from another establishment's RSSI: 404, as if they did not exist", async () => {
    const [png] = (await files(incidentId)).filter((f) => f.scanStatus === "clean");
    expect((await api(`/api/v1/incidents/${incidentId}/evidence`, rssiB)).statusCode).toBe(404);
    const got = await api(`/api/v1/incidents/${incidentId}/evidence/${png!.id}/content`, rssiB);
    expect(got.statusCode).toBe(404);
  });
});

describe("a zip bomb attached to a message", () => {
  it("is quarantined on the message's own incident, under the tests' clamd limits (the production ones)", async () => {
    // 65,536 files of 1 kB in archives of archives, and an archive 30 archives deep: a few kilobytes each.
    const wide = nestedZipBomb({ leafBytes: 1024, width: 16, depth: 4 }).archive;
    const deep = deepZip(30);
    const m = mailWithFiles(
      { From: alphaMailbox, Subject: "Pièces jointes reçues par la comptabilité" },
      "Les deux archives reçues hier.",
      [
        { name: "factures.zip", type: "application/zip", content: wide },
        { name: "bons.zip", type: "application/zip", content: deep },
      ],
    );
    await dovecot.append(m.raw);
    const row = await intakeRow(m.messageId, 45_000);
    expect(row.outcome).toBe("declared");
    const stored = await scannedFiles(row.incidentId!, 2, 45_000);
    expect(stored.map((f) => f.sha256).sort()).toEqual([sha256(wide), sha256(deep)].sort());
    expect(stored.find((f) => f.sha256 === sha256(wide))?.scanDetail).toBe(
      "Heuristics.Limits.Exceeded.MaxFiles",
    );
    expect(stored.find((f) => f.sha256 === sha256(deep))?.scanDetail).toBe(
      "Heuristics.Limits.Exceeded.MaxRecursion",
    );
    for (const f of stored) {
      expect(f).toMatchObject({ scanStatus: "infected", uploadedByMailIntakeId: row.id });
      const got = await api(`/api/v1/incidents/${row.incidentId}/evidence/${f.id}/content`, rssiA);
      expect(got.statusCode).toBe(409);
      expect(got.json().code).toBe("evidence_infected");
      expect(
        (await api(`/api/v1/incidents/${row.incidentId}/evidence/${f.id}/content`, rssiB)).statusCode,
      ).toBe(404);
    }
    // Nothing of the bombs anywhere else.
    const elsewhere = await stack.t.db
      .select()
      .from(evidenceFiles)
      .where(eq(evidenceFiles.sha256, sha256(wide)));
    expect(elsewhere.map((f) => f.incidentId)).toEqual([row.incidentId]);
  });
});

describe("a reply by e-mail with an attachment", () => {
  it("adds it to the incident it answers", async () => {
    const reference = (
      await api(`/api/v1/incidents/${incidentId}`, rssiA).then((r) => r.json() as { reference: string })
    ).reference;
    const log = Buffer.from("2026-12-07T06:00:00Z vssadmin delete shadows /all /quiet\n");
    const m = mailWithFiles(
      { From: alphaMailbox, Subject: `RE: Signalement ${reference} reçu` },
      "Le journal du serveur.",
      [{ name: "journal\u0007\u202e.txt", type: "text/plain", content: log }],
    );
    await dovecot.append(m.raw);
    const row = await intakeRow(m.messageId);
    expect(row).toMatchObject({ outcome: "replied", incidentId });
    const added = (await scannedFiles(incidentId, 3)).find((f) => f.sha256 === sha256(log));
    expect(added).toMatchObject({
      originalName: "journal.txt",
      scanStatus: "clean",
      uploadedByMailIntakeId: row.id,
    });
    const got = await api(`/api/v1/incidents/${incidentId}/evidence/${added!.id}/content`, rssiA);
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.equals(log)).toBe(true);
    expect(
      (await api(`/api/v1/incidents/${incidentId}/evidence/${added!.id}/content`, rssiB)).statusCode,
    ).toBe(404);
  });
});

describe("a quarantined message's attachments", () => {
  it("are recorded, not stored, until the pole attaches the message: then stored on its incident", async () => {
    const before = (await stack.t.db.select({ id: evidenceFiles.id }).from(evidenceFiles)).length;
    const m = mailWithFiles({ From: "inconnu@ailleurs.example", Subject: "Facture" }, "Voir pièce jointe.", [
      { name: "facture.png", type: "image/png", content: PNG },
    ]);
    await dovecot.append(m.raw);
    const row = await intakeRow(m.messageId);
    expect(row.outcome).toBe("quarantined");
    expect(row.attachments).toEqual([
      expect.objectContaining({ name: "facture.png", sha256: sha256(PNG), size: PNG.length }),
    ]);
    expect(row.attachments[0]!.evidenceFileId).toBeUndefined();
    expect((await stack.t.db.select({ id: evidenceFiles.id }).from(evidenceFiles)).length).toBe(before);

    const analyst = (await login(stack.t.app, analystEmail)).bearer;
    const attached = await stack.t.app.inject({
      method: "POST",
      url: `/api/v1/intake/quarantine/${row.id}/attach`,
      headers: analyst,
      payload: { establishmentId: bravoId },
    });
    expect(attached.statusCode, attached.body).toBe(201);
    const { incidentId: bravoIncident } = attached.json() as { incidentId: string };
    const [file] = await scannedFiles(bravoIncident, 1);
    expect(file).toMatchObject({
      originalName: "facture.png",
      detectedMime: "image/png",
      scanStatus: "clean",
      uploadedByMailIntakeId: row.id,
    });
    const [after] = await stack.t.db.select().from(mailIntake).where(eq(mailIntake.id, row.id));
    expect(after!.attachments[0]!.evidenceFileId).toBe(file!.id);
    const got = await api(`/api/v1/incidents/${bravoIncident}/evidence/${file!.id}/content`, rssiB);
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.equals(PNG)).toBe(true);
    expect(
      (await api(`/api/v1/incidents/${bravoIncident}/evidence/${file!.id}/content`, rssiA)).statusCode,
    ).toBe(404);
  });
});
