import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { evidenceFiles, incidentLog, incidents, LocalEvidenceStorage, mailIntake } from "@pris/db";
import { createLogger, purgeClosedIncidents } from "@pris/worker";
import { and, asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createEstablishment,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

type Headers = Record<string, string>;
const DAY = 86_400_000;

let t: TestApp;
let evidenceDir: string;
let storage: LocalEvidenceStorage;
let rssiA: Headers;
let analyst: Headers;
let establishmentId: string;
let analystId: string;
let uid = 0;

beforeAll(async () => {
  evidenceDir = mkdtempSync(path.join(tmpdir(), "pris-retention-"));
  storage = new LocalEvidenceStorage(evidenceDir);
  t = await startTestApp({ EVIDENCE_DIR: evidenceDir, RETENTION_CLOSED_DAYS: "30" });
  establishmentId = (await createEstablishment(t.db, { name: "Clinique Alpha" })).id;
  rssiA = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId })).email)).bearer;
  const pole = await createUser(t.db, { role: "analyst" });
  analystId = pole.id;
  analyst = (await login(t.app, pole.email)).bearer;
});
afterAll(async () => {
  await t?.close();
  if (evidenceDir) rmSync(evidenceDir, { recursive: true, force: true });
});

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const ctx = () => ({ db: t.db, config: t.config, logger: createLogger(t.config), storage });

/** An incident with one stored file (scanned clean) and one e-mail, closed `closedDaysAgo` (or open). */
async function incidentWithEvidence(closedDaysAgo: number | null) {
  const res = await t.app.inject({
    method: "POST",
    url: "/api/v1/incidents",
    headers: rssiA,
    payload: declaration({ establishmentId, tlp: "AMBER" }),
  });
  expect(res.statusCode).toBe(201);
  const incidentId = (res.json() as { id: string }).id;
  const bytes = randomBytes(2048);
  const fileId = randomUUID();
  await storage.put(fileId, Readable.from([bytes]));
  await t.db.insert(evidenceFiles).values({
    id: fileId,
    incidentId,
    uploadedByUserId: analystId,
    originalName: "journal.txt",
    sizeBytes: bytes.length,
    sha256: sha256(bytes),
    detectedMime: null,
    storageKey: fileId,
    scanStatus: "clean",
    scannedAt: new Date(),
  });
  uid += 1;
  const [mail] = await t.db
    .insert(mailIntake)
    .values({
      messageId: `<retention-${uid}@clinique.test>`,
      mailbox: "INBOX",
      uidValidity: 1,
      uid,
      fromAddress: "rssi@clinique.test",
      subject: "Rançongiciel",
      size: 1234,
      outcome: "declared",
      establishmentId,
      incidentId,
      bodyText: "Nos serveurs sont chiffrés, le patient Dupont est transféré.",
      attachments: [{ name: "note.txt", size: 10, sha256: "ab".repeat(32), contentType: "text/plain" }],
    })
    .returning();
  if (closedDaysAgo !== null) {
    await t.db
      .update(incidents)
      .set({ status: "closed", closedAt: new Date(Date.now() - closedDaysAgo * DAY) })
      .where(eq(incidents.id, incidentId));
  }
  return { incidentId, fileId, mailId: mail!.id, bytes };
}

const download = (incident: string, file: string, headers: Headers) =>
  t.app.inject({ method: "GET", url: `/api/v1/incidents/${incident}/evidence/${file}/content`, headers });
const verify = (id: string) =>
  t.app.inject({ method: "GET", url: `/api/v1/incidents/${id}/log/verify`, headers: analyst });
const entriesOf = (id: string) =>
  t.db.select().from(incidentLog).where(eq(incidentLog.incidentId, id)).orderBy(asc(incidentLog.seq));

describe("retention of a closed incident's evidence and e-mails", () => {
  let old: Awaited<ReturnType<typeof incidentWithEvidence>>;
  let recent: Awaited<ReturnType<typeof incidentWithEvidence>>;
  let open: Awaited<ReturnType<typeof incidentWithEvidence>>;

  beforeAll(async () => {
    old = await incidentWithEvidence(31);
    recent = await incidentWithEvidence(5);
    open = await incidentWithEvidence(null);
  });

  test("a closed incident past the period loses its bytes and e-mail text, and says so in its chain", async () => {
    // Before: the file downloads.
    const before = await download(old.incidentId, old.fileId, analyst);
    expect(before.statusCode).toBe(200);
    expect(before.rawPayload.equals(old.bytes)).toBe(true);
    const entriesBefore = (await entriesOf(old.incidentId)).length;

    const { purged } = await purgeClosedIncidents(ctx());
    expect(purged).toEqual([{ incidentId: old.incidentId, files: [old.fileId], mails: [old.mailId] }]);

    expect(await storage.get(old.fileId)).toBeNull();
    const [file] = await t.db.select().from(evidenceFiles).where(eq(evidenceFiles.id, old.fileId));
    expect(file!.purgedAt).toBeInstanceOf(Date);
    expect(file!.sha256).toBe(sha256(old.bytes));
    const [mail] = await t.db.select().from(mailIntake).where(eq(mailIntake.id, old.mailId));
    expect(mail!.bodyText).toBe("");
    expect(mail!.purgedAt).toBeInstanceOf(Date);
    expect(mail!.attachments).toHaveLength(1);

    const entries = await entriesOf(old.incidentId);
    expect(entries).toHaveLength(entriesBefore + 1);
    const entry = entries.at(-1)!;
    expect(entry.kind).toBe("retention_purged");
    expect(entry.visibility).toBe("internal");
    expect(entry.body).toMatchObject({
      retentionDays: 30,
      files: [{ id: old.fileId, name: "journal.txt", sizeBytes: 2048, sha256: sha256(old.bytes) }],
      mails: [{ id: old.mailId, messageId: mail!.messageId, attachments: 1 }],
    });
    expect((await verify(old.incidentId)).json()).toMatchObject({ valid: true, firstBroken: null });
  });

  test("an open incident and one closed within the period are untouched", async () => {
    for (const kept of [recent, open]) {
      expect(await storage.get(kept.fileId)).not.toBeNull();
      const [file] = await t.db.select().from(evidenceFiles).where(eq(evidenceFiles.id, kept.fileId));
      expect(file!.purgedAt).toBeNull();
      const [mail] = await t.db.select().from(mailIntake).where(eq(mailIntake.id, kept.mailId));
      expect(mail!.bodyText).toMatch(/chiffrés/);
      expect(mail!.purgedAt).toBeNull();
      const kinds = (await entriesOf(kept.incidentId)).map((e) => e.kind);
      expect(kinds).not.toContain("retention_purged");
      expect((await download(kept.incidentId, kept.fileId, analyst)).statusCode).toBe(200);
    }
  });

  test("a second run purges nothing and records nothing", async () => {
    const count = (await entriesOf(old.incidentId)).length;
    expect((await purgeClosedIncidents(ctx())).purged).toEqual([]);
    expect(await entriesOf(old.incidentId)).toHaveLength(count);
  });

  test("a purged file's download answers 410 in French, and the list says when it went", async () => {
    for (const headers of [analyst, rssiA]) {
      const res = await download(old.incidentId, old.fileId, headers);
      expect(res.statusCode).toBe(410);
      expect(String(res.headers["content-type"])).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: "evidence_purged" });
      expect(res.json().detail).toMatch(/supprimé le .*durée de conservation/);
    }
    // Nor can the pole ask for a new scan of bytes that are gone.
    const rescan = await t.app.inject({
      method: "POST",
      url: `/api/v1/incidents/${old.incidentId}/evidence/${old.fileId}/scan`,
      headers: analyst,
    });
    expect(rescan.statusCode).toBe(410);
    expect(rescan.json()).toMatchObject({ code: "evidence_purged" });
    const list = await t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${old.incidentId}/evidence`,
      headers: rssiA,
    });
    expect(list.statusCode).toBe(200);
    const [item] = list.json().items as { downloadable: boolean; purgedAt: string | null; sha256: string }[];
    expect(item).toMatchObject({ downloadable: false, sha256: sha256(old.bytes) });
    expect(item!.purgedAt).toEqual(expect.any(String));
  });

  test("a reopened incident is not purged; once closed past the period again it is, in one entry", async () => {
    await t.db
      .update(incidents)
      .set({ status: "closed", closedAt: new Date(Date.now() - 40 * DAY) })
      .where(eq(incidents.id, recent.incidentId));
    await t.db
      .update(incidents)
      .set({ status: "investigating", closedAt: null })
      .where(eq(incidents.id, open.incidentId));
    const { purged } = await purgeClosedIncidents(ctx());
    expect(purged.map((p) => p.incidentId)).toEqual([recent.incidentId]);
    expect(await storage.get(open.fileId)).not.toBeNull();
    const entries = await t.db
      .select()
      .from(incidentLog)
      .where(and(eq(incidentLog.incidentId, recent.incidentId), eq(incidentLog.kind, "retention_purged")));
    expect(entries).toHaveLength(1);
    expect((await verify(recent.incidentId)).json()).toMatchObject({ valid: true });
  });
});
