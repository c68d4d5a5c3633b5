import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { evidenceFiles, outbox } from "@pris/db";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PrivateClamd, startPrivateClamd } from "../support/clamd.ts";
import { createEstablishment, createUser, declaration, login } from "../support/fixtures.ts";
import { type FullStack, startFullStack } from "../support/full-stack.ts";
import { multipartFile } from "../support/registry-fixtures.ts";
import { waitUntil } from "../support/worker-fixtures.ts";
import { deepZip, nestedZipBomb, zip } from "../support/zip-bomb.ts";

/**
 * A zip bomb handed over as evidence is quarantined like an infected file: clamd, past its limits with
 * AlertExceedsMax, answers "Heuristics.Limits.Exceeded.… FOUND". The bombs are real archives built here,
 * a few kilobytes that unpack to gigabytes; clamd's settings are the production ones
 * (infra/k8s/base/clamd/clamd.conf) with smaller sizes, so that clamd gives up after a few megabytes instead of a few hundred.
 */
let stack: FullStack;
let clamd: PrivateClamd;
let evidenceDir: string;
let rssiA: Record<string, string>;
let rssiB: Record<string, string>;
let analyst: Record<string, string>;
let analystEmail: string;

beforeAll(async () => {
  clamd = await startPrivateClamd({
    limits: { maxFileSize: "8M", maxScanSize: "32M", maxRecursion: 8, maxFiles: 500 },
  });
  evidenceDir = mkdtempSync(path.join(tmpdir(), "pris-evidence-bomb-"));
  stack = await startFullStack(
    { sweepEveryMs: 300 },
    { EVIDENCE_DIR: evidenceDir, CLAMD_SOCKET: clamd.socket, CLAMD_TIMEOUT_MS: "20000" },
  );
  const { t } = stack;
  const a = await createEstablishment(t.db, { name: "CH Alpha" });
  const b = await createEstablishment(t.db, { name: "Clinique Bravo" });
  rssiA = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: a.id })).email))
    .bearer;
  rssiB = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: b.id })).email))
    .bearer;
  analystEmail = (await createUser(t.db, { role: "analyst" })).email;
  analyst = (await login(t.app, analystEmail)).bearer;
});

afterAll(async () => {
  await stack?.close();
  await clamd?.stop();
  if (evidenceDir) rmSync(evidenceDir, { recursive: true, force: true });
});

async function declare(headers: Record<string, string>) {
  const res = await stack.t.app.inject({
    method: "POST",
    url: "/api/v1/incidents",
    headers,
    payload: declaration({ tlp: "AMBER" }),
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; reference: string };
}

async function upload(incidentId: string, content: Buffer, name: string) {
  const body = multipartFile(content, name, "file", "application/zip");
  const res = await stack.t.app.inject({
    method: "POST",
    url: `/api/v1/incidents/${incidentId}/evidence`,
    headers: { ...rssiA, ...body.headers },
    payload: body.payload,
  });
  expect(res.statusCode, res.body).toBe(201);
  type File = {
    id: string;
    sha256: string;
    scanStatus: string;
    scanDetail: string | null;
    downloadable: boolean;
    detectedType: string | null;
  };
  const { id } = res.json() as File;
  // Stored at once; the worker scans it (outbox evidence.received): the file as listed once it has a verdict.
  let file: File | undefined;
  await waitUntil(
    "the worker's verdict",
    async () => {
      const listed = await stack.t.app.inject({
        method: "GET",
        url: `/api/v1/incidents/${incidentId}/evidence`,
        headers: rssiA,
      });
      file = (listed.json().items as File[]).find((f) => f.id === id);
      return file !== undefined && file.scanStatus !== "pending";
    },
    30_000,
  );
  return file!;
}

const download = (incidentId: string, fileId: string, headers: Record<string, string>) =>
  stack.t.app.inject({
    method: "GET",
    url: `/api/v1/incidents/${incidentId}/evidence/${fileId}/content`,
    headers,
  });

describe("a zip bomb uploaded as evidence", () => {
  it("an ordinary archive under the limits stays clean and is served (the limits do not flag every zip)", async () => {
    const incident = await declare(rssiA);
    const archive = zip([
      { name: "journal.txt", content: Buffer.from("2026-12-07 vssadmin delete shadows\n".repeat(500)) },
      { name: "disque.img", content: { zeros: 2 * 1024 * 1024 } },
    ]);
    const file = await upload(incident.id, archive, "journaux.zip");
    expect(file).toMatchObject({ scanStatus: "clean", downloadable: true, detectedType: "application/zip" });
    const got = await download(incident.id, file.id, rssiA);
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.equals(archive)).toBe(true);
  });

  it.each([
    // 42.zip's shape: 16 identical archives of 16 identical archives… of 1 MB of zeros, 64 GB in all.
    [
      "scan size",
      () => nestedZipBomb({ leafBytes: 1024 * 1024, width: 16, depth: 4 }).archive,
      /MaxScanSize/,
    ],
    // Tiny files, but 65,536 of them.
    ["file count", () => nestedZipBomb({ leafBytes: 1024, width: 16, depth: 4 }).archive, /MaxFiles/],
    // An archive in an archive… 30 deep.
    ["nesting", () => deepZip(30), /MaxRecursion/],
  ])(
    "past clamd's %s it is quarantined: never served, the pole told, nothing reaches another establishment",
    async (_limit, build, limit) => {
      const archive = build();
      expect(archive.length).toBeLessThan(64 * 1024);
      const incident = await declare(rssiA);
      const file = await upload(incident.id, archive, "factures.zip");
      expect(file).toMatchObject({ scanStatus: "infected", downloadable: false });
      expect(file.scanDetail).toMatch(/^Heuristics\.Limits\.Exceeded\./);
      expect(file.scanDetail).toMatch(limit);

      for (const who of [rssiA, analyst]) {
        const got = await download(incident.id, file.id, who);
        expect(got.statusCode).toBe(409);
        expect(got.json().code).toBe("evidence_infected");
        expect(got.json().detail).toMatch(/quarantaine/);
      }
      // Another establishment sees nothing of it.
      expect((await download(incident.id, file.id, rssiB)).statusCode).toBe(404);
      const other = await declare(rssiB);
      expect((await download(other.id, file.id, rssiB)).statusCode).toBe(404);
      const rows = await stack.t.db.select().from(evidenceFiles).where(eq(evidenceFiles.id, file.id));
      expect(rows.map((r) => r.incidentId)).toEqual([incident.id]);

      // The pole is told as for a virus: the outbox row, then the e-mail with the verdict and the hash.
      const notices = await stack.t.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.topic, "evidence.quarantined")));
      expect(notices.some((n) => JSON.stringify(n.payload).includes(file.id))).toBe(true);
      const quarantineMail = () =>
        stack.smtp.messages.find(
          (m) =>
            m.envelopeTo.includes(analystEmail) &&
            m.parsed.subject?.includes(incident.reference) === true &&
            /quarantaine/.test(m.parsed.subject ?? ""),
        );
      await waitUntil("the quarantine e-mail", () => quarantineMail() !== undefined);
      const text = quarantineMail()!.parsed.text ?? "";
      expect(text).toContain(file.sha256);
      expect(text).toMatch(limit);
    },
  );
});
