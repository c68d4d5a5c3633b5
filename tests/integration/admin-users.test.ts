import { auditLog, incidents } from "@pris/db";
import type { AuditPage } from "@pris/domain";
import { parse } from "csv-parse/sync";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createEstablishment,
  createGht,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * Issue 11: the users administered (role, scope, active or not) with the changes that would orphan data
 * refused, and the administration trail read, filtered and exported.
 */
let t: TestApp;
let adminUser: Awaited<ReturnType<typeof createUser>>;
let admin: Record<string, string>;
const NON_EXISTENT = "01900000-0000-7000-8000-000000000000";

type Headers = Record<string, string>;
const call = (method: "GET" | "POST" | "PATCH", url: string, payload?: object, headers: Headers = admin) =>
  t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
const patch = (id: string, payload: object, headers: Headers = admin) =>
  call("PATCH", `/api/v1/users/${id}`, payload, headers);
const auditOf = async (objectId: string) =>
  (await call("GET", `/api/v1/audit?objectKind=user&objectId=${objectId}`)).json().items as {
    action: string;
    actor: { userId: string | null; label: string };
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
  }[];

beforeAll(async () => {
  t = await startTestApp();
  adminUser = await createUser(t.db, { role: "admin", name: "Alice Admin" });
  admin = (await login(t.app, adminUser.email)).bearer;
});
afterAll(() => t.close());

describe("the users list", () => {
  test("filters by role, establishment, GHT, activity and text, and pages through all of them", async () => {
    const ght = await createGht(t.db, "GHT Filtres");
    const member = await createEstablishment(t.db, { name: "CH Membre", ghtId: ght.id });
    const alone = await createEstablishment(t.db, { name: "Clinique Seule" });
    const own = await createUser(t.db, { role: "rssi", establishmentId: member.id, name: "Rose Membre" });
    const wide = await createUser(t.db, { role: "rssi", ghtId: ght.id, name: "Gérard Groupement" });
    const other = await createUser(t.db, { role: "rssi", establishmentId: alone.id, name: "Odile Seule" });
    const gone = await createUser(t.db, { role: "analyst", active: false, name: "Paul 100%_Parti" });
    for (let i = 0; i < 23; i++) await createUser(t.db, { role: "analyst", name: `Analyste ${i}` });

    const ids = async (query: string) =>
      ((await call("GET", `/api/v1/users?limit=100&${query}`)).json().items as { id: string }[]).map(
        (u) => u.id,
      );
    expect(new Set(await ids(`establishmentId=${member.id}`))).toEqual(new Set([own.id, wide.id]));
    expect(new Set(await ids(`ghtId=${ght.id}`))).toEqual(new Set([own.id, wide.id]));
    expect(await ids(`establishmentId=${alone.id}`)).toEqual([other.id]);
    expect(await ids("active=false")).toEqual([gone.id]);
    expect(await ids("q=100%25_")).toEqual([gone.id]);
    expect(await ids("q=GROUPEMENT")).toEqual([wide.id]);
    expect(await ids(`q=${encodeURIComponent(other.email.toUpperCase())}`)).toEqual([other.id]);
    const rssis = (await call("GET", "/api/v1/users?role=rssi&limit=100")).json();
    expect(rssis.total).toBe(3);
    const detail = (await call("GET", `/api/v1/users/${wide.id}`)).json();
    expect(detail).toMatchObject({ ghtId: ght.id, ghtName: "GHT Filtres", establishmentName: null });
    expect(detail).not.toHaveProperty("passwordHash");

    const seen: string[] = [];
    let cursor: string | null = null;
    let total = 0;
    do {
      const res = await call("GET", `/api/v1/users?limit=7${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.statusCode).toBe(200);
      const page = res.json();
      total = page.total;
      seen.push(...page.items.map((u: { id: string }) => u.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
    expect(total).toBeGreaterThanOrEqual(28);

    const badCursor = await call("GET", "/api/v1/users?cursor=nope");
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json().errors[0].field).toBe("/cursor");
    expect((await call("GET", "/api/v1/users?ghtId=pas-un-id")).statusCode).toBe(400);
    expect((await call("GET", `/api/v1/users/${NON_EXISTENT}`)).statusCode).toBe(404);
  });
});

describe("changing a user", () => {
  test("role, scope, name, phone and password are changed and traced, never the password itself", async () => {
    const est = await createEstablishment(t.db, { name: "CH Trace" });
    const ght = await createGht(t.db, "GHT Trace");
    const created = await call("POST", "/api/v1/users", {
      email: "Nouvel.RSSI@pris.test",
      displayName: "Nouvel RSSI",
      role: "rssi",
      establishmentId: est.id,
      password: "un mot de passe assez long",
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect(created.json()).toMatchObject({ establishmentName: "CH Trace", active: true });
    const [creation] = await auditOf(id);
    expect(creation).toMatchObject({
      action: "user.create",
      actor: { userId: adminUser.id, label: "Alice Admin" },
      before: null,
      after: { email: "nouvel.rssi@pris.test", role: "rssi", establishment: "CH Trace", active: true },
    });

    // Naming a GHT moves the RSSI from the establishment to it.
    const toGht = await patch(id, { ghtId: ght.id, phone: "+262 692 11 22 33" });
    expect(toGht.statusCode).toBe(200);
    expect(toGht.json()).toMatchObject({ ghtId: ght.id, establishmentId: null, phone: "+262 692 11 22 33" });
    // Another role drops the scope without being told to.
    const analyst = await patch(id, { role: "analyst", displayName: "Nouvel Analyste" });
    expect(analyst.json()).toMatchObject({ role: "analyst", ghtId: null, establishmentId: null });
    const password = await patch(id, { password: "un autre mot de passe long" });
    expect(password.statusCode).toBe(200);
    await login(t.app, "nouvel.rssi@pris.test", "un autre mot de passe long");

    const entries = await auditOf(id);
    expect(entries.map((e) => e.action)).toEqual([
      "user.update",
      "user.update",
      "user.update",
      "user.create",
    ]);
    const [pw, role, move] = entries;
    expect(move).toMatchObject({
      before: { establishment: "CH Trace", establishmentId: est.id, ght: null, ghtId: null, phone: null },
      after: { establishment: null, establishmentId: null, ght: "GHT Trace", ghtId: ght.id },
    });
    expect(Object.keys(move!.after!).sort()).toEqual(
      ["establishment", "establishmentId", "ght", "ghtId", "phone"].sort(),
    );
    expect(role).toMatchObject({
      before: { role: "rssi", displayName: "Nouvel RSSI", ght: "GHT Trace" },
      after: { role: "analyst", displayName: "Nouvel Analyste", ght: null },
    });
    expect(pw).toMatchObject({ before: { passwordChanged: false }, after: { passwordChanged: true } });
    expect(Object.keys(pw!.after!)).toEqual(["passwordChanged"]);
    const stored = await t.db.select().from(auditLog).where(eq(auditLog.objectId, id));
    const text = JSON.stringify(stored);
    expect(text).not.toMatch(/argon2|mot de passe|passwordHash/);
  });

  test("deactivating and reactivating are their own actions; a deactivated user cannot sign in", async () => {
    const user = await createUser(t.db, { role: "ars", name: "Armelle ARS" });
    const session = (await login(t.app, user.email)).bearer;
    expect((await call("GET", "/api/v1/auth/session", undefined, session)).statusCode).toBe(200);
    const off = await patch(user.id, { active: false });
    expect((await call("GET", "/api/v1/auth/session", undefined, session)).statusCode).toBe(401);
    expect(off.json().active).toBe(false);
    const signIn = await t.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { email: user.email, password: user.password },
    });
    expect(signIn.statusCode).toBe(401);
    await patch(user.id, { active: true });
    const entries = await auditOf(user.id);
    expect(entries.map((e) => e.action)).toEqual(["user.reactivate", "user.deactivate"]);
    expect(entries[1]).toMatchObject({ before: { active: true }, after: { active: false } });
    // Nothing changed, nothing written.
    await patch(user.id, { active: true });
    expect(await auditOf(user.id)).toHaveLength(2);
  });

  test("bad input names the field", async () => {
    const user = await createUser(t.db, { role: "analyst" });
    const rssiWithout = await patch(user.id, { role: "rssi" });
    expect(rssiWithout.statusCode).toBe(400);
    expect(rssiWithout.json().errors[0].field).toBe("/establishmentId");
    const unknown = await patch(user.id, { role: "rssi", establishmentId: NON_EXISTENT });
    expect(unknown.json().errors).toEqual([
      { field: "/establishmentId", message: "is not a known establishment" },
    ]);
    const ght = await patch(user.id, { role: "analyst", ghtId: NON_EXISTENT });
    expect(ght.statusCode).toBe(400);
    expect((await patch(user.id, {})).statusCode).toBe(400);
    expect((await patch(user.id, { role: "chef" })).json().errors[0].field).toBe("/role");
    expect((await patch(NON_EXISTENT, { displayName: "X" })).statusCode).toBe(404);
  });
});

describe("changes that would orphan data are refused with 409", () => {
  test("the last active administrator cannot be deactivated or demoted", async () => {
    const others = (await call("GET", "/api/v1/users?role=admin&active=true&limit=100")).json().items as {
      id: string;
    }[];
    for (const o of others.filter((o) => o.id !== adminUser.id)) {
      expect((await patch(o.id, { active: false })).statusCode).toBe(200);
    }
    const second = await createUser(t.db, { role: "admin", active: false });

    const deactivate = await patch(adminUser.id, { active: false });
    expect(deactivate.statusCode).toBe(409);
    expect(deactivate.json()).toMatchObject({ code: "last_admin", errors: [{ field: "/active" }] });
    const demote = await patch(adminUser.id, { role: "ars" });
    expect(demote.json()).toMatchObject({ code: "last_admin", errors: [{ field: "/role" }] });
    expect((await call("GET", `/api/v1/users/${adminUser.id}`)).json()).toMatchObject({
      role: "admin",
      active: true,
    });
    expect(await auditOf(adminUser.id)).toEqual([]);

    // With a second active administrator, either may go.
    expect((await patch(second.id, { active: true })).statusCode).toBe(200);
    expect((await patch(second.id, { role: "analyst" })).statusCode).toBe(200);
    expect((await patch(adminUser.id, { role: "ars" })).statusCode).toBe(409);
  });

  test("two administrators demoting each other at once: one of them stays", async () => {
    const x = await createUser(t.db, { role: "admin" });
    const y = await createUser(t.db, { role: "admin" });
    const activeAdmins = async () =>
      (await t.db.execute(sql`SELECT id FROM users WHERE role = 'admin' AND active`)).rows.map((r) => r.id);
    const behindTheRules = async (statement: ReturnType<typeof sql>) => {
      await t.db.execute(statement);
      t.app.directoryCache.invalidate();
    };
    await behindTheRules(sql`UPDATE users SET active = false WHERE id = ${adminUser.id}`);
    try {
      for (let round = 0; round < 5; round++) {
        // The demoted one's sessions end with their role: both sign in again each round.
        const xs = (await login(t.app, x.email)).bearer;
        const ys = (await login(t.app, y.email)).bearer;
        const [demoteY, demoteX] = await Promise.all([
          patch(y.id, { role: "ars" }, xs),
          patch(x.id, { role: "ars" }, ys),
        ]);
        const codes = [demoteY!.statusCode, demoteX!.statusCode];
        expect(codes.filter((c) => c === 200)).toHaveLength(1);
        // The other was refused: by the rule, or because its author had just stopped being an administrator
        // (403; or 401, their sessions having ended with their role).
        expect(codes.filter((c) => c === 409 || c === 403 || c === 401)).toHaveLength(1);
        expect(await activeAdmins()).toHaveLength(1);
        await behindTheRules(sql`UPDATE users SET role = 'admin' WHERE id IN (${x.id}, ${y.id})`);
      }
    } finally {
      await behindTheRules(sql`UPDATE users SET active = (id = ${adminUser.id}) WHERE role = 'admin'`);
    }
    expect(await activeAdmins()).toEqual([adminUser.id]);
  });

  test("the only active RSSI of an establishment with open incidents stays, until another covers it", async () => {
    const ght = await createGht(t.db, "GHT Incidents");
    const est = await createEstablishment(t.db, { name: "CH Incident Ouvert", ghtId: ght.id });
    const quiet = await createEstablishment(t.db, { name: "EHPAD Tranquille" });
    const rssi = await createUser(t.db, { role: "rssi", establishmentId: est.id });
    const quietRssi = await createUser(t.db, { role: "rssi", establishmentId: quiet.id });
    const rssiLogin = (await login(t.app, rssi.email)).bearer;
    const quietLogin = (await login(t.app, quietRssi.email)).bearer;
    const declared = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: rssiLogin,
      payload: declaration(),
    });
    expect(declared.statusCode).toBe(201);
    const closed = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: quietLogin,
      payload: declaration(),
    });
    await t.db.update(incidents).set({ status: "rejected" }).where(eq(incidents.id, closed.json().id));

    for (const [body, field] of [
      [{ active: false }, "/active"],
      [{ role: "analyst" }, "/role"],
      [{ establishmentId: quiet.id }, "/establishmentId"],
    ] as const) {
      const res = await patch(rssi.id, body);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({
        code: "only_rssi_with_open_incidents",
        errors: [{ field, message: expect.stringContaining("CH Incident Ouvert") }],
      });
    }
    // Closed or rejected incidents do not hold their RSSI.
    expect((await patch(quietRssi.id, { active: false })).statusCode).toBe(200);

    // A GHT-wide RSSI covers the establishment: the first may go, and the GHT-wide one is then the only one.
    const wide = await createUser(t.db, { role: "rssi", ghtId: ght.id });
    expect((await patch(rssi.id, { active: false })).statusCode).toBe(200);
    const wideOff = await patch(wide.id, { active: false });
    expect(wideOff.statusCode).toBe(409);
    expect(wideOff.json().code).toBe("only_rssi_with_open_incidents");
    // Moving within its scope (the establishment it covers stays covered) is fine.
    expect((await patch(wide.id, { establishmentId: est.id })).statusCode).toBe(200);
  });
});

describe("the administration trail", () => {
  test("filters by actor, object, action prefix, period and label, newest first with a cursor", async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const secondAdmin = await createUser(t.db, { role: "admin", name: "Bernard Second" });
    const secondLogin = (await login(t.app, secondAdmin.email)).bearer;
    const subject = await createUser(t.db, { role: "taskforce", name: "Zoé Cible" });
    for (const name of ["Zoé Un", "Zoé Deux", "Zoé Trois"]) await patch(subject.id, { displayName: name });
    await patch(subject.id, { active: false }, secondLogin);

    const list = async (query: string) => {
      const res = await call("GET", `/api/v1/audit?${query}`);
      expect(res.statusCode).toBe(200);
      return (res.json() as AuditPage).items;
    };
    const bySecond = await list(`actorUserId=${secondAdmin.id}`);
    expect(bySecond.map((e) => e.action)).toEqual(["user.deactivate"]);
    expect(bySecond[0]!.actor.label).toBe("Bernard Second");
    expect((await list(`objectId=${subject.id}&action=user.update`)).length).toBe(3);
    expect((await list(`objectId=${subject.id}&action=user.deac`)).length).toBe(1);
    expect((await list("action=territory.")).length).toBe(0);
    expect((await list(`q=${encodeURIComponent("zoé deux")}`)).map((e) => e.objectLabel)).toEqual([
      `Zoé Deux (${subject.email})`,
    ]);
    expect((await list(`objectId=${subject.id}&from=${before}`)).length).toBe(4);
    expect((await list(`objectId=${subject.id}&to=${before}`)).length).toBe(0);

    const all = await list("limit=200");
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: AuditPage = (
        await call("GET", `/api/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ""}`)
      ).json();
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.id));
    const times = all.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    expect((await call("GET", "/api/v1/audit?cursor=xyz")).statusCode).toBe(400);
    expect((await call("GET", "/api/v1/audit?from=hier")).json().errors[0].field).toMatch(/from/);
    expect((await call("GET", "/api/v1/audit?action=DROP%20TABLE")).statusCode).toBe(400);
  });

  test("exports the filtered trail as CSV with French headers and the region's dates", async () => {
    const subject = await createUser(t.db, { role: "ars", name: "=Formule Piège" });
    await patch(subject.id, { phone: "+262 692 99 88 77" });
    const res = await call("GET", `/api/v1/audit.csv?objectId=${subject.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(res.headers["content-disposition"]).toBe('attachment; filename="journal-administration.csv"');
    expect(res.body.startsWith("\uFEFF")).toBe(true);
    const rows = parse(res.body.slice(1), { delimiter: ";" }) as string[][];
    expect(rows[0]).toEqual([
      "Date",
      "Auteur",
      "Identifiant de l'auteur",
      "Action",
      "Type d'objet",
      "Identifiant de l'objet",
      "Objet",
      "Avant",
      "Après",
      "Adresse IP",
      "Identifiant de requête",
    ]);
    expect(rows).toHaveLength(2);
    const [date, author, authorId, action, kind, objectId, label, was, now] = rows[1]!;
    const [stored] = await t.db.select().from(auditLog).where(eq(auditLog.objectId, subject.id));
    const expected = new Intl.DateTimeFormat("fr-FR", {
      dateStyle: "short",
      timeStyle: "short",
      timeZone: t.config.REGION_TIMEZONE,
    }).format(stored!.at);
    expect(date).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
    expect(date).toBe(expected);
    expect([author, authorId, action, kind, objectId]).toEqual([
      "Alice Admin",
      adminUser.id,
      "user.update",
      "user",
      subject.id,
    ]);
    expect(label).toBe(`'=Formule Piège (${subject.email})`);
    expect(JSON.parse(was!)).toEqual({ phone: null });
    expect(JSON.parse(now!)).toEqual({ phone: "+262 692 99 88 77" });

    const everything = parse((await call("GET", "/api/v1/audit.csv")).body.slice(1), { delimiter: ";" });
    const [{ n }] = (await t.db.execute(sql`SELECT count(*)::int AS n FROM audit_log`)).rows as [
      { n: number },
    ];
    expect(everything).toHaveLength(n + 1);
    expect((await call("GET", "/api/v1/audit.csv?limit=5")).statusCode).toBe(400);
  });

  test("thousands of entries of one instant export and page without loss or repeat", async () => {
    // One statement: every row has the same `at` (the transaction's now()), so only the id orders them.
    await t.db.execute(sql`
      INSERT INTO audit_log (id, actor_label, action, object_kind, object_id, object_label, after)
      SELECT gen_random_uuid(), 'système', 'bulk.create', 'bulk', g::text, 'Objet ' || g,
             jsonb_build_object('n', g)
      FROM generate_series(1, 2500) g`);
    const csv = parse((await call("GET", "/api/v1/audit.csv?objectKind=bulk")).body.slice(1), {
      delimiter: ";",
    }) as string[][];
    expect(csv).toHaveLength(2501);
    expect(new Set(csv.slice(1).map((r) => r[5])).size).toBe(2500);
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: AuditPage = (
        await call("GET", `/api/v1/audit?objectKind=bulk&limit=200${cursor ? `&cursor=${cursor}` : ""}`)
      ).json();
      for (const e of page.items) seen.add(e.objectId);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.size).toBe(2500);
  });

  test("is append-only: the database refuses UPDATE, DELETE and TRUNCATE", async () => {
    const [entry] = await t.db.select().from(auditLog).limit(1);
    const refused = { code: "42501", message: expect.stringContaining("audit_log is append-only") };
    for (const statement of [
      "UPDATE audit_log SET actor_label = 'effacé' WHERE id = $1",
      "DELETE FROM audit_log WHERE id = $1",
    ]) {
      await expect(t.app.database.pool.query(statement, [entry!.id])).rejects.toMatchObject(refused);
    }
    await expect(t.app.database.pool.query("TRUNCATE audit_log")).rejects.toMatchObject(refused);
    const [still] = await t.db.select().from(auditLog).where(eq(auditLog.id, entry!.id));
    expect(still).toEqual(entry);
  });
});

describe("who may", () => {
  test("non-administrators get 403 on users and the trail; an RSSI learns nothing of other establishments", async () => {
    const mine = await createEstablishment(t.db, { name: "CH Le Mien" });
    const theirs = await createEstablishment(t.db, { name: "CH L'Autre" });
    const rssi = await createUser(t.db, { role: "rssi", establishmentId: mine.id });
    const colleague = await createUser(t.db, { role: "rssi", establishmentId: mine.id });
    const stranger = await createUser(t.db, { role: "rssi", establishmentId: theirs.id, name: "Étranger" });
    const headersOf = async (role: "rssi" | "analyst" | "taskforce" | "ars") =>
      (await login(t.app, role === "rssi" ? rssi.email : (await createUser(t.db, { role })).email)).bearer;

    for (const role of ["rssi", "analyst", "taskforce", "ars"] as const) {
      const headers = await headersOf(role);
      for (const url of [
        "/api/v1/users",
        `/api/v1/users?establishmentId=${theirs.id}`,
        `/api/v1/users/${stranger.id}`,
        `/api/v1/users/${colleague.id}`,
        "/api/v1/audit",
        `/api/v1/audit?objectId=${stranger.id}`,
        "/api/v1/audit.csv",
      ]) {
        const res = await call("GET", url, undefined, headers);
        expect(res.statusCode, `${role} ${url}`).toBe(403);
        expect(res.body).not.toContain("Étranger");
      }
      const change = await patch(stranger.id, { active: false }, headers);
      expect(change.statusCode).toBe(403);
      const create = await call(
        "POST",
        "/api/v1/users",
        { email: "x@pris.test", displayName: "X", role: "admin", password: "un mot de passe long" },
        headers,
      );
      expect(create.statusCode).toBe(403);
    }
    expect((await call("GET", `/api/v1/users/${stranger.id}`)).json().active).toBe(true);
    const anonymous = await t.app.inject({ method: "GET", url: "/api/v1/audit" });
    expect(anonymous.statusCode).toBe(401);
  });
});
