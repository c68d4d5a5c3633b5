import { randomUUID } from "node:crypto";
import { incidentClocks, incidents, outbox } from "@pris/db";
import { allowedActions } from "@pris/domain";
import { and, eq } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createApiKey,
  createEstablishment,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * The pole's work on an incident through the API: the lifecycle enforced by the domain's state
 * machine, assignment, qualification and escalation, the main courante and the tasks — and the scope
 * of every one of these routes.
 */
type Headers = Record<string, string>;
let t: TestApp;
let A: { id: string };
let B: { id: string };
let analyst: Headers;
let analystUser: { id: string; displayName: string };
let otherAnalystUser: { id: string };
let rssiA: Headers;
let rssiB: Headers;
let keyA: Headers;
let taskforce: Headers;
let taskforceUser: { id: string };
let ars: Headers;

const CLOSURE = {
  rsitClass: "malicious-code",
  rsitType: "infected-system",
  rootCause: "Compte VPN sans double authentification",
  measures: "Réinstallation des serveurs, MFA sur le VPN",
  lessons: "Sauvegardes hors ligne testées tous les mois",
};
const inOneDay = () => new Date(Date.now() + 86_400_000).toISOString();

const inject = (method: "GET" | "POST" | "PATCH", url: string, headers: Headers, payload?: unknown) =>
  t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
const act = (id: string, headers: Headers, body: Record<string, unknown>) =>
  inject("POST", `/api/v1/incidents/${id}/transitions`, headers, body);
const logOf = async (id: string, headers: Headers = analyst) => {
  const res = await inject("GET", `/api/v1/incidents/${id}/log`, headers);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as { kind: string; visibility: string; body: Record<string, unknown> }[];
};
const verify = async (id: string) =>
  (await inject("GET", `/api/v1/incidents/${id}/log/verify`, analyst)).json();

async function declare(headers: Headers = rssiA, overrides: Parameters<typeof declaration>[0] = {}) {
  const res = await inject("POST", "/api/v1/incidents", headers, declaration(overrides));
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; reference: string };
}

beforeAll(async () => {
  t = await startTestApp();
  A = await createEstablishment(t.db, { name: "Clinique Alpha" });
  B = await createEstablishment(t.db, { name: "Centre Bravo" });
  const a = await createUser(t.db, { role: "analyst", name: "Anne Analyste" });
  analystUser = a;
  analyst = (await login(t.app, a.email)).bearer;
  otherAnalystUser = await createUser(t.db, { role: "analyst", name: "Bruno Analyste" });
  rssiA = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: A.id })).email))
    .bearer;
  rssiB = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: B.id })).email))
    .bearer;
  keyA = { authorization: `ApiKey ${(await createApiKey(t.db, A.id)).key}` };
  const tf = await createUser(t.db, { role: "taskforce", name: "Théo Taskforce" });
  taskforceUser = tf;
  taskforce = (await login(t.app, tf.email)).bearer;
  ars = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;
});
afterAll(() => t.close());

describe("lifecycle", () => {
  test("new → claimed (acknowledged) → investigating → containment → recovery → monitoring → closed", async () => {
    const { id } = await declare();
    const claimed = await inject("POST", `/api/v1/incidents/${id}/claim`, analyst);
    expect(claimed.statusCode, claimed.body).toBe(200);
    expect(claimed.json()).toMatchObject({
      status: "acknowledged",
      assignee: { id: analystUser.id, name: "Anne Analyste" },
      allowedActions: allowedActions("acknowledged"),
    });
    for (const [action, status] of [
      ["investigate", "investigating"],
      ["contain", "containment"],
      ["recover", "recovery"],
      ["monitor", "monitoring"],
    ] as const) {
      const res = await act(id, analyst, { action, note: `vers ${status}` });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().status).toBe(status);
    }
    const closed = await act(id, analyst, { action: "close", closure: CLOSURE });
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json()).toMatchObject({
      status: "closed",
      closure: CLOSURE,
      rsitClass: "malicious-code",
      allowedActions: ["reopen"],
    });
    const [row] = await t.db.select().from(incidents).where(eq(incidents.id, id));
    expect(row!.acknowledgedAt).not.toBeNull();
    expect(row!.containedAt).not.toBeNull();
    expect(row!.closedAt).not.toBeNull();

    const log = await logOf(id);
    expect(log.map((e) => e.kind)).toEqual([
      "declared",
      "assigned",
      "status_changed",
      "status_changed",
      "status_changed",
      "status_changed",
      "status_changed",
      "status_changed",
    ]);
    expect(log[1]!.body).toMatchObject({
      via: "claim",
      acknowledged: true,
      assignee: { id: analystUser.id },
    });
    expect(log[2]!.body).toEqual({ action: "acknowledge", from: "new", to: "acknowledged", via: "claim" });
    expect(log[3]!.body).toEqual({
      action: "investigate",
      from: "acknowledged",
      to: "investigating",
      note: "vers investigating",
    });
    expect(log.at(-1)!.body).toMatchObject({
      action: "close",
      from: "monitoring",
      to: "closed",
      closure: CLOSURE,
    });
    const changed = await t.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.aggregateId, id), eq(outbox.topic, "incident.changed")));
    expect(changed).toHaveLength(6);
    expect(changed[0]!.payload).toEqual({ incidentId: id });
    expect(await verify(id)).toMatchObject({ valid: true, entries: 8, firstBroken: null, missing: null });
  });

  test("an action the machine forbids answers 409 naming the actions allowed now", async () => {
    const { id } = await declare();
    const res = await act(id, analyst, { action: "contain" });
    expect(res.statusCode).toBe(409);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json()).toMatchObject({
      code: "transition_not_allowed",
      allowed: allowedActions("new"),
    });
    expect(res.json().allowed).toEqual(["acknowledge", "investigate", "reject", "merge"]);
    expect((await logOf(id)).map((e) => e.kind)).toEqual(["declared"]);
  });

  test("bodies are checked per action: reason, closure, follow-up date", async () => {
    const { id } = await declare();
    const noReason = await act(id, analyst, { action: "reject" });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().errors).toEqual([{ field: "/reason", message: "is required" }]);
    const unknown = await act(id, analyst, { action: "explode" });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors[0]).toMatchObject({ field: "/action" });
    expect(unknown.json().errors[0].message).toContain("acknowledge");
    const missing = await act(id, analyst, { reason: "x" });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors).toEqual([{ field: "/action", message: "is required" }]);
    const extra = await act(id, analyst, { action: "acknowledge", reason: "x" });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().errors).toEqual([{ field: "/reason", message: "is not a known field" }]);

    expect((await act(id, analyst, { action: "investigate" })).statusCode).toBe(200);
    const past = await act(id, analyst, {
      action: "wait_establishment",
      followUpAt: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(past.statusCode).toBe(400);
    expect(past.json().errors).toEqual([{ field: "/followUpAt", message: "must be in the future" }]);
    const noDate = await act(id, analyst, { action: "wait_establishment" });
    expect(noDate.json().errors).toEqual([{ field: "/followUpAt", message: "is required" }]);

    const undetermined = await act(id, analyst, {
      action: "close",
      closure: { ...CLOSURE, rsitClass: "other", rsitType: "undetermined" },
    });
    expect(undetermined.statusCode).toBe(400);
    expect(undetermined.json().errors[0].field).toBe("/closure/rsitType");
    const mismatched = await act(id, analyst, { action: "close", closure: { ...CLOSURE, rsitType: "spam" } });
    expect(mismatched.statusCode).toBe(400);
    const incomplete = await act(id, analyst, {
      action: "close",
      closure: { rsitClass: "malicious-code", rsitType: "infected-system" },
    });
    expect(incomplete.statusCode).toBe(400);
    expect(
      incomplete
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(["/closure/lessons", "/closure/measures", "/closure/rootCause"]);
    expect((await inject("GET", `/api/v1/incidents/${id}`, analyst)).json().status).toBe("investigating");
  });

  test("reject and reopen need a reason; reopening a closed incident clears its closing", async () => {
    const { id } = await declare();
    const rejected = await act(id, analyst, { action: "reject", reason: "Simple panne électrique" });
    expect(rejected.json()).toMatchObject({ status: "rejected", allowedActions: ["reopen"] });
    const reopened = await act(id, analyst, { action: "reopen", reason: "Rançon découverte le lendemain" });
    expect(reopened.json()).toMatchObject({ status: "investigating" });
    await act(id, analyst, { action: "close", closure: CLOSURE });
    const again = await act(id, analyst, { action: "reopen", reason: "Réinfection" });
    expect(again.json()).toMatchObject({ status: "investigating", closure: null });
    const [row] = await t.db.select().from(incidents).where(eq(incidents.id, id));
    expect(row!.closedAt).toBeNull();
    const log = await logOf(id);
    expect(log.filter((e) => e.kind === "status_changed").map((e) => e.body.reason ?? null)).toEqual([
      "Simple panne électrique",
      "Rançon découverte le lendemain",
      null,
      "Réinfection",
    ]);
  });

  test("waiting on the establishment with a follow-up date, then resuming where it was", async () => {
    const { id } = await declare();
    await act(id, analyst, { action: "investigate" });
    await act(id, analyst, { action: "contain" });
    const followUpAt = inOneDay();
    const waiting = await act(id, analyst, {
      action: "wait_establishment",
      followUpAt,
      reason: "Journaux du pare-feu",
    });
    expect(waiting.json()).toMatchObject({
      status: "waiting_establishment",
      followUpAt: new Date(followUpAt).toISOString(),
      allowedActions: ["resume", "merge"],
    });
    const [row] = await t.db.select().from(incidents).where(eq(incidents.id, id));
    expect(row!.previousStatus).toBe("containment");
    const resumed = await act(id, analyst, { action: "resume" });
    expect(resumed.json()).toMatchObject({ status: "containment", followUpAt: null });
    const [after] = await t.db.select().from(incidents).where(eq(incidents.id, id));
    expect(after!.previousStatus).toBeNull();
    const third = await act(id, analyst, { action: "wait_third_party", followUpAt: inOneDay() });
    expect(third.json().status).toBe("waiting_third_party");
    expect((await act(id, analyst, { action: "resume" })).json().status).toBe("containment");
  });

  test("merge into an open duplicate: not itself, not a closed one, not an unknown one", async () => {
    const target = await declare(rssiA, { title: "Doublon cible" });
    const closedOne = await declare();
    await act(closedOne.id, analyst, { action: "reject", reason: "Erreur" });
    const { id } = await declare();
    for (const [mergeInto, message] of [
      [id, "is this incident itself"],
      [closedOne.id, "is rejected: merge into an open incident"],
      ["01900000-0000-7000-8000-000000000000", "is not an incident you can see"],
    ] as const) {
      const res = await act(id, analyst, { action: "merge", mergeInto });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([{ field: "/mergeInto", message }]);
    }
    const merged = await act(id, analyst, { action: "merge", mergeInto: target.id });
    expect(merged.statusCode, merged.body).toBe(200);
    expect(merged.json()).toMatchObject({ status: "merged", mergedIntoId: target.id, allowedActions: [] });
    expect((await act(id, analyst, { action: "reopen", reason: "x" })).json()).toMatchObject({
      code: "transition_not_allowed",
      allowed: [],
    });
    const targetLog = await logOf(target.id);
    expect(targetLog.at(-1)).toMatchObject({ kind: "merged_from", body: { incident: { id } } });
    // Same establishment: the RSSI may see where it went.
    expect((await inject("GET", `/api/v1/incidents/${id}`, rssiA)).json().mergedIntoId).toBe(target.id);
    expect((await verify(target.id)).valid).toBe(true);
  });

  test("merged into another establishment's incident: the RSSI does not learn which", async () => {
    const other = await declare(rssiB);
    const { id } = await declare();
    expect((await act(id, analyst, { action: "merge", mergeInto: other.id })).statusCode).toBe(200);
    const seen = (await inject("GET", `/api/v1/incidents/${id}`, rssiA)).json();
    expect(seen).toMatchObject({ status: "merged", mergedIntoId: null });
    const shared = await logOf(id, rssiA);
    expect(JSON.stringify(shared)).not.toContain(other.id);
    expect(JSON.stringify(shared)).not.toContain(other.reference);
  });
});

describe("assignment", () => {
  test("claim, assign to another analyst, unassign; each written once to the main courante", async () => {
    const { id } = await declare();
    expect((await inject("POST", `/api/v1/incidents/${id}/claim`, analyst)).statusCode).toBe(200);
    expect((await inject("POST", `/api/v1/incidents/${id}/claim`, analyst)).statusCode).toBe(200);
    const assigned = await inject("POST", `/api/v1/incidents/${id}/assign`, analyst, {
      userId: otherAnalystUser.id,
    });
    expect(assigned.json()).toMatchObject({ status: "acknowledged", assignee: { id: otherAnalystUser.id } });
    const unassigned = await inject("POST", `/api/v1/incidents/${id}/unassign`, analyst);
    expect(unassigned.json().assignee).toBeNull();
    const assignments = (await logOf(id)).filter((e) => e.kind === "assigned").map((e) => e.body.via);
    expect(assignments).toEqual(["claim", "assign", "unassign"]);
  });

  test("only active analysts (or the task force on a crisis cell) can be assigned", async () => {
    const { id } = await declare();
    const rssiUser = await createUser(t.db, { role: "rssi", establishmentId: A.id });
    const inactive = await createUser(t.db, { role: "analyst", active: false });
    for (const userId of [
      rssiUser.id,
      inactive.id,
      taskforceUser.id,
      "01900000-0000-7000-8000-000000000000",
    ]) {
      const res = await inject("POST", `/api/v1/incidents/${id}/assign`, analyst, { userId });
      expect(res.statusCode, userId).toBe(400);
      expect(res.json().errors[0].field).toBe("/userId");
    }
  });

  test("a closed incident is not assigned", async () => {
    const { id } = await declare();
    await act(id, analyst, { action: "reject", reason: "Pas un incident" });
    const res = await inject("POST", `/api/v1/incidents/${id}/claim`, analyst);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: "incident_not_open", allowed: ["reopen"] });
  });
});

describe("qualification and escalation", () => {
  test("changing the severity needs a reason; RSIT pairs and TLP are checked", async () => {
    const { id } = await declare();
    const noReason = await inject("PATCH", `/api/v1/incidents/${id}/qualification`, analyst, {
      severity: "P4",
    });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().errors).toEqual([
      { field: "/reason", message: "is required when the severity changes" },
    ]);
    const badPair = await inject("PATCH", `/api/v1/incidents/${id}/qualification`, analyst, {
      rsitType: "spam",
    });
    expect(badPair.statusCode).toBe(400);
    expect(badPair.json().errors[0].field).toBe("/rsitType");
    const empty = await inject("PATCH", `/api/v1/incidents/${id}/qualification`, analyst, {});
    expect(empty.statusCode).toBe(400);
    const ok = await inject("PATCH", `/api/v1/incidents/${id}/qualification`, analyst, {
      severity: "P4",
      reason: "Un seul poste, isolé",
      rsitClass: "fraud",
      rsitType: "phishing",
      tlp: "GREEN",
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({
      severity: "P4",
      rsitClass: "fraud",
      rsitType: "phishing",
      tlp: "GREEN",
      crisisCell: false,
    });
    const [row] = await t.db.select().from(incidents).where(eq(incidents.id, id));
    expect(row!.severityOverrideReason).toBe("Un seul poste, isolé");
    const entry = (await logOf(id)).at(-1)!;
    expect(entry).toMatchObject({ kind: "qualified", visibility: "internal" });
    expect(entry.body).toMatchObject({
      reason: "Un seul poste, isolé",
      changes: { severity: { to: "P4" }, tlp: { from: "AMBER", to: "GREEN" } },
    });
    // The same values again change nothing and write nothing.
    const entries = (await logOf(id)).length;
    await inject("PATCH", `/api/v1/incidents/${id}/qualification`, analyst, { tlp: "GREEN" });
    expect(await logOf(id)).toHaveLength(entries);
  });

  test("raising to P1 opens the crisis cell: outbox row, and the task force gains access and may act", async () => {
    const { id } = await declare(rssiA, { impactGrade: 1 });
    expect((await inject("GET", `/api/v1/incidents/${id}`, taskforce)).statusCode).toBe(404);
    expect((await inject("GET", `/api/v1/incidents/${id}/log`, taskforce)).statusCode).toBe(404);
    const before = (await inject("GET", "/api/v1/incidents?limit=100", taskforce)).json();
    expect(before.items.map((i: { id: string }) => i.id)).not.toContain(id);

    const raised = await inject("PATCH", `/api/v1/incidents/${id}/qualification`, analyst, {
      severity: "P1",
      reason: "Plan blanc déclenché",
    });
    expect(raised.statusCode, raised.body).toBe(200);
    expect(raised.json()).toMatchObject({
      severity: "P1",
      crisisCell: true,
      escalatedAt: expect.any(String),
    });
    const escalations = await t.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.aggregateId, id), eq(outbox.topic, "incident.escalated")));
    expect(escalations.map((r) => r.payload)).toEqual([{ incidentId: id }]);
    expect((await logOf(id)).slice(-2).map((e) => [e.kind, e.visibility])).toEqual([
      ["qualified", "internal"],
      ["escalated", "shared"],
    ]);

    const seen = await inject("GET", `/api/v1/incidents/${id}`, taskforce);
    expect(seen.statusCode).toBe(200);
    expect(seen.json().allowedActions).toEqual(allowedActions("new"));
    expect(
      (await inject("GET", "/api/v1/incidents?limit=100", taskforce))
        .json()
        .items.map((i: { id: string }) => i.id),
    ).toContain(id);
    expect((await inject("POST", `/api/v1/incidents/${id}/claim`, taskforce)).json()).toMatchObject({
      status: "acknowledged",
      assignee: { id: taskforceUser.id },
    });
    // The ARS reads it and acts on nothing.
    expect((await inject("GET", `/api/v1/incidents/${id}`, ars)).json().allowedActions).toEqual([]);
    expect((await act(id, ars, { action: "investigate" })).statusCode).toBe(403);

    // Lowering the severity later leaves the crisis cell, and the task force's access, in place.
    const lowered = await inject("PATCH", `/api/v1/incidents/${id}/qualification`, analyst, {
      severity: "P2",
      reason: "Plan blanc levé",
    });
    expect(lowered.json()).toMatchObject({ severity: "P2", crisisCell: true });
    expect((await act(id, taskforce, { action: "investigate" })).statusCode).toBe(200);
    // Raising again does not mobilise twice.
    await inject("PATCH", `/api/v1/incidents/${id}/qualification`, analyst, {
      severity: "P1",
      reason: "Rechute",
    });
    const again = await t.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.aggregateId, id), eq(outbox.topic, "incident.escalated")));
    expect(again).toHaveLength(1);
  });

  test("a declaration suggested P1 is read by the task force, which acts once an analyst confirms it", async () => {
    const { id } = await declare(rssiA, { impactGrade: 5 });
    const seen = await inject("GET", `/api/v1/incidents/${id}`, taskforce);
    expect(seen.json()).toMatchObject({ severity: "P1", crisisCell: false, allowedActions: [] });
    expect((await act(id, taskforce, { action: "acknowledge" })).statusCode).toBe(403);
    const confirmed = await inject("PATCH", `/api/v1/incidents/${id}/qualification`, analyst, {
      severity: "P1",
    });
    expect(confirmed.json()).toMatchObject({ severity: "P1", crisisCell: true });
    expect((await logOf(id)).at(-1)!.kind).toBe("escalated");
    expect((await act(id, taskforce, { action: "acknowledge" })).statusCode).toBe(200);
  });
});

describe("main courante and tasks", () => {
  test("the establishment reads shared entries only, and answers with shared comments", async () => {
    const { id } = await declare();
    await inject("POST", `/api/v1/incidents/${id}/log`, analyst, { kind: "comment", text: "Note interne" });
    await inject("POST", `/api/v1/incidents/${id}/log`, analyst, {
      kind: "comment",
      text: "Pouvez-vous isoler le serveur ?",
      visibility: "shared",
    });
    const call = await inject("POST", `/api/v1/incidents/${id}/log`, analyst, {
      kind: "call",
      with: "DSI de la clinique",
      summary: "Sauvegardes intactes",
    });
    expect(call.statusCode).toBe(201);
    expect(call.json()).toMatchObject({
      kind: "call",
      visibility: "internal",
      seq: 4,
      actor: { kind: "user", id: analystUser.id, name: "Anne Analyste" },
      body: { with: "DSI de la clinique", summary: "Sauvegardes intactes" },
    });
    for (const headers of [rssiA, keyA]) {
      const res = await inject("POST", `/api/v1/incidents/${id}/log`, headers, {
        kind: "comment",
        text: "Serveur isolé à 10 h",
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().visibility).toBe("shared");
    }
    const action = await inject("POST", `/api/v1/incidents/${id}/log`, rssiA, {
      kind: "action",
      text: "Mots de passe réinitialisés",
    });
    expect(action.statusCode).toBe(201);
    const internal = await inject("POST", `/api/v1/incidents/${id}/log`, rssiA, {
      kind: "comment",
      text: "x",
      visibility: "internal",
    });
    expect(internal.statusCode).toBe(400);
    const rssiCall = await inject("POST", `/api/v1/incidents/${id}/log`, rssiA, {
      kind: "call",
      with: "x",
      summary: "y",
    });
    expect(rssiCall.statusCode).toBe(403);

    const seenByRssi = await logOf(id, rssiA);
    expect(seenByRssi.every((e) => e.visibility === "shared")).toBe(true);
    expect(seenByRssi.map((e) => e.kind)).toEqual(["declared", "comment", "comment", "comment", "action"]);
    expect(JSON.stringify(seenByRssi)).not.toContain("Note interne");
    expect(await logOf(id, keyA)).toEqual(seenByRssi);
    expect(await logOf(id)).toHaveLength(7);
    const page = await inject("GET", `/api/v1/incidents/${id}/log?limit=3`, analyst);
    expect(page.json().nextAfterSeq).toBe(3);
    const rest = await inject("GET", `/api/v1/incidents/${id}/log?afterSeq=3`, analyst);
    expect(rest.json().items.map((e: { seq: number }) => e.seq)).toEqual([4, 5, 6, 7]);
    expect(rest.json().nextAfterSeq).toBeNull();
    expect((await verify(id)).valid).toBe(true);
  });

  test("tasks with an owner and a due date, done once", async () => {
    const { id } = await declare();
    const dueAt = inOneDay();
    const created = await inject("POST", `/api/v1/incidents/${id}/tasks`, analyst, {
      title: "Récupérer les journaux du VPN",
      ownerUserId: otherAnalystUser.id,
      dueAt,
    });
    expect(created.statusCode, created.body).toBe(201);
    const task = created.json();
    expect(task).toMatchObject({
      title: "Récupérer les journaux du VPN",
      owner: { id: otherAnalystUser.id },
      doneAt: null,
    });
    const badOwner = await inject("POST", `/api/v1/incidents/${id}/tasks`, analyst, {
      title: "x",
      ownerUserId: taskforceUser.id,
    });
    expect(badOwner.statusCode).toBe(400);
    const done = await inject("POST", `/api/v1/incidents/${id}/tasks/${task.id}/done`, analyst);
    expect(done.statusCode).toBe(200);
    expect(done.json().doneAt).toEqual(expect.any(String));
    const twice = await inject("POST", `/api/v1/incidents/${id}/tasks/${task.id}/done`, analyst);
    expect(twice.statusCode).toBe(409);
    const other = await declare();
    const elsewhere = await inject("POST", `/api/v1/incidents/${other.id}/tasks/${task.id}/done`, analyst);
    expect(elsewhere.statusCode).toBe(404);
    const list = await inject("GET", `/api/v1/incidents/${id}/tasks`, analyst);
    expect(list.json().items).toHaveLength(1);
    expect((await logOf(id)).slice(-2).map((e) => e.kind)).toEqual(["task_added", "task_done"]);
  });
});

describe("scope of every new route", () => {
  const routes = (id: string, taskId: string) =>
    [
      ["POST", `/api/v1/incidents/${id}/transitions`, { action: "acknowledge" }],
      ["POST", `/api/v1/incidents/${id}/claim`, undefined],
      ["POST", `/api/v1/incidents/${id}/assign`, { userId: analystUser.id }],
      ["POST", `/api/v1/incidents/${id}/unassign`, undefined],
      ["PATCH", `/api/v1/incidents/${id}/qualification`, { tlp: "RED" }],
      ["GET", `/api/v1/incidents/${id}/log`, undefined],
      ["POST", `/api/v1/incidents/${id}/log`, { kind: "comment", text: "Bonjour" }],
      ["GET", `/api/v1/incidents/${id}/log/verify`, undefined],
      ["GET", `/api/v1/incidents/${id}/tasks`, undefined],
      ["POST", `/api/v1/incidents/${id}/tasks`, { title: "Tâche" }],
      ["POST", `/api/v1/incidents/${id}/tasks/${taskId}/done`, undefined],
    ] as const;

  /**
   * Another establishment's incident answers exactly as a missing one: 404 where the role may call the
   * route, and where it may not, the same 403 it gets for any incident at all, before anything is read.
   */
  async function expectLikeMissing(headers: Record<string, string>, id: string, taskId: string) {
    const missing = routes(randomUUID(), randomUUID());
    for (const [i, [method, url, body]] of routes(id, taskId).entries()) {
      const res = await inject(method, url, headers, body);
      const [, missingUrl] = missing[i]!;
      const reference = await inject(method, missingUrl, headers, body);
      expect([403, 404], `${method} ${url}`).toContain(res.statusCode);
      expect(res.statusCode, `${method} ${url}`).toBe(reference.statusCode);
      expect({ ...res.json(), requestId: "" }).toEqual({ ...reference.json(), requestId: "" });
      expect(res.body).not.toContain("Bravo");
    }
  }

  test("the RSSI and the API key of A get on B's incident what a missing one gets", async () => {
    const incidentB = await declare(rssiB, { title: "Secret de Bravo" });
    const task = (
      await inject("POST", `/api/v1/incidents/${incidentB.id}/tasks`, analyst, { title: "t" })
    ).json();
    const entries = (await logOf(incidentB.id)).length;
    for (const headers of [rssiA, keyA]) await expectLikeMissing(headers, incidentB.id, task.id);
    expect(await logOf(incidentB.id)).toHaveLength(entries);
    expect((await inject("GET", `/api/v1/incidents/${incidentB.id}`, analyst)).json().status).toBe("new");
  });

  test("on its own incident the establishment reads and comments, and acts on nothing else (403)", async () => {
    const own = await declare();
    const task = (await inject("POST", `/api/v1/incidents/${own.id}/tasks`, analyst, { title: "t" })).json();
    for (const headers of [rssiA, keyA]) {
      for (const [method, url, body] of routes(own.id, task.id)) {
        const res = await inject(method, url, headers, body);
        const expected = url.endsWith("/log") ? (method === "GET" ? 200 : 201) : 403;
        expect(res.statusCode, `${method} ${url} ${res.body}`).toBe(expected);
      }
    }
    expect((await inject("GET", `/api/v1/incidents/${own.id}`, rssiA)).json().allowedActions).toEqual([]);
  });

  test("the task force and the ARS: like a missing one before escalation; after it the ARS reads and does nothing", async () => {
    const { id } = await declare(rssiA, { impactGrade: 1 });
    const task = (await inject("POST", `/api/v1/incidents/${id}/tasks`, analyst, { title: "t" })).json();
    for (const headers of [taskforce, ars]) await expectLikeMissing(headers, id, task.id);
    await inject("PATCH", `/api/v1/incidents/${id}/qualification`, analyst, {
      severity: "P1",
      reason: "Crise",
    });
    for (const [method, url, body] of routes(id, task.id)) {
      const res = await inject(method, url, ars, body);
      const expected = method === "GET" && !url.endsWith("/verify") ? 200 : 403;
      expect(res.statusCode, `${method} ${url} ${res.body}`).toBe(expected);
    }
  });

  test("without credentials: 401", async () => {
    const { id } = await declare();
    for (const [method, url, body] of routes(id, id)) {
      expect((await inject(method, url, {}, body)).statusCode, `${method} ${url}`).toBe(401);
    }
  });
});

describe("robustness", () => {
  test("concurrent writers on one incident: the row lock keeps the chain whole", async () => {
    const { id } = await declare();
    await Promise.all([
      ...Array.from({ length: 8 }, (_, i) =>
        inject("POST", `/api/v1/incidents/${id}/log`, i % 2 ? analyst : rssiA, {
          kind: "comment",
          text: `n°${i}`,
        }),
      ),
      inject("POST", `/api/v1/incidents/${id}/claim`, analyst),
      act(id, analyst, { action: "investigate" }),
      inject("PATCH", `/api/v1/incidents/${id}/qualification`, analyst, { tlp: "GREEN" }),
    ]).then((answers) => {
      for (const res of answers) expect(res.statusCode, res.body).toBeLessThan(500);
    });
    const result = await verify(id);
    expect(result.valid).toBe(true);
    expect(result.entries).toBeGreaterThanOrEqual(12);
  });

  test("random JSON bodies on the new write routes never answer 5xx", async () => {
    const { id } = await declare();
    const task = (await inject("POST", `/api/v1/incidents/${id}/tasks`, analyst, { title: "t" })).json();
    const urls: ["POST" | "PATCH", string][] = [
      ["POST", `/api/v1/incidents/${id}/transitions`],
      ["POST", `/api/v1/incidents/${id}/assign`],
      ["PATCH", `/api/v1/incidents/${id}/qualification`],
      ["POST", `/api/v1/incidents/${id}/log`],
      ["POST", `/api/v1/incidents/${id}/tasks`],
      ["POST", `/api/v1/incidents/${id}/tasks/${task.id}/done`],
      ["POST", `/api/v1/incidents/${id}/claim`],
    ];
    const tagged = fc.record(
      {
        action: fc.oneof(fc.constantFrom("close", "merge", "wait_establishment", "reject"), fc.string()),
        kind: fc.oneof(fc.constantFrom("comment", "call", "action"), fc.string()),
        reason: fc.oneof(fc.string(), fc.integer()),
        mergeInto: fc.oneof(fc.uuid(), fc.string()),
        followUpAt: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string(),
        ),
        closure: fc.jsonValue({ maxDepth: 2 }),
        text: fc.string(),
        severity: fc.constantFrom("P1", "P2", "P5"),
        userId: fc.oneof(fc.uuid(), fc.string()),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...urls),
        fc.oneof(fc.jsonValue({ maxDepth: 3 }), tagged),
        async ([method, url], body) => {
          const res = await t.app.inject({
            method,
            url,
            headers: { ...analyst, "content-type": "application/json" },
            payload: JSON.stringify(body),
          });
          expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)} → ${res.body}`).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
    expect((await verify(id)).valid).toBe(true);
  });
});

describe("the queue's next deadline", () => {
  test("follows the acknowledgement service level, the severity before acknowledgement, and the clocks", async () => {
    const { id } = await declare(rssiA, { impactGrade: 2 });
    const row = async () => (await t.db.select().from(incidents).where(eq(incidents.id, id)))[0]!;
    const clocks = await t.db.select().from(incidentClocks).where(eq(incidentClocks.incidentId, id));
    const firstClock = Math.min(...clocks.map((c) => c.dueAt.getTime()), Number.POSITIVE_INFINITY);
    const minutes = (severity: "P1" | "P2" | "P3" | "P4") => t.config[`SLA_ACK_MINUTES_${severity}`];

    const declared = await row();
    expect(declared.nextDeadlineAt!.getTime()).toBe(Math.min(declared.ackDueAt!.getTime(), firstClock));
    // Raised before anyone acknowledged it: the service level is the new severity's, from the declaration.
    await inject("PATCH", `/api/v1/incidents/${id}/qualification`, analyst, {
      severity: "P2",
      reason: "Étendu",
    });
    const raised = await row();
    expect(raised.ackDueAt!.getTime()).toBe(raised.declaredAt.getTime() + minutes("P2") * 60_000);
    expect(raised.nextDeadlineAt!.getTime()).toBe(Math.min(raised.ackDueAt!.getTime(), firstClock));
    // Acknowledged: only the regulatory clocks remain.
    await inject("POST", `/api/v1/incidents/${id}/claim`, analyst);
    const acknowledged = await row();
    expect(acknowledged.nextDeadlineAt?.getTime() ?? Number.POSITIVE_INFINITY).toBe(firstClock);
    // Rejected: not an incident, nothing to chase.
    await act(id, analyst, { action: "reject", reason: "Faux positif" });
    expect((await row()).nextDeadlineAt).toBeNull();
  });
});
