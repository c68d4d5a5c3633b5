import { createHash, randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { evidenceFiles, incidentLog, incidents, LocalEvidenceStorage, mailIntake } from "@pris/db";
import {
  createLogger,
  purgeClosedIncidents,
  purgeQuarantinedMessages,
  sweepOrphanEvidence,
} from "@pris/worker";
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

describe("retention of quarantined e-mails never attached (RETENTION_QUARANTINE_DAYS, 90 by default)", () => {
  const quarantined = async (
    receivedDaysAgo: number,
    extra: Partial<typeof mailIntake.$inferInsert> = {},
  ) => {
    uid += 1;
    const [row] = await t.db
      .insert(mailIntake)
      .values({
        messageId: `<quarantine-${uid}@ailleurs.example>`,
        mailbox: "INBOX",
        uidValidity: 1,
        uid,
        fromAddress: "jean.martin@ailleurs.example",
        fromName: "Jean Martin",
        subject: "Résultats d'analyse de Mme Durand",
        size: 4321,
        outcome: "quarantined",
        quarantineReason: "unknown_sender",
        bodyText: "Ci-joint le compte rendu de Mme Durand, née le 02/03/1950.",
        attachments: [
          { name: "durand.pdf", size: 99, sha256: "cd".repeat(32), contentType: "application/pdf" },
        ],
        receivedAt: new Date(Date.now() - receivedDaysAgo * DAY),
        ...extra,
      })
      .returning();
    return row!;
  };
  const rowOf = async (id: string) => (await t.db.select().from(mailIntake).where(eq(mailIntake.id, id)))[0]!;
  const listed = async () =>
    (
      await t.app.inject({ method: "GET", url: "/api/v1/intake/quarantine?limit=200", headers: analyst })
    ).json().items as { id: string }[];

  test("past the period its content is blanked, never-reviewed or discarded; its Message-ID and hashes stay", async () => {
    expect(t.config.RETENTION_QUARANTINE_DAYS).toBe(90);
    const unread = await quarantined(91);
    const discarded = await quarantined(120, { review: "discarded", reviewedAt: new Date() });
    const recent = await quarantined(89);
    // Attached to an establishment: its incident's retention decides, not this one.
    const attachedIncident = (
      await t.app.inject({
        method: "POST",
        url: "/api/v1/incidents",
        headers: rssiA,
        payload: declaration({ establishmentId }),
      })
    ).json().id as string;
    const attached = await quarantined(200, {
      review: "attached",
      incidentId: attachedIncident,
      establishmentId,
      reviewedAt: new Date(),
    });
    expect((await listed()).map((m) => m.id)).toEqual(expect.arrayContaining([unread.id, recent.id]));

    const { purged } = await purgeQuarantinedMessages(ctx());
    expect(purged.sort()).toEqual([unread.id, discarded.id].sort());
    for (const id of purged) {
      const row = await rowOf(id);
      expect(row).toMatchObject({
        bodyText: "",
        subject: "",
        fromAddress: null,
        fromName: null,
        outcome: "quarantined",
        quarantineReason: "unknown_sender",
        size: 4321,
      });
      expect(row.messageId).toMatch(/^<quarantine-/);
      expect(row.purgedAt).toBeInstanceOf(Date);
      expect(row.attachments).toEqual([
        { name: "", size: 99, sha256: "cd".repeat(32), contentType: "application/pdf" },
      ]);
      expect(JSON.stringify(row)).not.toMatch(/Durand|Martin|durand\.pdf/);
    }
    for (const kept of [recent, attached]) {
      const row = await rowOf(kept.id);
      expect(row.bodyText).toMatch(/Durand/);
      expect(row.purgedAt).toBeNull();
    }

    // It leaves the pole's list and can no longer be attached or discarded.
    const ids = (await listed()).map((m) => m.id);
    expect(ids).toContain(recent.id);
    expect(ids).not.toContain(unread.id);
    const attach = await t.app.inject({
      method: "POST",
      url: `/api/v1/intake/quarantine/${unread.id}/attach`,
      headers: analyst,
      payload: { establishmentId },
    });
    expect(attach.statusCode).toBe(409);
    expect(attach.json()).toMatchObject({ code: "quarantine_purged" });
    expect(attach.json().detail).toMatch(/durée de conservation/);

    // A second run purges nothing.
    expect((await purgeQuarantinedMessages(ctx())).purged).toEqual([]);
  });
});

describe("orphan bytes in the evidence store (named by no file, RETENTION_ORPHAN_HOURS old)", () => {
  const HOUR = 3_600_000;
  const pathOf = (key: string) => path.join(evidenceDir, key.slice(-2), key);
  const age = (file: string, hours: number) => {
    const when = new Date(Date.now() - hours * HOUR);
    utimesSync(file, when, when);
  };
  const putBytes = async (hoursOld: number) => {
    const key = randomUUID();
    await storage.put(key, Readable.from([randomBytes(64)]));
    age(pathOf(key), hoursOld);
    return key;
  };

  test("old bytes named by no row go, young ones and those of a file stay; stale temporary files go", async () => {
    expect(t.config.RETENTION_ORPHAN_HOURS).toBe(24);
    const orphan = await putBytes(25);
    const young = await putBytes(23);
    const named = await incidentWithEvidence(null);
    age(pathOf(named.fileId), 48);
    const listedKeys: string[] = [];
    for await (const object of storage.list()) listedKeys.push(object.key);
    expect(listedKeys).toEqual(expect.arrayContaining([orphan, young, named.fileId]));
    // A temporary file left by a process killed while writing, and one still being written.
    const stale = `${pathOf(orphan)}.part-4242-1700000000000`;
    writeFileSync(stale, "half");
    age(stale, 30);
    const writing = `${pathOf(young)}.part-4243-1700000000001`;
    writeFileSync(writing, "half");
    // Written now by this process's clock: the kernel stamps files with the machine's own, which the
    // fixed-instant runs (libfaketime) shift away from.
    age(writing, 0);

    const { removed, temporaryFiles } = await sweepOrphanEvidence(ctx());
    expect(removed).toEqual([orphan]);
    expect(temporaryFiles).toBe(1);
    expect(await storage.get(orphan)).toBeNull();
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(writing)).toBe(true);
    expect(await storage.get(young)).not.toBeNull();
    expect((await download(named.incidentId, named.fileId, analyst)).statusCode).toBe(200);

    // Bytes still there for a file the retention purged are not kept either.
    await t.db.update(evidenceFiles).set({ purgedAt: new Date() }).where(eq(evidenceFiles.id, named.fileId));
    expect((await sweepOrphanEvidence(ctx())).removed).toEqual([named.fileId]);
    expect((await sweepOrphanEvidence(ctx())).removed).toEqual([]);
  });
});
