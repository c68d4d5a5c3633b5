import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildApp } from "@pris/api";
import {
  accessTraces,
  evidenceFiles,
  incidentLog,
  LocalEvidenceStorage,
  receiveEvidence,
  scanPendingEvidence,
} from "@pris/db";
import { and, desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  EICAR,
  type PrivateClamd,
  scanPendingFiles,
  startPrivateClamd,
  TEST_MARKER,
} from "../support/clamd.ts";
import { testConfig } from "../support/env.ts";
import {
  createApiKey,
  createEstablishment,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";
import { multipartFile } from "../support/registry-fixtures.ts";

type Headers = Record<string, string>;
const MAX_BYTES = 3 * 1024 * 1024;

let t: TestApp;
let clamd: PrivateClamd;
let evidenceDir: string;
let rssiA: Headers;
let rssiB: Headers;
let analyst: Headers;
let ars: Headers;
let keyA: Headers;
let analystId: string;
let incidentA: string;
let majorRedA: string;

/** A 1×1 PNG: what a screenshot of a ransom note starts like. */
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082",
  "hex",
);

beforeAll(async () => {
  clamd = await startPrivateClamd();
  evidenceDir = mkdtempSync(path.join(tmpdir(), "pris-evidence-"));
  t = await startTestApp({
    EVIDENCE_DIR: evidenceDir,
    EVIDENCE_MAX_BYTES: String(MAX_BYTES),
    CLAMD_SOCKET: clamd.socket,
    CLAMD_TIMEOUT_MS: "5000",
  });
  const a = await createEstablishment(t.db, { name: "Clinique Alpha" });
  const b = await createEstablishment(t.db, { name: "Clinique Bravo" });
  rssiA = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: a.id })).email))
    .bearer;
  rssiB = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: b.id })).email))
    .bearer;
  const pole = await createUser(t.db, { role: "analyst" });
  analystId = pole.id;
  analyst = (await login(t.app, pole.email)).bearer;
  ars = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;
  keyA = { authorization: `ApiKey ${(await createApiKey(t.db, a.id)).key}` };
  const declare = async (body = declaration()) => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: rssiA,
      payload: body,
    });
    expect(res.statusCode).toBe(201);
    return (res.json() as { id: string }).id;
  };
  incidentA = await declare(declaration({ establishmentId: a.id, tlp: "AMBER", impactGrade: 5 }));
  majorRedA = await declare(declaration({ establishmentId: a.id, tlp: "RED", impactGrade: 5 }));
});
afterAll(async () => {
  await t?.close();
  await clamd?.stop();
  if (evidenceDir) rmSync(evidenceDir, { recursive: true, force: true });
});

const upload = (
  incident: string,
  headers: Headers,
  content: Buffer,
  name = "capture.png",
  type = "image/png",
) => {
  const body = multipartFile(content, name, "file", type);
  return t.app.inject({
    method: "POST",
    url: `/api/v1/incidents/${incident}/evidence`,
    headers: { ...headers, ...body.headers },
    payload: body.payload,
  });
};
/** What the worker does after each upload (evidence.received): clamd scans what waits. */
const scanAll = (socket = clamd.socket) =>
  scanPendingFiles(t.db, { storage: new LocalEvidenceStorage(evidenceDir), clamd: { path: socket } });
const list = (incident: string, headers: Headers) =>
  t.app.inject({ method: "GET", url: `/api/v1/incidents/${incident}/evidence`, headers });
const download = (incident: string, file: string, headers: Headers) =>
  t.app.inject({ method: "GET", url: `/api/v1/incidents/${incident}/evidence/${file}/content`, headers });
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

function expectProblemInFrench(res: {
  statusCode: number;
  headers: Record<string, unknown>;
  json(): unknown;
}) {
  expect(String(res.headers["content-type"])).toMatch(/^application\/problem\+json/);
  const problem = res.json() as { detail?: string; code: string };
  expect(problem.code).toMatch(/\w/);
  return problem;
}

/** Every file the local store holds, whatever its directory. */
function storedFiles(): string[] {
  return readdirSync(evidenceDir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name);
}

describe("evidence files: upload, list, download", () => {
  test("a round trip keeps every byte; the hash, size, type, uploader and time are in the hash chain", async () => {
    const content = Buffer.concat([PNG, randomBytes(1024 * 1024 + 17)]);
    const res = await upload(incidentA, rssiA, content, "rançon écran.png");
    expect(res.statusCode, res.body).toBe(201);
    const file = res.json();
    expect(file).toMatchObject({
      name: "rançon écran.png",
      sizeBytes: content.length,
      sha256: sha256(content),
      detectedType: "image/png",
      scanStatus: "pending",
      downloadable: false,
      uploadedBy: { kind: "user" },
    });
    // Not served before clamd's verdict.
    const early = await download(incidentA, file.id, rssiA);
    expect(early.statusCode).toBe(409);
    expect(expectProblemInFrench(early).detail).toMatch(/pas encore été analysé/);
    expect(await scanAll()).toBeGreaterThanOrEqual(1);
    // Stored under its id, never under the client's name.
    expect(storedFiles()).toContain(file.id);
    expect(storedFiles().some((n) => n.includes("rançon"))).toBe(false);

    const listed = await list(incidentA, rssiA);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.find((f: { id: string }) => f.id === file.id)).toMatchObject({
      scanStatus: "clean",
      downloadable: true,
    });

    const got = await download(incidentA, file.id, rssiA);
    expect(got.statusCode).toBe(200);
    expect(sha256(got.rawPayload)).toBe(sha256(content));
    expect(got.headers["content-type"]).toBe("image/png");
    expect(got.headers["x-content-type-options"]).toBe("nosniff");
    expect(got.headers["content-disposition"]).toBe(
      `attachment; filename="rancon ecran.png"; filename*=UTF-8''ran%C3%A7on%20%C3%A9cran.png`,
    );

    const [entry] = await t.db
      .select()
      .from(incidentLog)
      .where(and(eq(incidentLog.incidentId, incidentA), eq(incidentLog.seq, file.logEntrySeq)));
    expect(entry).toMatchObject({ kind: "evidence_added", visibility: "shared" });
    expect(entry!.body).toMatchObject({
      file: { id: file.id, sha256: sha256(content), sizeBytes: content.length, detectedType: "image/png" },
      scan: { status: "pending" },
    });
    expect(entry!.actorUserId).toBeTruthy();
    // The verdict is an entry of its own, after it.
    const [scanned] = await t.db
      .select()
      .from(incidentLog)
      .where(and(eq(incidentLog.incidentId, incidentA), eq(incidentLog.kind, "evidence_scanned")))
      .orderBy(desc(incidentLog.seq));
    expect(scanned!.seq).toBeGreaterThan(entry!.seq);
    expect(scanned!.body).toMatchObject({
      file: { id: file.id, sha256: sha256(content) },
      scan: { status: "clean" },
      previous: "pending",
    });
    const verified = await t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${incidentA}/log/verify`,
      headers: analyst,
    });
    expect(verified.json()).toMatchObject({ valid: true });
  });

  test("an API key uploads for its establishment; an analyst too; the file not an image is served as bytes", async () => {
    const log = Buffer.from("2026-12-06 03:12:44 vpn login admin from 185.220.101.7\n".repeat(200));
    const byKey = await upload(incidentA, keyA, log, "vpn.log", "text/plain");
    expect(byKey.statusCode, byKey.body).toBe(201);
    expect(byKey.json()).toMatchObject({ uploadedBy: { kind: "api_key" }, detectedType: null });
    const byPole = await upload(incidentA, analyst, log, "copie.log", "text/plain");
    expect(byPole.statusCode, byPole.body).toBe(201);
    await scanAll();
    const got = await download(incidentA, byKey.json().id, analyst);
    expect(got.statusCode).toBe(200);
    expect(got.headers["content-type"]).toBe("application/octet-stream");
  });

  test("the type comes from the bytes: a .pdf that is a PNG is a PNG, served as one only because it is", async () => {
    const res = await upload(incidentA, rssiA, PNG, "facture.pdf", "application/pdf");
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ detectedType: "image/png", declaredType: "application/pdf" });
    // An HTML page claiming to be an image is served as bytes, never as HTML or an image.
    const html = await upload(
      incidentA,
      rssiA,
      Buffer.from("<html><script>alert(1)</script></html>"),
      "x.png",
    );
    expect(html.json().detectedType).toBeNull();
    await scanAll();
    const got = await download(incidentA, html.json().id, rssiA);
    expect(got.headers["content-type"]).toBe("application/octet-stream");
  });

  test("a name with a path or control characters is shown without them and names nothing on disk", async () => {
    const traversal = await upload(incidentA, rssiA, Buffer.from("root:x:0:0"), "../../etc/passwd");
    expect(traversal.statusCode).toBe(201);
    expect(traversal.json().name).toBe("passwd");
    const windows = await upload(incidentA, rssiA, Buffer.from("x"), "..\\..\\Windows\\win.ini");
    expect(windows.json().name).toBe("win.ini");
    const control = await upload(incidentA, rssiA, Buffer.from("x"), "note\u0007\u001b[31m\u202etxt.exe");
    expect(control.json().name).toBe("note[31mtxt.exe");
    const dots = await upload(incidentA, rssiA, Buffer.from("x"), "..");
    expect(dots.json().name).toBe("fichier");
    await scanAll();
    for (const f of [traversal, windows, control]) {
      const got = await download(incidentA, f.json().id, rssiA);
      expect(got.statusCode).toBe(200);
      const disposition = String(got.headers["content-disposition"]);
      expect(disposition).not.toMatch(/[/\\]|\.\./);
      expect([...disposition].every((c) => c.charCodeAt(0) >= 0x20)).toBe(true);
    }
    expect(storedFiles().every((n) => /^[0-9a-f-]{36}$/.test(n))).toBe(true);
  });

  test("a file over EVIDENCE_MAX_BYTES gets 413 in French, and nothing is kept", async () => {
    const before = storedFiles().length;
    const rowsBefore = (await t.db.select().from(evidenceFiles)).length;
    const res = await upload(incidentA, rssiA, Buffer.alloc(MAX_BYTES + 1, 1), "gros.bin");
    expect(res.statusCode).toBe(413);
    const problem = expectProblemInFrench(res);
    expect(problem.detail).toMatch(/dépasse la taille maximale/);
    expect(storedFiles().length).toBe(before);
    expect((await t.db.select().from(evidenceFiles)).length).toBe(rowsBefore);
    // Exactly the limit is accepted.
    const atLimit = await upload(incidentA, rssiA, Buffer.alloc(MAX_BYTES, 2), "juste.bin");
    expect(atLimit.statusCode, atLimit.body).toBe(201);
  });
});

describe("scanning: infected and unscannable files are quarantined", () => {
  test("the EICAR test file is infected, never served, and the pole is told", async () => {
    const res = await upload(incidentA, rssiA, EICAR, "eicar.com", "application/octet-stream");
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ scanStatus: "pending", downloadable: false });
    await scanAll();
    const verdict = async (id: string) =>
      (await list(incidentA, rssiA)).json().items.find((f: { id: string }) => f.id === id);
    expect(await verdict(res.json().id)).toMatchObject({ scanStatus: "infected", downloadable: false });
    expect((await verdict(res.json().id)).scanDetail).toMatch(/Eicar/);
    for (const who of [rssiA, analyst]) {
      const got = await download(incidentA, res.json().id, who);
      expect(got.statusCode).toBe(409);
      expect(expectProblemInFrench(got).detail).toMatch(/infecté.*quarantaine/);
      expect(got.body).not.toContain("EICAR");
    }
    // A signature deep in a larger file is found too.
    const hidden = Buffer.concat([randomBytes(512 * 1024), Buffer.from(TEST_MARKER), randomBytes(1024)]);
    const marked = await upload(incidentA, rssiA, hidden, "rapport.docx");
    await scanAll();
    expect(await verdict(marked.json().id)).toMatchObject({ scanStatus: "infected" });
    expect((await verdict(marked.json().id)).scanDetail).toMatch(/Pris\.Test\.Marker/);
    // The pole reads it in the main courante, and the incident moved on the live feed.
    const log = await t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${incidentA}/log`,
      headers: analyst,
    });
    const entry = log
      .json()
      .items.find(
        (e: { kind: string; body: { file?: { id: string } } }) =>
          e.kind === "evidence_scanned" && e.body.file?.id === res.json().id,
      );
    expect(entry.body.scan).toMatchObject({ status: "infected" });
    void analystId;
  });

  test("with clamd out of reach the file is unscannable and not served; the upload itself succeeds", async () => {
    const noClamd = path.join(evidenceDir, "no-clamd.sock");
    const down = await buildApp(
      testConfig({
        DATABASE_URL: t.database.url,
        EVIDENCE_DIR: evidenceDir,
        CLAMD_SOCKET: noClamd,
        CLAMD_TIMEOUT_MS: "1000",
      }),
    );
    try {
      const res = await down.inject({
        method: "POST",
        url: `/api/v1/incidents/${incidentA}/evidence`,
        ...withBody(rssiA, Buffer.from("journal du pare-feu"), "journal.txt"),
      });
      expect(res.statusCode, res.body).toBe(201);
      // The worker's scan finds no clamd.
      await scanAll(noClamd);
      const [row] = await t.db.select().from(evidenceFiles).where(eq(evidenceFiles.id, res.json().id));
      expect(row).toMatchObject({ scanStatus: "unscannable" });
      expect(row!.scanDetail).toMatch(/clamd injoignable/);
      for (const app of [down, t.app]) {
        const got = await app.inject({
          method: "GET",
          url: `/api/v1/incidents/${incidentA}/evidence/${res.json().id}/content`,
          headers: analyst,
        });
        expect(got.statusCode).toBe(409);
        expect(expectProblemInFrench(got).detail).toMatch(/pas pu être analysé/);
      }
      const rescanUrl = `/api/v1/incidents/${incidentA}/evidence/${res.json().id}/scan`;
      // Still no clamd: still unscannable. The establishment does not rescan; the pole does, once clamd is back.
      const still = await down.inject({ method: "POST", url: rescanUrl, headers: analyst });
      expect(still.json()).toMatchObject({ scanStatus: "unscannable" });
      expect((await t.app.inject({ method: "POST", url: rescanUrl, headers: rssiA })).statusCode).toBe(403);
      const back = await t.app.inject({ method: "POST", url: rescanUrl, headers: analyst });
      expect(back.statusCode, back.body).toBe(200);
      expect(back.json()).toMatchObject({ scanStatus: "clean", downloadable: true });
      const got = await download(incidentA, res.json().id, rssiA);
      expect(got.body).toBe("journal du pare-feu");
      const again = await t.app.inject({ method: "POST", url: rescanUrl, headers: analyst });
      expect(again.statusCode).toBe(409);
      const [entry] = await t.db
        .select()
        .from(incidentLog)
        .where(and(eq(incidentLog.incidentId, incidentA), eq(incidentLog.kind, "evidence_rescanned")))
        .orderBy(desc(incidentLog.seq))
        .limit(1);
      expect(entry!.body).toMatchObject({ scan: { status: "clean" }, previous: "unscannable" });
    } finally {
      await down.close();
    }
  });

  test("a file not yet scanned (pending) is not served; a replayed scan does nothing", async () => {
    const res = await upload(incidentA, rssiA, PNG, "attente.png");
    expect(res.json()).toMatchObject({ scanStatus: "pending", downloadable: false });
    const got = await download(incidentA, res.json().id, rssiA);
    expect(got.statusCode).toBe(409);
    expect(expectProblemInFrench(got).detail).toMatch(/pas encore été analysé/);
    // The worker scans it once; the same outbox row replayed finds it scanned and records nothing more.
    const deps = {
      storage: new LocalEvidenceStorage(evidenceDir),
      clamd: { path: clamd.socket },
      clamdTimeoutMs: 5000,
    };
    expect(await scanPendingEvidence(t.db, deps, res.json().id)).toMatchObject({ status: "clean" });
    const entries = async () =>
      (await t.db.select().from(incidentLog).where(eq(incidentLog.incidentId, incidentA))).length;
    const before = await entries();
    expect(await scanPendingEvidence(t.db, deps, res.json().id)).toBeNull();
    expect(await entries()).toBe(before);
    expect((await download(incidentA, res.json().id, rssiA)).statusCode).toBe(200);
  });
});

function withBody(headers: Headers, content: Buffer, name: string) {
  const body = multipartFile(content, name, "file", "text/plain");
  return { headers: { ...headers, ...body.headers }, payload: body.payload };
}

describe("a store that fails", () => {
  test("fails the upload at once with nothing kept, even before it has read a byte (never waits forever)", async () => {
    // A volume that cannot take the file: its directory is a plain file, so the store fails before reading.
    const notADir = path.join(evidenceDir, "not-a-directory");
    writeFileSync(notADir, "x");
    const broken = new LocalEvidenceStorage(notADir);
    const chunks = async function* () {
      for (let i = 0; i < 80; i++) yield randomBytes(64 * 1024);
    };
    // Twenty at once, as an incident in a crisis gets them.
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        receiveEvidence({ storage: broken, maxBytes: MAX_BYTES * 4 }, chunks()),
      ),
    );
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/ENOTDIR|EEXIST/);
    }
  }, 10_000);
});

describe("scope, TLP and traces", () => {
  test("an RSSI of another establishment gets 404 on list, upload and download, with no hint", async () => {
    const file = (await upload(incidentA, rssiA, Buffer.from("secret"), "secret.txt")).json();
    const l = await list(incidentA, rssiB);
    const u = await upload(incidentA, rssiB, Buffer.from("intrus"), "intrus.txt");
    const d = await download(incidentA, file.id, rssiB);
    const unknown = await download(incidentA, "01900000-0000-7000-8000-000000000099", rssiB);
    for (const res of [l, u, d, unknown]) {
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain("secret");
    }
    expect(l.json().detail).toBe(u.json().detail);
    // A file id of incident A asked under another incident is not found either.
    const b = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: rssiB,
      payload: declaration(),
    });
    expect((await download(b.json().id, file.id, rssiB)).statusCode).toBe(404);
    expect((await download(b.json().id, file.id, analyst)).statusCode).toBe(404);
  });

  test("under TLP:RED the ARS sees that a file exists but cannot download it; the establishment and the pole can", async () => {
    const res = await upload(majorRedA, rssiA, PNG, "ecran.png");
    expect(res.statusCode, res.body).toBe(201);
    await scanAll();
    const seen = await list(majorRedA, ars);
    expect(seen.statusCode).toBe(200);
    expect(seen.json().items[0]).toMatchObject({ id: res.json().id, downloadable: false });
    const refused = await download(majorRedA, res.json().id, ars);
    expect(refused.statusCode).toBe(403);
    expect(expectProblemInFrench(refused).detail).toMatch(/TLP:RED/);
    expect((await download(majorRedA, res.json().id, analyst)).statusCode).toBe(200);
    expect((await download(majorRedA, res.json().id, rssiA)).statusCode).toBe(200);
    // Under AMBER the ARS, who reads the major incident, downloads.
    const amber = await upload(incidentA, rssiA, PNG, "ecran.png");
    await scanAll();
    expect((await download(incidentA, amber.json().id, ars)).statusCode).toBe(200);
    // The ARS only reads: it hands nothing over.
    expect((await upload(incidentA, ars, PNG, "ars.png")).statusCode).toBe(403);
  });

  test("every download is traced: who, when, which file", async () => {
    const file = (await upload(incidentA, rssiA, PNG, "trace.png")).json();
    await scanAll();
    const before = new Date();
    expect((await download(incidentA, file.id, analyst)).statusCode).toBe(200);
    await t.app.accessTraces.flush();
    const traces = await t.db
      .select()
      .from(accessTraces)
      .where(and(eq(accessTraces.action, "downloadEvidenceFile"), eq(accessTraces.userId, analystId)));
    const trace = traces.find((tr) => tr.path.includes(file.id));
    expect(trace).toMatchObject({ objectKind: "incident", objectId: incidentA, role: "analyst" });
    expect(trace!.at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
    // A refused download is not a read.
    const eicar = (await upload(incidentA, rssiA, EICAR, "e.com")).json();
    await scanAll();
    await download(incidentA, eicar.id, analyst);
    await t.app.accessTraces.flush();
    const refused = await t.db.select().from(accessTraces).where(eq(accessTraces.userId, analystId));
    expect(refused.some((tr) => tr.path.includes(eicar.id))).toBe(false);
  });

  test("a wrong body gets a 4xx problem+json naming what is wrong, never a 500", async () => {
    const json = await t.app.inject({
      method: "POST",
      url: `/api/v1/incidents/${incidentA}/evidence`,
      headers: rssiA,
      payload: { file: "abc" },
    });
    expect(json.statusCode).toBe(415);
    expect(expectProblemInFrench(json).detail).toMatch(/multipart/);
    const wrongField = multipartFile(Buffer.from("x"), "a.txt", "document");
    const field = await t.app.inject({
      method: "POST",
      url: `/api/v1/incidents/${incidentA}/evidence`,
      headers: { ...rssiA, ...wrongField.headers },
      payload: wrongField.payload,
    });
    expect(field.statusCode).toBe(400);
    expect(field.json().errors).toEqual([expect.objectContaining({ field: "/file" })]);
    const cut = multipartFile(Buffer.from("x".repeat(1000)), "a.txt");
    const truncated = await t.app.inject({
      method: "POST",
      url: `/api/v1/incidents/${incidentA}/evidence`,
      headers: { ...rssiA, ...cut.headers },
      payload: cut.payload.subarray(0, 200),
    });
    expect(truncated.statusCode).toBeGreaterThanOrEqual(400);
    expect(truncated.statusCode).toBeLessThan(500);
    const badId = await t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${incidentA}/evidence/not-an-id/content`,
      headers: rssiA,
    });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0].field).toMatch(/fileId/);
  });
});
