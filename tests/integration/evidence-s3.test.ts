import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { createEvidenceStorage } from "@pris/db";
import { createLogger, sweepOrphanEvidence } from "@pris/worker";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type PrivateClamd, scanPendingFiles, startPrivateClamd } from "../support/clamd.ts";
import {
  createEstablishment,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";
import { freePort } from "../support/redis-server.ts";
import { multipartFile } from "../support/registry-fixtures.ts";

/**
 * With EVIDENCE_S3_BUCKET set, files go to an S3-compatible store (here s3rver, a small S3 server in the
 * test process) through lib-storage's multipart Upload: a file larger than one part round-trips whole.
 */
let t: TestApp;
let clamd: PrivateClamd;
let s3: S3rver;
let dir: string;
let rssi: Record<string, string>;
let incident: string;

beforeAll(async () => {
  clamd = await startPrivateClamd();
  dir = mkdtempSync(path.join(tmpdir(), "pris-s3-"));
  const port = await freePort();
  s3 = new S3rver({
    port,
    address: "127.0.0.1",
    directory: dir,
    silent: true,
    configureBuckets: [{ name: "pris-evidence", configs: [] }],
  });
  await s3.run();
  process.env.AWS_ACCESS_KEY_ID = "S3RVER";
  process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
  t = await startTestApp({
    EVIDENCE_S3_BUCKET: "pris-evidence",
    EVIDENCE_S3_ENDPOINT: `http://127.0.0.1:${port}`,
    EVIDENCE_MAX_BYTES: String(20 * 1024 * 1024),
    CLAMD_SOCKET: clamd.socket,
  });
  const a = await createEstablishment(t.db);
  rssi = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: a.id })).email)).bearer;
  const res = await t.app.inject({
    method: "POST",
    url: "/api/v1/incidents",
    headers: rssi,
    payload: declaration(),
  });
  incident = res.json().id;
});
afterAll(async () => {
  await t?.close();
  await s3?.close();
  await clamd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The establishment's RSSI hands a file over on the incident; the answer, checked 201. */
async function upload(content: Buffer, name: string) {
  const body = multipartFile(content, name, "file", "application/octet-stream");
  const up = await t.app.inject({
    method: "POST",
    url: `/api/v1/incidents/${incident}/evidence`,
    headers: { ...rssi, ...body.headers },
    payload: body.payload,
  });
  expect(up.statusCode, up.body).toBe(201);
  return up;
}

describe("evidence files in an S3-compatible bucket", () => {
  test("a 12 MB file (two parts) round-trips through the bucket with its hash", async () => {
    const content = randomBytes(12 * 1024 * 1024 + 5);
    const up = await upload(content, "journal.bin");
    const sha256 = createHash("sha256").update(content).digest("hex");
    expect(up.json()).toMatchObject({ sha256, scanStatus: "pending", sizeBytes: content.length });
    // The worker's scan reads the file back from the bucket.
    const storage = await createEvidenceStorage(t.config);
    expect(await scanPendingFiles(t.db, { storage, clamd: { path: clamd.socket } })).toBe(1);
    const got = await t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${incident}/evidence/${up.json().id}/content`,
      headers: rssi,
    });
    expect(got.statusCode).toBe(200);
    expect(createHash("sha256").update(got.rawPayload).digest("hex")).toBe(sha256);
  });

  test("the orphan sweep lists the bucket under its prefix and deletes only bytes no file names", async () => {
    const storage = await createEvidenceStorage(t.config);
    expect(storage.kind).toBe("s3");
    const up = await upload(randomBytes(1000), "capture.bin");
    const named = up.json().id as string;
    // Bytes whose transaction rolled back: in the bucket, in no row.
    const orphans = [randomUUID(), randomUUID()];
    for (const key of orphans) await storage.put(key, Readable.from([randomBytes(100)]));
    const listed: string[] = [];
    // The objects' age is the bucket's clock: reason from when it says they were written (in the
    // fixed-instant runs this process's clock is shifted, the server's file times are not).
    let writtenAt = 0;
    for await (const object of storage.list()) {
      listed.push(object.key);
      writtenAt = Math.max(writtenAt, object.modifiedAt.getTime());
    }
    expect(listed).toEqual(expect.arrayContaining([named, ...orphans]));

    const ctx = { db: t.db, config: t.config, logger: createLogger(t.config), storage };
    // Just written: younger than RETENTION_ORPHAN_HOURS, kept.
    expect((await sweepOrphanEvidence(ctx, new Date(writtenAt))).removed).toEqual([]);
    // A day and more later they go, and the file's bytes stay.
    const later = new Date(writtenAt + (t.config.RETENTION_ORPHAN_HOURS + 1) * 3_600_000);
    const { removed } = await sweepOrphanEvidence(ctx, later);
    expect(removed.sort()).toEqual([...orphans].sort());
    for (const key of orphans) expect(await storage.get(key)).toBeNull();
    expect(await scanPendingFiles(t.db, { storage, clamd: { path: clamd.socket } })).toBe(1);
    const got = await t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${incident}/evidence/${named}/content`,
      headers: rssi,
    });
    expect(got.statusCode).toBe(200);
  });
});
