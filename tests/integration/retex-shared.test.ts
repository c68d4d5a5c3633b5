import { establishments } from "@pris/db";
import { yearInZone } from "@pris/domain";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createEstablishment,
  createTerritory,
  createUser,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/**
 * The network's shared RETEX, searched by theme, category, territory and date, read by RSSIs, the pole
 * and the ARS; an unshared RETEX is found by no search. The late list of the completion dashboard,
 * sorted, searched and with an RSSI account as contact when the registry names none.
 */
let t: TestApp;
let ars: Record<string, string>;
let analyst: Record<string, string>;
let rssiA: Record<string, string>;
let rssiB: Record<string, string>;
let taskforce: Record<string, string>;
let sharedAt: string;
const YEAR = yearInZone(new Date(), "Indian/Reunion") - 1;

const call = (
  method: "GET" | "POST" | "PUT",
  url: string,
  headers: Record<string, string>,
  payload?: unknown,
) => t.app.inject({ method, url, headers, payload: payload as string | undefined });

/** An exercise held, its RETEX written with one finding, submitted, validated by the ARS. */
async function validatedRetex(
  rssi: Record<string, string>,
  establishmentId: string,
  theme: string,
  text: string,
) {
  const created = await call("POST", "/api/v1/exercises", rssi, {
    kind: "degraded_mode",
    level: "beginner",
    title: "Panne du DPI",
    scenario: `Scénario : ${text}`,
    objectives: [],
    plannedOn: `${YEAR}-03-10`,
    participants: "",
    organiser: "Direction",
    establishmentIds: [establishmentId],
  });
  expect(created.statusCode, created.body).toBe(201);
  const exercise = created.json() as { id: string; participations: { id: string }[] };
  const id = exercise.participations[0]!.id;
  const steps: [string, string, Record<string, string>, object | undefined][] = [
    ["POST", `/api/v1/exercises/${exercise.id}/hold`, rssi, { heldOn: `${YEAR}-03-10` }],
    ["PUT", `/api/v1/participations/${id}/retex`, rssi, { hotSummary: text }],
    [
      "POST",
      `/api/v1/participations/${id}/findings`,
      rssi,
      { phase: "hot", theme, polarity: "negative", text },
    ],
    ["POST", `/api/v1/participations/${id}/submit`, rssi, undefined],
    ["POST", `/api/v1/participations/${id}/validate`, ars, undefined],
  ];
  for (const [method, url, headers, payload] of steps) {
    const res = await call(method as "POST", url, headers, payload);
    expect([200, 201], `${url} ${res.body}`).toContain(res.statusCode);
  }
  return id;
}

const share = async (rssi: Record<string, string>, id: string, tlp = "GREEN") => {
  const res = await call("PUT", `/api/v1/participations/${id}/share`, rssi, { shared: true, tlp });
  expect(res.statusCode, res.body).toBe(200);
};

const list = async (headers: Record<string, string>, query = "") => {
  const res = await call("GET", `/api/v1/retex/shared${query}`, headers);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: { hotSummary: string; territory: string; sharedAt: string }[] };
};
const summaries = async (headers: Record<string, string>, query = "") =>
  (await list(headers, query)).items.map((i) => i.hotSummary).sort();

beforeAll(async () => {
  t = await startTestApp();
  await createTerritory(t.db, "nord", "Nord");
  const A = await createEstablishment(t.db, { name: "CH Alpha", territory: "sud", category: "ch" });
  const B = await createEstablishment(t.db, { name: "EHPAD Bravo", territory: "nord", category: "ehpad" });
  rssiA = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: A.id })).email))
    .bearer;
  rssiB = (await login(t.app, (await createUser(t.db, { role: "rssi", establishmentId: B.id })).email))
    .bearer;
  ars = (await login(t.app, (await createUser(t.db, { role: "ars" })).email)).bearer;
  analyst = (await login(t.app, (await createUser(t.db, { role: "analyst" })).email)).bearer;
  taskforce = (await login(t.app, (await createUser(t.db, { role: "taskforce" })).email)).bearer;

  const a = await validatedRetex(rssiA, A.id, "technical", "Sauvegardes hors ligne non testées");
  const b = await validatedRetex(rssiB, B.id, "communication", "Cellule de crise prévenue tard");
  await validatedRetex(rssiB, B.id, "technical", "Secret de Bravo jamais partagé");
  await share(rssiA, a);
  sharedAt = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 20));
  await share(rssiB, b, "AMBER");
});

afterAll(async () => {
  await t?.close();
});

describe("shared RETEX", () => {
  test("RSSIs, the pole and the ARS read the network's shared RETEX; the task force does not", async () => {
    const all = ["Cellule de crise prévenue tard", "Sauvegardes hors ligne non testées"];
    expect(await summaries(rssiA)).toEqual(all);
    expect(await summaries(ars)).toEqual(all);
    expect(await summaries(analyst)).toEqual(all);
    expect((await call("GET", "/api/v1/retex/shared", taskforce)).statusCode).toBe(403);
    const first = (await list(rssiA)).items[0]!;
    expect(Date.parse(first.sharedAt)).toBeGreaterThan(Date.parse(sharedAt));
  });

  test("searched by theme, category, territory and date; an unshared RETEX is found by none", async () => {
    expect(await summaries(rssiA, "?theme=technical")).toEqual(["Sauvegardes hors ligne non testées"]);
    expect(await summaries(rssiA, "?theme=communication")).toEqual(["Cellule de crise prévenue tard"]);
    expect(await summaries(rssiA, "?category=ehpad")).toEqual(["Cellule de crise prévenue tard"]);
    expect(await summaries(rssiA, "?territory=sud")).toEqual(["Sauvegardes hors ligne non testées"]);
    expect(await summaries(rssiA, "?territory=ouest")).toEqual([]);
    expect(await summaries(rssiA, `?sharedSince=${encodeURIComponent(sharedAt)}`)).toEqual([
      "Cellule de crise prévenue tard",
    ]);
    expect(await summaries(rssiA, "?theme=technical&category=ehpad")).toEqual([]);
    // Since the newest one seen, as the API gave its instant: nothing new.
    const newest = (await list(rssiA)).items[0]!.sharedAt;
    expect(await summaries(rssiA, `?sharedSince=${encodeURIComponent(newest)}`)).toEqual([]);
    for (const who of [rssiA, ars]) {
      const body = (await call("GET", "/api/v1/retex/shared?theme=technical&limit=100", who)).body;
      expect(body).not.toContain("Secret de Bravo");
    }
  });

  test("bad search parameters get a 400 naming the field", async () => {
    for (const [query, field] of [
      ["theme=weather", "theme"],
      ["category=zoo", "category"],
      ["sharedSince=yesterday", "sharedSince"],
      ["territory=", "territory"],
      ["colour=red", "colour"],
    ]) {
      const res = await call("GET", `/api/v1/retex/shared?${query}`, rssiA);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.body, query).toContain(field);
    }
  });
});

describe("the late list", () => {
  test("sorted by territory or category, searched by name, with an RSSI account when the registry has none", async () => {
    const C = await createEstablishment(t.db, {
      name: "Clinique Charlie",
      territory: "nord",
      category: "private_clinic",
    });
    await t.db.update(establishments).set({ contacts: {} }).where(eq(establishments.id, C.id));
    const account = await createUser(t.db, { role: "rssi", establishmentId: C.id, name: "Paul Grondin" });
    const late = async (query: string) => {
      const res = await call("GET", `/api/v1/exercises/completion/late?year=${YEAR}${query}`, ars);
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as {
        total: number;
        items: {
          name: string;
          territory: string;
          rssiName: string | null;
          rssiEmail: string | null;
          rssiFromAccount: boolean;
        }[];
        nextCursor: string | null;
      };
    };
    const byName = await late("");
    expect(byName.items.map((i) => i.name)).toContain("Clinique Charlie");
    const charlie = byName.items.find((i) => i.name === "Clinique Charlie")!;
    expect(charlie).toMatchObject({
      rssiName: "Paul Grondin",
      rssiEmail: account.email,
      rssiFromAccount: true,
    });
    await createEstablishment(t.db, { name: "Centre Delta", territory: "sud", category: "ch" });
    expect(byName.items.map((i) => i.name)).toEqual(["Clinique Charlie"]);
    expect((await late("")).items.map((i) => i.name)).toEqual(["Centre Delta", "Clinique Charlie"]);
    const byTerritory = await late("&sort=territory&limit=1");
    expect(byTerritory.total).toBe(2);
    expect(byTerritory.items.map((i) => i.name)).toEqual(["Clinique Charlie"]);
    const rest = await late(`&sort=territory&cursor=${byTerritory.nextCursor}`);
    expect(rest.items.map((i) => i.name)).toEqual(["Centre Delta"]);
    expect(rest.nextCursor).toBeNull();
    expect((await late("&q=charl")).items.map((i) => i.name)).toEqual(["Clinique Charlie"]);
    expect((await late("&q=100%25")).items).toEqual([]);
    const bad = await call("GET", `/api/v1/exercises/completion/late?year=${YEAR}&sort=colour`, ars);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain("sort");
    expect((await call("GET", `/api/v1/exercises/completion/late?year=${YEAR}`, rssiA)).statusCode).toBe(403);
  });
});
