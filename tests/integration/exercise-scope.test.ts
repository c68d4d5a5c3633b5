import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createApiKey,
  createEstablishment,
  createUser,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * Scope on every exercise route: the RSSI of A learns nothing of B's exercises — not in lists, details,
 * participations, writes or error messages; B's things answer exactly like things that do not exist.
 */
let t: TestApp;
let A: { id: string };
let B: { id: string };
let rssiA: Record<string, string>;
let rssiB: Record<string, string>;
let ars: Record<string, string>;
let keyA: Record<string, string>;
let exerciseB: string;
let participationB: string;
let findingB: string;
let actionB: string;
let regional: string;
const NONE = "01900000-0000-7000-8000-000000000000";

const call = (
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  url: string,
  headers: Record<string, string>,
  payload?: unknown,
) => t.app.inject({ method, url, headers, payload: payload as string | undefined });

const strip = (b: { requestId: string; instance?: string }) => ({ ...b, requestId: "", instance: "" });

function body(establishmentIds: string[], kind = "degraded_mode") {
  return {
    kind,
    level: "intermediate",
    title: kind === "regional" ? "Exercice régional" : "Exercice secret de Bravo",
    scenario: "Compromission de l'annuaire",
    objectives: [],
    plannedOn: "2025-02-03",
    participants: "",
    organiser: kind === "regional" ? "ARS" : "DSI Bravo",
    establishmentIds,
  };
}

beforeAll(async () => {
  t = await startTestApp();
  A = await createEstablishment(t.db, { name: "Clinique Alpha" });
  B = await createEstablishment(t.db, { name: "Centre Bravo" });
  rssiA = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: A.id })).email))
    .bearer;
  rssiB = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: B.id })).email))
    .bearer;
  ars = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;
  keyA = { authorization: `ApiKey ${(await createApiKey(t.db, A.id)).key}` };

  const created = (await call("POST", "/api/v1/exercises", rssiB, body([B.id]))).json();
  exerciseB = created.id;
  participationB = created.participations[0].id;
  await call("POST", `/api/v1/exercises/${exerciseB}/hold`, rssiB, { heldOn: "2025-02-03" });
  const withFinding = (
    await call("POST", `/api/v1/participations/${participationB}/findings`, rssiB, {
      phase: "hot",
      theme: "technical",
      polarity: "negative",
      text: "Sauvegardes de Bravo non testées",
    })
  ).json();
  findingB = withFinding.findings[0].id;
  actionB = (
    await call("POST", `/api/v1/participations/${participationB}/actions`, rssiB, {
      title: "Tester la restauration",
      owner: "DSI",
      dueOn: "2025-06-01",
    })
  ).json().actions[0].id;
  regional = (await call("POST", "/api/v1/exercises", ars, body([A.id, B.id], "regional"))).json().id;
});
afterAll(() => t.close());

describe("the RSSI of A against B's exercise", () => {
  const readsAndWrites = (): [string, string, unknown?][] => [
    ["GET", `/api/v1/exercises/${exerciseB}`],
    ["PATCH", `/api/v1/exercises/${exerciseB}`, { title: "x" }],
    ["POST", `/api/v1/exercises/${exerciseB}/hold`, { heldOn: "2025-02-03" }],
    ["POST", `/api/v1/exercises/${exerciseB}/cancel`, { reason: "x" }],
    ["POST", `/api/v1/exercises/${exerciseB}/participations`, { establishmentIds: [A.id] }],
    ["DELETE", `/api/v1/exercises/${exerciseB}/participations/${participationB}`],
  ];
  const participationRoutes = (id: string): [string, string, unknown?][] => [
    ["GET", `/api/v1/participations/${id}`],
    ["PUT", `/api/v1/participations/${id}/retex`, { hotSummary: "x" }],
    [
      "POST",
      `/api/v1/participations/${id}/findings`,
      { phase: "hot", theme: "governance", polarity: "positive", text: "x" },
    ],
    ["DELETE", `/api/v1/participations/${id}/findings/${findingB}`],
    ["POST", `/api/v1/participations/${id}/actions`, { title: "x", owner: "x", dueOn: "2025-01-01" }],
    ["PATCH", `/api/v1/participations/${id}/actions/${actionB}`, { status: "done" }],
    ["POST", `/api/v1/participations/${id}/submit`],
    ["PUT", `/api/v1/participations/${id}/share`, { shared: false }],
  ];

  test("every exercise route answers 404, exactly as for one that does not exist", async () => {
    for (const [method, url, payload] of readsAndWrites()) {
      const other = await call(method as "GET", url, rssiA, payload);
      const missing = await call(method as "GET", url.replace(exerciseB, NONE), rssiA, payload);
      expect(other.statusCode, `${method} ${url}`).toBe(404);
      expect(strip(other.json())).toEqual(strip(missing.json()));
      expect(other.body).not.toContain("Bravo");
    }
  });

  test("every participation route answers 404, exactly as for one that does not exist", async () => {
    for (const [method, url, payload] of participationRoutes(participationB)) {
      const other = await call(method as "GET", url, rssiA, payload);
      const missing = await call(method as "GET", url.replace(participationB, NONE), rssiA, payload);
      expect(other.statusCode, `${method} ${url}`).toBe(404);
      expect(strip(other.json())).toEqual(strip(missing.json()));
      expect(other.body).not.toContain("Bravo");
    }
    // And B's own RETEX is untouched.
    const mine = (await call("GET", `/api/v1/participations/${participationB}`, rssiB)).json();
    expect(mine.findings).toHaveLength(1);
    expect(mine.actions[0].status).toBe("open");
  });

  test("lists and filters never show B", async () => {
    const all = (await call("GET", "/api/v1/exercises", rssiA)).json();
    expect(all.items.map((e: { id: string }) => e.id)).toEqual([regional]);
    const filtered = (await call("GET", `/api/v1/exercises?establishmentId=${B.id}`, rssiA)).json();
    expect(filtered).toEqual({ items: [], nextCursor: null });
    expect(JSON.stringify(all)).not.toContain("Bravo");
  });

  test("the regional exercise shows A its own part only", async () => {
    const detail = (await call("GET", `/api/v1/exercises/${regional}`, rssiA)).json();
    expect(detail.participations.map((p: { establishmentId: string }) => p.establishmentId)).toEqual([A.id]);
    expect(detail.participantCount).toBe(1);
    expect(JSON.stringify(detail)).not.toContain(B.id);
    const ofB = (await call("GET", `/api/v1/exercises/${regional}`, ars)).json();
    const participationOfB = ofB.participations.find(
      (p: { establishmentId: string }) => p.establishmentId === B.id,
    ).id;
    expect((await call("GET", `/api/v1/participations/${participationOfB}`, rssiA)).statusCode).toBe(404);
  });

  test("planning for B is refused with the same words as for an unknown establishment", async () => {
    const forB = await call("POST", "/api/v1/exercises", rssiA, body([B.id]));
    const forNone = await call("POST", "/api/v1/exercises", rssiA, body([NONE]));
    expect(forB.statusCode).toBe(400);
    expect(strip(forB.json())).toEqual(strip(forNone.json()));
    expect(forB.json().errors[0].field).toBe("/establishmentIds/0");
  });

  test("in the regional exercise, A cannot remove B nor add B, and learns nothing of B by trying", async () => {
    const ofB = (await call("GET", `/api/v1/exercises/${regional}`, ars)).json();
    const participationOfB = ofB.participations.find(
      (p: { establishmentId: string }) => p.establishmentId === B.id,
    ).id;
    const remove = await call(
      "DELETE",
      `/api/v1/exercises/${regional}/participations/${participationOfB}`,
      rssiA,
    );
    const removeNone = await call("DELETE", `/api/v1/exercises/${regional}/participations/${NONE}`, rssiA);
    expect(remove.statusCode).toBe(404);
    expect(strip(remove.json())).toEqual(strip(removeNone.json()));
    const add = await call("POST", `/api/v1/exercises/${regional}/participations`, rssiA, {
      establishmentIds: [B.id],
    });
    const addNone = await call("POST", `/api/v1/exercises/${regional}/participations`, rssiA, {
      establishmentIds: [NONE],
    });
    expect(add.statusCode).toBe(400);
    expect(strip(add.json())).toEqual(strip(addNone.json()));
    expect(add.body).not.toContain("Bravo");
    expect((await call("GET", `/api/v1/exercises/${regional}`, ars)).json().participantCount).toBe(2);
  });

  test("B's unshared RETEX is not in the network's list", async () => {
    const shared = (await call("GET", "/api/v1/retex/shared", rssiA)).json();
    expect(shared.items).toEqual([]);
  });

  test("API keys have no access to exercises (403)", async () => {
    for (const url of [
      "/api/v1/exercises",
      `/api/v1/exercises/${exerciseB}`,
      "/api/v1/retex/shared",
      "/api/v1/exercises/completion",
    ]) {
      expect((await call("GET", url, keyA)).statusCode, url).toBe(403);
    }
  });
});
