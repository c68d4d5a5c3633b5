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
 * switch that off (a superuser, an attacker with the database) can rewrite a row, and the chain
 * verification names the first entry that no longer holds.
 */
type Headers = Record<string, string>;
let t: TestApp;
let analyst: Headers;
let rssi: Headers;
let superuser: pg.Client;

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

/** What an attacker with the database does: switch the guard off, rewrite, switch it back on. */
async function behindTheGuard(sql: string, params: unknown[]) {
  await superuser.query("BEGIN");
  await superuser.query("ALTER TABLE incident_log DISABLE TRIGGER incident_log_no_update");
  await superuser.query(sql, params);
  await superuser.query("ALTER TABLE incident_log ENABLE TRIGGER incident_log_no_update");
  await superuser.query("COMMIT");
}

beforeAll(async () => {
  t = await startTestApp();
  const establishment = await createEstablishment(t.db);
  analyst = (await login(t.app, (await createUser(t.db, { role: "analyst" })).email)).bearer;
  rssi = (
    await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: establishment.id })).email)
  ).bearer;
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
    expect((await verify(id)).json()).toEqual({ valid: true, entries: 6, firstBroken: null });
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
    expect(res.json()).toEqual({
      valid: false,
      entries: 6,
      firstBroken: { seq: 4, id: target.id, reason: "content_altered" },
    });
  });

  test("a rewritten body whose hash was recomputed breaks the link to the next entry", async () => {
    const { id, entries } = await incidentWithLog();
    const [target, next] = [entries[2]!, entries[3]!];
    // The attacker recomputes the row's own hash too; the next entry still points at the old one.
    const row = (await superuser.query("SELECT * FROM incident_log WHERE id = $1", [target.id])).rows[0];
    const { chainHash, logEntryContent } = await import("@pris/db");
    const body = { ...row.body, via: "assign" };
    const hash = chainHash(
      row.prev_hash,
      logEntryContent({
        incidentId: row.incident_id,
        seq: row.seq,
        at: row.at,
        kind: row.kind,
        visibility: row.visibility,
        actorUserId: row.actor_user_id,
        actorApiKeyId: row.actor_api_key_id,
        body,
      }),
    );
    await behindTheGuard("UPDATE incident_log SET body = $2, hash = $3 WHERE id = $1", [
      target.id,
      body,
      hash,
    ]);
    expect((await verify(id)).json().firstBroken).toEqual({ seq: 4, id: next.id, reason: "chain_broken" });
  });

  test("a removed entry", async () => {
    const { id, entries } = await incidentWithLog();
    await behindTheGuard("DELETE FROM incident_log WHERE id = $1", [entries[1]!.id]);
    expect((await verify(id)).json()).toEqual({
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
