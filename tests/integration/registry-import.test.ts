import { auditLog, establishments, registryImports } from "@pris/db";
import { asc, count, eq, like } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectTrailInFrench } from "../support/audit-fixtures.ts";
import {
  createApiKey,
  createEstablishment,
  createTerritory,
  createUser,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";
import {
  FIXTURE_CATEGORIES,
  FIXTURE_COMMUNES,
  finessFixture,
  multipartFile,
  uploadRegistryFile,
} from "../support/registry-fixtures.ts";

let t: TestApp;
let admin: Record<string, string>;
let adminId: string;

beforeAll(async () => {
  t = await startTestApp();
  for (const [code, name] of [
    ["nord", "Nord"],
    ["est", "Est"],
    ["ouest", "Ouest"],
    ["sud", "Sud"],
  ] as const) {
    await createTerritory(t.db, code, name);
  }
  const user = await createUser(t.db, { role: "admin" });
  adminId = user.id;
  admin = (await login(t.app, user.email)).bearer;
});
afterAll(() => t.close());

const call = (method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: admin, ...(payload ? { payload } : {}) });

const upload = (name: string, content = finessFixture(name)) =>
  uploadRegistryFile(t.app, admin, content, name);

type Row = {
  line: number | null;
  outcome: string;
  finess: string | null;
  establishmentId: string | null;
  name: string | null;
  data: Record<string, unknown> | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
  reason: string | null;
  problem: string | null;
};

/** Every row of an import, through the paged API (a small page, to walk the cursor). */
async function rowsOf(id: string, outcome?: string): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({
      limit: "4",
      ...(outcome ? { outcome } : {}),
      ...(cursor ? { cursor } : {}),
    });
    const res = await call("GET", `/registry/imports/${id}/rows?${q}`);
    expect(res.statusCode).toBe(200);
    rows.push(...res.json().items);
    cursor = res.json().nextCursor;
  } while (cursor);
  return rows;
}

const directoryCount = async () => (await t.db.select({ n: count() }).from(establishments))[0]!.n;

async function setMappings() {
  for (const [code, territory] of Object.entries(FIXTURE_COMMUNES)) {
    const res = await call("PUT", `/registry/mappings/places/commune/${code}`, { territory });
    expect(res.statusCode).toBe(200);
  }
  for (const [code, label, category] of FIXTURE_CATEGORIES) {
    const res = await call("PUT", `/registry/mappings/categories/${code}`, { label, category });
    expect(res.statusCode).toBe(200);
  }
}

describe("the registry import", () => {
  test("only administrators reach it: 403 for the others, whatever they send", async () => {
    for (const role of ["analyst", "ars", "taskforce"] as const) {
      const other = (await login(t.app, (await createUser(t.db, { role })).email)).bearer;
      const body = multipartFile(finessFixture("reunion-2026-11.csv"));
      const up = await t.app.inject({
        method: "POST",
        url: "/api/v1/registry/imports",
        headers: { ...other, ...body.headers },
        payload: body.payload,
      });
      expect(up.statusCode).toBe(403);
      expect(up.headers["content-type"]).toContain("application/problem+json");
      for (const [method, url] of [
        ["GET", "/api/v1/registry/imports"],
        ["GET", "/api/v1/registry/mappings/categories"],
        ["PUT", "/api/v1/registry/mappings/categories/500"],
        ["PUT", "/api/v1/registry/mappings/places/commune/97411"],
      ] as const) {
        const res = await t.app.inject({ method, url, headers: other, payload: { territory: "nord" } });
        expect(res.statusCode).toBe(403);
      }
    }
    expect((await t.db.select({ n: count() }).from(registryImports))[0]!.n).toBe(0);
  });

  test("a file that is not a registry file gets a 4xx naming the file; nothing is written", async () => {
    const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001", "hex");
    for (const content of [png, Buffer.from("bonjour;tout;le;monde\n1;2;3;4\n"), Buffer.alloc(0)]) {
      const res = await upload("image.png", content);
      expect(res.statusCode).toBe(400);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.json().errors[0].field).toBe("/file");
    }
    const json = await call("POST", "/registry/imports", { file: "reunion.csv" });
    expect(json.statusCode).toBe(415);
    expect(json.headers["content-type"]).toContain("application/problem+json");
    const noFile = multipartFile(finessFixture("reunion-2026-11.csv"), "x.csv", "document");
    const wrongField = await t.app.inject({
      method: "POST",
      url: "/api/v1/registry/imports",
      headers: { ...admin, ...noFile.headers },
      payload: noFile.payload,
    });
    expect(wrongField.statusCode).toBe(400);
    expect(wrongField.json().errors).toEqual([
      { field: "/file", message: expect.stringContaining("required") },
    ]);
    expect((await t.db.select({ n: count() }).from(registryImports))[0]!.n).toBe(0);
  });

  test("mappings are checked, remembered and traced", async () => {
    const badCommune = await call("PUT", "/registry/mappings/places/commune/974", { territory: "nord" });
    expect(badCommune.statusCode).toBe(400);
    expect(badCommune.json().errors[0]).toMatchObject({ field: "/code", in: "params" });
    const badTerritory = await call("PUT", "/registry/mappings/places/departement/974", {
      territory: "atlantis",
    });
    expect(badTerritory.statusCode).toBe(400);
    expect(badTerritory.json().errors[0].field).toBe("/territory");
    const badCategory = await call("PUT", "/registry/mappings/categories/500", {
      label: "EHPAD",
      category: "zoo",
    });
    expect(badCategory.statusCode).toBe(400);

    await setMappings();
    // Changing one and back: two entries, the second one's before is the first one's after.
    await call("PUT", "/registry/mappings/places/commune/97411", { territory: "est" });
    await call("PUT", "/registry/mappings/places/commune/97411", { territory: "nord" });
    const places = await call("GET", "/registry/mappings/places");
    expect(places.json()).toHaveLength(Object.keys(FIXTURE_COMMUNES).length);
    expect(places.json()).toContainEqual(
      expect.objectContaining({ kind: "commune", code: "97411", territory: "nord" }),
    );
    const categories = await call("GET", "/registry/mappings/categories");
    expect(categories.json()).toContainEqual(
      expect.objectContaining({ finessCategory: "620", category: null, label: "Pharmacie d'Officine" }),
    );
    const trail = await t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.objectId, "commune:97411"))
      .orderBy(asc(auditLog.at), asc(auditLog.id));
    expect(trail.map((e) => [e.action, e.before, e.after, e.actorUserId])).toEqual([
      ["registry.mapping.update", null, { territory: "nord" }, adminId],
      ["registry.mapping.update", { territory: "nord" }, { territory: "est" }, adminId],
      ["registry.mapping.update", { territory: "est" }, { territory: "nord" }, adminId],
    ]);
  });

  let firstId: string;

  test("the preview of a FINESS extract: each bad line refused with its French reason, nothing written", async () => {
    const res = await upload("reunion-2026-11.csv");
    expect(res.statusCode).toBe(201);
    const imp = res.json();
    firstId = imp.id;
    expect(imp).toMatchObject({ format: "finess", status: "preview", fileName: "reunion-2026-11.csv" });
    expect(imp.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(imp.summary).toEqual({
      records: 17,
      geolocations: 3,
      outOfRegion: 3,
      notFollowed: 1,
      region: 14,
      new: 6,
      changed: 0,
      unchanged: 0,
      missing: 0,
      refused: 7,
      refusedNotListed: 0,
    });
    expect(await directoryCount()).toBe(0);

    const refused = await rowsOf(firstId, "refused");
    expect(refused.map((r) => [r.line, r.problem, r.reason])).toEqual([
      [
        10,
        "finess",
        "Numéro FINESS « 97A12 » invalide : 9 caractères attendus, commençant par le département (ex. 970462107).",
      ],
      [
        11,
        "duplicate",
        "FINESS 970400123 présent plusieurs fois dans le fichier (lignes 11, 13) : aucune de ces lignes n'est importée.",
      ],
      [
        13,
        "duplicate",
        "FINESS 970400123 présent plusieurs fois dans le fichier (lignes 11, 13) : aucune de ces lignes n'est importée.",
      ],
      [
        14,
        "unmapped_category",
        "Catégorie FINESS 124 « Centre de Santé » non rattachée : associez-la à une catégorie du service (ou « non suivie »), puis relancez l'aperçu.",
      ],
      [
        15,
        "unmapped_place",
        "Commune 97424 (97413 CILAOS) non rattachée à un territoire : rattachez la commune ou son département, puis relancez l'aperçu.",
      ],
      [17, "malformed", "Ligne mal formée : 14 champs au lieu de 32."],
      [
        18,
        "encoding",
        "Caractères illisibles : la ligne n'est pas en Windows-1252, l'encodage de l'extrait FINESS (fichier réenregistré en UTF-8 ?).",
      ],
    ]);

    const created = await rowsOf(firstId, "new");
    expect(created.map((r) => [r.line, r.finess, r.name])).toEqual([
      [2, "970462107", "Centre hospitalier Gabriel Martin"],
      [3, "970408589", "CHU de La Réunion – site Félix Guyon"],
      [4, "970405221", 'EHPAD "Les Lataniers"; Saint-Pierre'],
      [5, "970400529", 'Clinique "Les Flamboyants" – Cœur de ville'],
      [6, "970403392", "Établissement public de santé mentale de La Réunion"],
      [7, "970410197", "Institut médico-éducatif François Dupont"],
    ]);
    expect(created[0]!.data).toEqual({
      finess: "970462107",
      name: "Centre hospitalier Gabriel Martin",
      category: "ch",
      territory: "ouest",
      legalEntityFiness: "970000016",
      finessCategory: "355",
      siret: "26974011700019",
      phone: "0262453030",
      registryUpdatedOn: "2026-06-01",
      activeFrom: "1976-01-01",
      address: { lines: ["38 RUE LABOURDONNAIS"], commune: "97415", postalLine: "97460 ST PAUL" },
    });
    expect(created[1]!.data).toMatchObject({
      category: "chu",
      territory: "nord",
      address: { lines: ["Site Félix Guyon", "ALL DES TOPAZES", "BELLEPIERRE"], commune: "97411" },
    });
    // Empty fields are nulls: no opening day, no SIRET, no update day.
    expect(created[3]!.data).toMatchObject({ siret: null, activeFrom: null, category: "private_clinic" });
    expect(created[5]!.data).toMatchObject({ registryUpdatedOn: null, territory: "sud" });
    // Out of region and not followed: counted, never listed.
    const all = await rowsOf(firstId);
    expect(all).toHaveLength(13);
    expect(all.map((r) => r.finess)).not.toContain("130000276");
    expect(all.map((r) => r.finess)).not.toContain("970400701");
  });

  test("the categories and communes the refused lines need, with the usual category suggested", async () => {
    const res = await call("GET", `/registry/imports/${firstId}/unmapped`);
    expect(res.json()).toEqual({
      categories: [{ code: "124", label: "Centre de Santé", lines: 1, suggestion: null }],
      places: [{ kind: "commune", code: "97424", postalLine: "97413 CILAOS", departement: "974", lines: 1 }],
    });
  });

  test("apply creates the new establishments, traced one by one; the same file again changes nothing", async () => {
    const applied = await call("POST", `/registry/imports/${firstId}/apply`, {});
    expect(applied.statusCode).toBe(200);
    expect(applied.json()).toMatchObject({ status: "applied", appliedBy: expect.any(String) });
    expect(applied.json().summary).toMatchObject({ created: 6, updated: 0, deactivated: 0, kept: 0 });
    const rows = await t.db.select().from(establishments).orderBy(asc(establishments.finess));
    expect(rows).toHaveLength(6);
    const ch = rows.find((r) => r.finess === "970462107")!;
    expect(ch).toMatchObject({
      name: "Centre hospitalier Gabriel Martin",
      category: "ch",
      sector: "es",
      territory: "ouest",
      finessCategory: "355",
      legalEntityFiness: "970000016",
      phone: "0262453030",
      activeFrom: "1976-01-01",
      registryUpdatedOn: "2026-06-01",
      active: true,
      contacts: {},
      products: [],
    });
    const creations = await t.db.select().from(auditLog).where(eq(auditLog.action, "establishment.create"));
    expect(creations).toHaveLength(6);
    expect(creations.every((e) => e.actorUserId === adminId && e.before === null)).toBe(true);
    const [applyEntry] = await t.db.select().from(auditLog).where(eq(auditLog.action, "import.apply"));
    expect(applyEntry).toMatchObject({ objectId: firstId, after: expect.objectContaining({ created: 6 }) });
    // The API reads the new directory at once.
    const list = await call("GET", "/establishments?q=Gabriel");
    expect(list.json().items).toHaveLength(1);

    const again = await call("POST", `/registry/imports/${firstId}/apply`, {});
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe("import_already_applied");

    const second = await upload("reunion-2026-11.csv");
    expect(second.json().summary).toMatchObject({ new: 0, changed: 0, unchanged: 6, missing: 0, refused: 7 });
    expect(second.json().sha256).toBe((await call("GET", `/registry/imports/${firstId}`)).json().sha256);
    const noop = await call("POST", `/registry/imports/${second.json().id}/apply`, {});
    expect(noop.json().summary).toMatchObject({ created: 0, updated: 0, deactivated: 0 });
    expect(await directoryCount()).toBe(6);
    expect((await t.db.select().from(auditLog).where(like(auditLog.action, "establishment.%"))).length).toBe(
      6,
    );
  });

  test("the next extract: changes field by field, the closed one proposed for deactivation, contacts kept", async () => {
    const [ch] = await t.db.select().from(establishments).where(eq(establishments.finess, "970462107"));
    const contacts = { rssi: { name: "Jean Hoarau", email: "rssi@chgm.example.org" } };
    await t.db.update(establishments).set({ contacts }).where(eq(establishments.id, ch!.id));
    const [ime] = await t.db.select().from(establishments).where(eq(establishments.finess, "970410197"));

    const older = await upload("reunion-2027-01.csv");
    const res = await upload("reunion-2027-01.csv");
    expect(res.json().summary).toMatchObject({ new: 1, changed: 1, unchanged: 4, missing: 1, refused: 0 });
    const superseded = await call("POST", `/registry/imports/${older.json().id}/apply`, {});
    expect(superseded.statusCode).toBe(409);
    expect(superseded.json().code).toBe("import_superseded");

    const [changed] = await rowsOf(res.json().id, "changed");
    expect(changed!.changes).toEqual({
      name: {
        before: "Centre hospitalier Gabriel Martin",
        after: "Centre hospitalier Ouest Réunion – Gabriel Martin",
      },
      phone: { before: "0262453030", after: "0262453000" },
      registryUpdatedOn: { before: "2026-06-01", after: "2026-12-15" },
    });
    const [missing] = await rowsOf(res.json().id, "missing");
    expect(missing).toMatchObject({ line: null, establishmentId: ime!.id, name: ime!.name });

    // Someone who is not in the proposal cannot be kept.
    const stranger = await call("POST", `/registry/imports/${res.json().id}/apply`, { keep: [ch!.id] });
    expect(stranger.statusCode).toBe(400);
    expect(stranger.json().errors[0].field).toBe("/keep/0");

    // Kept this time: still active.
    const kept = await call("POST", `/registry/imports/${res.json().id}/apply`, { keep: [ime!.id] });
    expect(kept.json().summary).toMatchObject({ created: 1, updated: 1, deactivated: 0, kept: 1 });
    const [after] = await t.db.select().from(establishments).where(eq(establishments.id, ch!.id));
    expect(after).toMatchObject({
      name: "Centre hospitalier Ouest Réunion – Gabriel Martin",
      phone: "0262453000",
      contacts,
    });
    const [update] = await t.db.select().from(auditLog).where(eq(auditLog.action, "establishment.update"));
    expect(update).toMatchObject({
      objectId: ch!.id,
      before: {
        name: "Centre hospitalier Gabriel Martin",
        phone: "0262453030",
        registryUpdatedOn: "2026-06-01",
      },
      after: expect.objectContaining({ phone: "0262453000" }),
    });
    expect((await t.db.select().from(establishments).where(eq(establishments.id, ime!.id)))[0]!.active).toBe(
      true,
    );

    // Proposed again, and deactivated by default; never deleted.
    const again = await upload("reunion-2027-01.csv");
    expect(again.json().summary).toMatchObject({ new: 0, changed: 0, unchanged: 6, missing: 1 });
    const applied = await call("POST", `/registry/imports/${again.json().id}/apply`, {});
    expect(applied.json().summary).toMatchObject({ deactivated: 1 });
    const [closed] = await t.db.select().from(establishments).where(eq(establishments.id, ime!.id));
    expect(closed).toMatchObject({ active: false, activeUntil: expect.any(String) });
    const [deactivation] = await t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "establishment.deactivate"));
    expect(deactivation).toMatchObject({
      objectId: ime!.id,
      before: { active: true },
      after: { active: false },
    });
    expect(await directoryCount()).toBe(7);

    // The IME is back in a later extract: made active again, as a change.
    const back = await upload("reunion-2026-11.csv");
    const [reopened] = (await rowsOf(back.json().id, "changed")).filter((r) => r.finess === "970410197");
    expect(reopened!.changes).toMatchObject({ active: { before: false, after: true } });
  });

  test("a directory edited since the preview: the apply is refused with 409, nothing written", async () => {
    const preview = await upload("reunion-2027-01.csv");
    const [epsm] = await t.db.select().from(establishments).where(eq(establishments.finess, "970403392"));
    const patched = await call("PATCH", `/establishments/${epsm!.id}`, {
      name: "EPSM Réunion (renommé à la main)",
    });
    expect(patched.statusCode).toBe(200);
    const res = await call("POST", `/registry/imports/${preview.json().id}/apply`, {});
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: "import_preview_outdated",
      detail: expect.stringContaining("970403392"),
    });
    expect((await call("GET", `/registry/imports/${preview.json().id}`)).json().status).toBe("preview");
    // A new preview shows the hand edit as a change the registry would undo.
    const fresh = await upload("reunion-2027-01.csv");
    const [row] = (await rowsOf(fresh.json().id, "changed")).filter((r) => r.finess === "970403392");
    expect(row!.changes!.name).toEqual({
      before: "EPSM Réunion (renommé à la main)",
      after: "Établissement public de santé mentale de La Réunion",
    });
  });

  test("a mapping changed after a preview: the preview says so, the next one follows it", async () => {
    const before = await upload("reunion-2026-11.csv");
    expect(before.json().mappingsChanged).toBe(false);
    await call("PUT", "/registry/mappings/categories/124", { label: "Centre de Santé", category: "other" });
    await call("PUT", "/registry/mappings/places/commune/97424", { territory: "sud" });
    expect((await call("GET", `/registry/imports/${before.json().id}`)).json().mappingsChanged).toBe(true);
    const after = await upload("reunion-2026-11.csv");
    expect(after.json().mappingsChanged).toBe(false);
    const created = await rowsOf(after.json().id, "new");
    expect(created.map((r) => [r.finess, r.data?.category, r.data?.territory])).toEqual([
      ["970400305", "other", "nord"],
      ["970400446", "ehpad", "sud"],
    ]);
    const history = await call("GET", "/registry/imports?limit=3");
    expect(history.json().items[0]).toMatchObject({ id: after.json().id, status: "preview" });
    expect(history.json().items[1]).toMatchObject({ id: before.json().id, status: "superseded" });
    const next = await call("GET", `/registry/imports?limit=3&cursor=${history.json().nextCursor}`);
    expect(next.statusCode).toBe(200);
    expect(next.json().items).toHaveLength(3);
  });

  test("a hand-made UTF-8 CSV with named columns", async () => {
    const count0 = await directoryCount();
    const res = await upload("hand-made.csv");
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ format: "csv" });
    const rows = await rowsOf(res.json().id);
    const fromFile = rows.filter((r) => r.line !== null);
    expect(fromFile.map((r) => [r.line, r.outcome, r.finess])).toEqual([
      [2, "new", "970400800"],
      [3, "new", "970400818"],
      [4, "new", "970400826"],
      [5, "refused", "970400834"],
      [6, "new", "970400842"],
    ]);
    expect(fromFile[0]!.data).toMatchObject({
      name: 'Maison d\'accueil spécialisée "Les Alizés"',
      category: "disability_adults",
      territory: "est",
      phone: "0262 50 60 70",
      address: { lines: ["4 chemin des Œillets"], commune: "97409" },
    });
    expect(fromFile[1]!.data).toMatchObject({ territory: "nord", category: "radiology" });
    expect(fromFile[3]!.reason).toBe(
      "Catégorie « hospice » inconnue : valeurs possibles chu, ch, private_clinic, psychiatric, smr, had, dialysis, ehpad, disability_adults, disability_children, home_care, laboratory, radiology, other.",
    );
    expect(await directoryCount()).toBe(count0);
  });

  test("malformed CSV lines and a CSV saved in Windows-1252 are refused line by line", async () => {
    const csv = Buffer.concat([
      Buffer.from("finess;name;category;territory\n970400900;Clinique du Volcan;private_clinic;sud\n"),
      Buffer.from("970400918;Trop de champs;ch;sud;en plus\n"),
      Buffer.from("970400926;", "utf8"),
      Buffer.from("Résidence Béthanie", "latin1"),
      Buffer.from(';ehpad;sud\n970400934;"Guillemets jamais fermés;ch;sud\n970400942;Perdue;ch;sud\n'),
    ]);
    const res = await upload("liste.csv", csv);
    expect(res.statusCode).toBe(201);
    const rows = (await rowsOf(res.json().id)).filter((r) => r.line !== null);
    expect(rows.map((r) => [r.line, r.outcome, r.reason])).toEqual([
      [2, "new", null],
      [3, "refused", "Ligne mal formée : 5 champs au lieu de 4."],
      [
        4,
        "refused",
        "Caractères illisibles : la ligne n'est pas en UTF-8, l'encodage attendu d'un CSV (fichier enregistré en Windows-1252 ?).",
      ],
      [5, "refused", "Ligne mal formée : guillemets non fermés ou mal placés."],
      // The open quote spoils its own line only.
      [6, "new", null],
    ]);
  });

  test("a line placed by its département alone, when only communes of it are mapped: the département is offered", async () => {
    const csv = Buffer.from(
      "finess;name;category;departement\n970400950;Centre sans commune;ch;974\n060000000;Nice;ch;06\n",
    );
    const res = await upload("departements.csv", csv);
    expect(res.json().summary).toMatchObject({ records: 2, outOfRegion: 1, refused: 1 });
    const [row] = await rowsOf(res.json().id, "refused");
    expect(row!.reason).toBe(
      "Département 974 non rattaché à un territoire : rattachez-le (ou ses communes), puis relancez l'aperçu.",
    );
    const unmapped = await call("GET", `/registry/imports/${res.json().id}/unmapped`);
    expect(unmapped.json().places).toEqual([
      { kind: "departement", code: "974", postalLine: null, departement: "974", lines: 1 },
    ]);
  });

  test("random files and broken uploads get a 201 or a 4xx problem, never a 5xx", async () => {
    const field = fc.oneof(
      fc.constantFrom(
        "structureet",
        "geolocalisation",
        "974",
        "416",
        "97416",
        "500",
        "970400123",
        '"',
        '""',
        "é",
        "Œ",
        "",
      ),
      fc.string({ maxLength: 12 }),
    );
    const line = fc.array(field, { maxLength: 40 }).map((fields) => fields.join(";"));
    const text = fc
      .tuple(
        fc.constantFrom("finess;etalab;95;2026-11-30\n", "finess,name,category,territory\n", ""),
        fc.array(line, { maxLength: 30 }),
      )
      .map(([head, lines]) => head + lines.map((l, i) => (i === 0 ? `structureet;${l}` : l)).join("\r\n"));
    const content = fc.oneof(
      text.map((t) => Buffer.from(t, "latin1")),
      text.map((t) => Buffer.from(t, "utf8")),
      fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)),
    );
    await fc.assert(
      fc.asyncProperty(content, async (bytes) => {
        const res = await upload("aleatoire.csv", bytes);
        expect([201, 400]).toContain(res.statusCode);
        if (res.statusCode === 400) expect(res.headers["content-type"]).toContain("application/problem+json");
      }),
      { numRuns: 80, seed: 11 },
    );
    const body = multipartFile(finessFixture("reunion-2026-11.csv"));
    for (const payload of [
      body.payload.subarray(0, 900),
      body.payload.subarray(0, 60),
      Buffer.from("--x\r\n"),
    ]) {
      const res = await t.app.inject({
        method: "POST",
        url: "/api/v1/registry/imports",
        headers: { ...admin, ...body.headers },
        payload,
      });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.headers["content-type"]).toContain("application/problem+json");
    }
  });

  test("a file over REGISTRY_IMPORT_MAX_BYTES gets 413 problem+json, and nothing is staged", async () => {
    const small = await startTestApp({ REGISTRY_IMPORT_MAX_BYTES: "2048" });
    try {
      const user = await createUser(small.db, { role: "admin" });
      const headers = (await login(small.app, user.email)).bearer;
      const res = await uploadRegistryFile(small.app, headers, finessFixture("reunion-2026-11.csv"));
      expect(res.statusCode).toBe(413);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.json()).toMatchObject({ status: 413, code: "payload_too_large" });
      expect((await small.db.select({ n: count() }).from(registryImports))[0]!.n).toBe(0);
    } finally {
      await small.close();
    }
  });

  test("an RSSI and an establishment's API key get 403 too", async () => {
    const establishment = await createEstablishment(t.db, { territory: "sud" });
    const rssi = (
      await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: establishment.id })).email)
    ).bearer;
    const key = { authorization: `ApiKey ${(await createApiKey(t.db, establishment.id)).key}` };
    for (const headers of [rssi, key]) {
      const res = await t.app.inject({ method: "GET", url: "/api/v1/registry/imports", headers });
      expect(res.statusCode).toBe(403);
    }
  });
});

describe("the administration trail", () => {
  test("every entry these flows wrote is one the audit page reads in French", async () => {
    expectTrailInFrench(await t.db.select().from(auditLog));
  });
});
