import { randomBytes, verify as verifySignature } from "node:crypto";
import {
  configureLogChain,
  currentLogChain,
  issueLogCheckpoint,
  keyedChainHash,
  legacyChainHash,
  logEntryContent,
} from "@pris/db";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createEstablishment,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * The main courante is evidence. The database refuses to change or remove an entry; someone who can
 * switch that off (a superuser, an attacker with the database) can rewrite rows, cut the end off, or
 * recompute the whole chain — without the key, which is not in the database. Verification names the
 * first entry that no longer holds, and what was cut, from the anchor and the signed checkpoints.
 */
type Headers = Record<string, string>;
let t: TestApp;
let analyst: Headers;
let rssi: Headers;
let superuser: pg.Client;
let admin: Headers;
let ars: Headers;

const verify = async (id: string, headers = analyst) =>
  t.app.inject({ method: "GET", url: `/api/v1/incidents/${id}/log/verify`, headers });

/** An incident with a few entries: declared, claimed (assigned + acknowledged), two comments, a transition. */
async function incidentWithLog() {
  const res = await t.app.inject({
    method: "POST",
    url: "/api/v1/incidents",
    headers: rssi,
    payload: declaration(),
  });
  const { id } = res.json() as { id: string };
  await t.app.inject({ method: "POST", url: `/api/v1/incidents/${id}/claim`, headers: analyst });
  for (const text of ["Premier échange", "Second échange"]) {
    await t.app.inject({
      method: "POST",
      url: `/api/v1/incidents/${id}/log`,
      headers: analyst,
      payload: { kind: "comment", text, visibility: "shared" },
    });
  }
  await t.app.inject({
    method: "POST",
    url: `/api/v1/incidents/${id}/transitions`,
    headers: analyst,
    payload: { action: "investigate" },
  });
  const entries = await superuser.query<{ id: string; seq: number }>(
    "SELECT id, seq FROM incident_log WHERE incident_id = $1 ORDER BY seq",
    [id],
  );
  expect(entries.rows).toHaveLength(6);
  return { id, entries: entries.rows };
}

/** What an attacker with the database does: switch the guards off, rewrite, switch them back on. */
async function behindTheGuard(sql: string, params: unknown[]) {
  await superuser.query("BEGIN");
  await superuser.query("ALTER TABLE incident_log DISABLE TRIGGER USER");
  await superuser.query(sql, params);
  await superuser.query("ALTER TABLE incident_log ENABLE TRIGGER USER");
  await superuser.query("COMMIT");
}

type StoredEntry = {
  id: string;
  incident_id: string;
  seq: number;
  at: Date;
  kind: string;
  visibility: string;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  body: Record<string, unknown>;
  prev_hash: string | null;
  hash: string;
};

const contentOf = (row: StoredEntry, body = row.body) =>
  logEntryContent({
    incidentId: row.incident_id,
    seq: row.seq,
    at: row.at,
    kind: row.kind,
    visibility: row.visibility,
    actorUserId: row.actor_user_id,
    actorApiKeyId: row.actor_api_key_id,
    body,
  });

/**
 * The whole chain recomputed by someone who holds the database but not the key: every hash and link
 * redone with `hashOf`, one body changed, and the anchor moved to the new head so that it agrees.
 */
async function rewriteWholeChain(id: string, hashOf: (prev: string | null, content: string) => string) {
  const rows = (
    await superuser.query<StoredEntry>("SELECT * FROM incident_log WHERE incident_id = $1 ORDER BY seq", [id])
  ).rows;
  let prev: string | null = null;
  await superuser.query("BEGIN");
  await superuser.query("ALTER TABLE incident_log DISABLE TRIGGER USER");
  for (const row of rows) {
    const body = row.seq === 4 ? { ...row.body, text: "Rien à signaler" } : row.body;
    const hash = hashOf(prev, contentOf(row, body));
    await superuser.query("UPDATE incident_log SET body = $2, prev_hash = $3, hash = $4 WHERE id = $1", [
      row.id,
      body,
      prev,
      hash,
    ]);
    prev = hash;
  }
  await superuser.query("UPDATE incident_log_heads SET hash = $2 WHERE incident_id = $1", [id, prev]);
  await superuser.query("ALTER TABLE incident_log ENABLE TRIGGER USER");
  await superuser.query("COMMIT");
  return rows;
}

const checkpoint = () => issueLogCheckpoint(t.db, currentLogChain(), { region: t.config.REGION_CODE });

beforeAll(async () => {
  t = await startTestApp();
  const establishment = await createEstablishment(t.db);
  analyst = (await login(t.app, (await createUser(t.db, { role: "analyst" })).email)).bearer;
  rssi = (
    await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: establishment.id })).email)
  ).bearer;
  admin = (await login(t.app, (await createUser(t.db, { role: "admin" })).email)).bearer;
  ars = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;
  superuser = new pg.Client({ connectionString: t.database.url });
  await superuser.connect();
});
afterAll(async () => {
  await superuser.end();
  await t.close();
});

describe("the database keeps entries as written", () => {
  test("UPDATE, DELETE and TRUNCATE of incident_log are refused", async () => {
    const { id } = await incidentWithLog();
    for (const sql of [
      "UPDATE incident_log SET body = '{}'::jsonb WHERE incident_id = $1",
      "DELETE FROM incident_log WHERE incident_id = $1",
    ]) {
      await expect(superuser.query(sql, [id])).rejects.toMatchObject({
        code: "42501",
        message: expect.stringContaining("append-only"),
      });
    }
    await expect(superuser.query("TRUNCATE incident_log CASCADE")).rejects.toMatchObject({ code: "42501" });
    expect((await verify(id)).json()).toMatchObject({
      valid: true,
      entries: 6,
      firstBroken: null,
      missing: null,
      anchor: { seq: 6 },
      legacyEntries: 0,
    });
  });
});

describe("the chain names the first broken entry", () => {
  test("a rewritten body", async () => {
    const { id, entries } = await incidentWithLog();
    const target = entries[3]!;
    await behindTheGuard(
      `UPDATE incident_log SET body = jsonb_set(body, '{text}', '"Rien à signaler"') WHERE id = $1`,
      [target.id],
    );
    const res = await verify(id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      valid: false,
      entries: 6,
      firstBroken: { seq: 4, id: target.id, reason: "content_altered" },
      missing: null,
    });
  });

  test("a rewritten body whose hash was recomputed with the key breaks the link to the next entry", async () => {
    const { id, entries } = await incidentWithLog();
    const [target, next] = [entries[2]!, entries[3]!];
    // Even with the key, the row's own hash recomputed leaves the next entry pointing at the old one.
    const row = (await superuser.query<StoredEntry>("SELECT * FROM incident_log WHERE id = $1", [target.id]))
      .rows[0]!;
    const body = { ...row.body, via: "assign" };
    const hash = keyedChainHash(currentLogChain().current, row.prev_hash, contentOf(row, body));
    await behindTheGuard("UPDATE incident_log SET body = $2, hash = $3 WHERE id = $1", [
      target.id,
      body,
      hash,
    ]);
    expect((await verify(id)).json().firstBroken).toEqual({ seq: 4, id: next.id, reason: "chain_broken" });
  });

  test("a row recomputed without the key is named", async () => {
    const { id, entries } = await incidentWithLog();
    const target = entries[2]!;
    const row = (await superuser.query<StoredEntry>("SELECT * FROM incident_log WHERE id = $1", [target.id]))
      .rows[0]!;
    const body = { ...row.body, via: "assign" };
    await behindTheGuard("UPDATE incident_log SET body = $2, hash = $3 WHERE id = $1", [
      target.id,
      body,
      legacyChainHash(row.prev_hash, contentOf(row, body)),
    ]);
    expect((await verify(id)).json().firstBroken).toEqual({ seq: 3, id: target.id, reason: "unkeyed" });
  });

  test("a removed entry", async () => {
    const { id, entries } = await incidentWithLog();
    await behindTheGuard("DELETE FROM incident_log WHERE id = $1", [entries[1]!.id]);
    expect((await verify(id)).json()).toMatchObject({
      valid: false,
      entries: 5,
      firstBroken: { seq: 3, id: entries[2]!.id, reason: "sequence_gap" },
    });
  });

  test("other incidents' chains are untouched, and verification is the pole's", async () => {
    const { id } = await incidentWithLog();
    expect((await verify(id)).json().valid).toBe(true);
    expect((await verify(id, rssi)).statusCode).toBe(403);
  });
});

describe("entries written before the chain was keyed", () => {
  // Runs before any checkpoint of this file's database: the first one is the one that attests legacy.
  test("verify as legacy once the first checkpoint attests them, and the chain goes on keyed", async () => {
    const { id } = await incidentWithLog();
    // As the entries landed before 0016 were: SHA-256 without a key.
    await rewriteWholeChain(id, legacyChainHash);
    expect((await verify(id)).json()).toMatchObject({
      valid: false,
      firstBroken: { seq: 1, reason: "unkeyed" },
    });
    const genesis = await checkpoint();
    expect(JSON.parse(genesis.document).heads).toContainEqual(
      expect.objectContaining({ incidentId: id, headSeq: 6, legacyThrough: 6 }),
    );
    expect((await verify(id)).json()).toMatchObject({ valid: true, entries: 6, legacyEntries: 6 });
    await t.app.inject({
      method: "POST",
      url: `/api/v1/incidents/${id}/log`,
      headers: analyst,
      payload: { kind: "comment", text: "Première entrée chaînée par clé" },
    });
    const entry7 = (
      await superuser.query<{ hash: string }>(
        "SELECT hash FROM incident_log WHERE incident_id = $1 AND seq = 7",
        [id],
      )
    ).rows[0]!;
    expect(entry7.hash).toMatch(/^hmac-sha256:[0-9a-f]{16}:[0-9a-f]{64}$/);
    expect((await verify(id)).json()).toMatchObject({ valid: true, entries: 7, legacyEntries: 6 });
    // A later checkpoint does not extend the legacy prefix: a downgrade after it is caught.
    await checkpoint();
    await rewriteWholeChain(id, legacyChainHash);
    expect((await verify(id)).json()).toMatchObject({
      valid: false,
      firstBroken: { seq: 7, reason: "unkeyed" },
    });
  });
});

describe("entries cut from the end are reported", () => {
  test("against the anchor: the last entries deleted behind the guard", async () => {
    const { id, entries } = await incidentWithLog();
    await behindTheGuard("DELETE FROM incident_log WHERE incident_id = $1 AND seq > 3", [id]);
    const res = (await verify(id)).json();
    expect(res).toMatchObject({
      valid: false,
      entries: 3,
      firstBroken: null,
      missing: { fromSeq: 4, toSeq: 6, attestedBy: "anchor" },
      anchor: { seq: 6 },
    });
    // The next entry takes its number after the anchored head: the hole stays visible.
    await t.app.inject({
      method: "POST",
      url: `/api/v1/incidents/${id}/log`,
      headers: analyst,
      payload: { kind: "comment", text: "Après la coupe" },
    });
    const after = (await verify(id)).json();
    expect(after.valid).toBe(false);
    expect(after.firstBroken).toMatchObject({ seq: 7, reason: "sequence_gap" });
    expect(entries).toHaveLength(6);
  });

  test("against the latest checkpoint, when the anchor was moved back too", async () => {
    const { id } = await incidentWithLog();
    const issued = await checkpoint();
    const tail = (
      await superuser.query<{ seq: number; hash: string }>(
        "SELECT seq, hash FROM incident_log WHERE incident_id = $1 AND seq = 4",
        [id],
      )
    ).rows[0]!;
    await behindTheGuard("DELETE FROM incident_log WHERE incident_id = $1 AND seq > 4", [id]);
    await superuser.query("UPDATE incident_log_heads SET seq = $2, hash = $3 WHERE incident_id = $1", [
      id,
      tail.seq,
      tail.hash,
    ]);
    const res = (await verify(id)).json();
    expect(res).toMatchObject({
      valid: false,
      entries: 4,
      firstBroken: null,
      missing: { fromSeq: 5, toSeq: 6, attestedBy: "checkpoint" },
      anchor: { seq: 4 },
      checkpoint: { seq: issued.seq, headSeq: 6, authentic: true },
    });
  });
});

describe("a whole chain rewritten without the key is detected", () => {
  test("recomputed with the unkeyed algorithm (and the anchor moved along)", async () => {
    const { id, entries } = await incidentWithLog();
    await rewriteWholeChain(id, legacyChainHash);
    expect((await verify(id)).json()).toMatchObject({
      valid: false,
      firstBroken: { seq: 1, id: entries[0]!.id, reason: "unkeyed" },
      missing: null,
      legacyEntries: 0,
    });
  });

  test("recomputed under a key of the attacker's", async () => {
    const { id, entries } = await incidentWithLog();
    const forged = { id: "0123456789abcdef", secret: randomBytes(32) };
    await rewriteWholeChain(id, (prev, content) => keyedChainHash(forged, prev, content));
    expect((await verify(id)).json().firstBroken).toEqual({
      seq: 1,
      id: entries[0]!.id,
      reason: "unknown_key",
    });
  });

  test("recomputed under a wrong key that borrows the real key's id", async () => {
    const { id, entries } = await incidentWithLog();
    const forged = { id: currentLogChain().current.id, secret: randomBytes(32) };
    await rewriteWholeChain(id, (prev, content) => keyedChainHash(forged, prev, content));
    expect((await verify(id)).json().firstBroken).toEqual({
      seq: 1,
      id: entries[0]!.id,
      reason: "content_altered",
    });
  });

  test("with the real key, after a checkpoint: the attested head no longer matches", async () => {
    // Someone holding the key (a stolen one) rewrites the chain: the checkpoint still says otherwise.
    const { id } = await incidentWithLog();
    await checkpoint();
    await rewriteWholeChain(id, (prev, content) => keyedChainHash(currentLogChain().current, prev, content));
    expect((await verify(id)).json()).toMatchObject({
      valid: false,
      firstBroken: { seq: 6, reason: "head_mismatch" },
    });
  });
});

describe("signed checkpoints", () => {
  test("are issued with the heads that moved, chained, signed, and verifiable with the public key alone", async () => {
    const { id } = await incidentWithLog();
    const first = await checkpoint();
    const second = await checkpoint();
    const res = await t.app.inject({
      method: "GET",
      url: `/api/v1/log-checkpoints/${second.seq}`,
      headers: ars,
    });
    expect(res.statusCode).toBe(200);
    const file = res.json() as { document: string; signature: string; publicKey: string; authentic: boolean };
    expect(file.authentic).toBe(true);
    // What the ARS does with the e-mailed file: no secret of the service needed.
    expect(
      verifySignature(
        null,
        Buffer.from(file.document),
        file.publicKey,
        Buffer.from(file.signature, "base64"),
      ),
    ).toBe(true);
    const doc = JSON.parse(file.document);
    expect(doc).toMatchObject({
      format: "pris-log-checkpoint/1",
      seq: second.seq,
      previousDigest: first.digest,
    });
    // Nothing moved between the two: the second attests no head, the first attested this incident's.
    expect(doc.heads).toEqual([]);
    const firstDoc = JSON.parse(first.document);
    expect(firstDoc.heads).toContainEqual(expect.objectContaining({ incidentId: id, headSeq: 6 }));

    const list = await t.app.inject({
      method: "GET",
      url: "/api/v1/log-checkpoints?limit=1",
      headers: admin,
    });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({
      items: [{ seq: second.seq, digest: second.digest, heads: 0, authentic: true }],
      nextBeforeSeq: second.seq,
    });
  });

  test("a checkpoint altered in the database no longer verifies, nor do the chains it attests", async () => {
    const { id } = await incidentWithLog();
    const issued = await checkpoint();
    const forgedDoc = issued.document.replace(/"headSeq":6/, '"headSeq":60');
    await superuser.query("BEGIN");
    await superuser.query("ALTER TABLE log_checkpoints DISABLE TRIGGER USER");
    await superuser.query("UPDATE log_checkpoints SET document = $2 WHERE id = $1", [issued.id, forgedDoc]);
    await superuser.query("ALTER TABLE log_checkpoints ENABLE TRIGGER USER");
    await superuser.query("COMMIT");
    const file = await t.app.inject({
      method: "GET",
      url: `/api/v1/log-checkpoints/${issued.seq}`,
      headers: ars,
    });
    expect(file.json().authentic).toBe(false);
    expect((await verify(id)).json()).toMatchObject({ valid: false, checkpoint: { authentic: false } });
  });

  test("the database refuses to change an issued checkpoint", async () => {
    await checkpoint();
    await expect(superuser.query("DELETE FROM log_checkpoints")).rejects.toMatchObject({ code: "42501" });
    await expect(superuser.query("UPDATE log_checkpoint_heads SET head_seq = 1")).rejects.toMatchObject({
      code: "42501",
    });
  });

  test("are the administrators' and the ARS's only", async () => {
    const issued = await checkpoint();
    for (const headers of [analyst, rssi]) {
      for (const url of ["/api/v1/log-checkpoints", `/api/v1/log-checkpoints/${issued.seq}`]) {
        const res = await t.app.inject({ method: "GET", url, headers });
        expect(res.statusCode).toBe(403);
        expect(res.headers["content-type"]).toContain("application/problem+json");
      }
    }
    expect((await t.app.inject({ method: "GET", url: "/api/v1/log-checkpoints" })).statusCode).toBe(401);
    expect(
      (await t.app.inject({ method: "GET", url: "/api/v1/log-checkpoints/999999", headers: ars })).statusCode,
    ).toBe(404);
  });
});

describe("key rotation", () => {
  test("entries made under a former key still verify while it is listed, and new ones take the new key", async () => {
    const { id } = await incidentWithLog();
    const former = t.config.LOG_CHAIN_KEY;
    const formerId = currentLogChain().current.id;
    const next = `rotated-${randomBytes(24).toString("hex")}`;
    try {
      // What a restart with the new key and the former one in LOG_CHAIN_PREVIOUS_KEYS does.
      configureLogChain({ LOG_CHAIN_KEY: next, LOG_CHAIN_PREVIOUS_KEYS: former });
      await t.app.inject({
        method: "POST",
        url: `/api/v1/incidents/${id}/log`,
        headers: analyst,
        payload: { kind: "comment", text: "Après la rotation" },
      });
      const hashes = (
        await superuser.query<{ hash: string }>(
          "SELECT hash FROM incident_log WHERE incident_id = $1 ORDER BY seq",
          [id],
        )
      ).rows.map((r) => r.hash.split(":")[1]);
      expect(hashes.slice(0, 6).every((k) => k === formerId)).toBe(true);
      expect(hashes[6]).toBe(currentLogChain().current.id);
      expect(hashes[6]).not.toBe(formerId);
      expect((await verify(id)).json()).toMatchObject({ valid: true, entries: 7 });
      // The former key dropped from the list: its entries can no longer be told from forgeries.
      configureLogChain({ LOG_CHAIN_KEY: next, LOG_CHAIN_PREVIOUS_KEYS: "" });
      expect((await verify(id)).json().firstBroken).toMatchObject({ seq: 1, reason: "unknown_key" });
    } finally {
      configureLogChain(t.config);
    }
  });
});
