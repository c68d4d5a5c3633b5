import { createHash } from "node:crypto";
import { establishments, incidentLog, outbox } from "@pris/db";
import { and, eq } from "drizzle-orm";
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

/** UUIDv5 (RFC 9562) written out here, to check the API's STIX ids independently. */
function uuidv5(name: string, namespace: string): string {
  const hash = createHash("sha1")
    .update(Buffer.from(namespace.replace(/-/g, ""), "hex"))
    .update(name, "utf8")
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
const SCO_NAMESPACE = "00abedb4-aa42-466c-9c01-fed23315a9b7";
const TLP_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const TLP_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

let t: TestApp;
let rssiA: Record<string, string>;
let rssiB: Record<string, string>;
let keyA: Record<string, string>;
let analyst: Record<string, string>;
let taskforce: Record<string, string>;
type Declared = { id: string; reference: string };
let a1: Declared;
let a2: Declared;
let b1: Declared;

beforeAll(async () => {
  t = await startTestApp();
  const A = await createEstablishment(t.db, { name: "CH Ouest" });
  const B = await createEstablishment(t.db, { name: "Clinique Bravo" });
  const C = await createEstablishment(t.db, { name: "EHPAD Les Lataniers" });
  await t.db
    .update(establishments)
    .set({ products: [{ kind: "dpi", vendor: "Softway Medical", product: "Hopital Manager" }] })
    .where(eq(establishments.id, C.id));
  await t.db
    .update(establishments)
    .set({ products: [{ kind: "vpn", vendor: "Fortinet", product: "FortiGate" }] })
    .where(eq(establishments.id, B.id));
  const as = async (role: Parameters<typeof createUser>[1]["role"], establishmentId?: string) =>
    (await login(t.app, (await createUser(t.db, { role, establishmentId })).email)).bearer;
  rssiA = await as("rssi", A.id);
  rssiB = await as("rssi", B.id);
  analyst = await as("analyst");
  taskforce = await as("taskforce");
  keyA = { authorization: `ApiKey ${(await createApiKey(t.db, A.id)).key}` };
  const declare = async (headers: Record<string, string>, overrides: Parameters<typeof declaration>[0]) => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers,
      payload: declaration(overrides),
    });
    expect(res.statusCode).toBe(201);
    return res.json() as Declared;
  };
  a1 = await declare(rssiA, {
    title: "Rançongiciel A1",
    observables: [
      { type: "ipv4", value: "185.220.101.7" },
      { type: "md5", value: "44D88612FEA8A8F36DE82E1278ABB02F" },
    ],
  });
  a2 = await declare(rssiA, {
    title: "Hameçonnage A2",
    observables: [{ type: "md5", value: "44d88612fea8a8f36de82e1278abb02f" }],
  });
  b1 = await declare(rssiB, {
    title: "Intrusion B1",
    observables: [
      { type: "ipv4", value: "185.220.101.7" },
      { type: "cidr", value: "10.20.0.0/16" },
    ],
  });
});
afterAll(() => t.close());

const add = (id: string, observables: object[], headers = rssiA) =>
  t.app.inject({
    method: "POST",
    url: `/api/v1/incidents/${id}/observables`,
    headers,
    payload: { observables },
  });
const list = (id: string, headers: Record<string, string>) =>
  t.app.inject({ method: "GET", url: `/api/v1/incidents/${id}/observables`, headers });

describe("adding observables", () => {
  test("normalised; values already there (or twice in the request) ignored; one log entry and incident.changed", async () => {
    const res = await add(a1.id, [
      { type: "ipv4", value: "10.20.30.40" },
      { type: "domain", value: "Update.Softway-Medical[.]FR." },
      { type: "ipv4", value: "185.220.101.7" },
      { type: "ipv4", value: "10.20.30.40" },
      { type: "url", value: "hxxps://vpn.fortinet.com/remote/login" },
      { type: "cve", value: "cve-2024-21762" },
      { type: "sha256", value: "A".repeat(64), comment: "charge utile" },
      { type: "filename", value: "LockBit_Readme.txt" },
    ]);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.duplicates).toBe(2);
    expect(body.added.map((o: { normalized: string }) => o.normalized)).toEqual([
      "10.20.30.40",
      "update.softway-medical.fr",
      "https://vpn.fortinet.com/remote/login",
      "CVE-2024-21762",
      "a".repeat(64),
      "LockBit_Readme.txt",
    ]);
    const log = await t.db
      .select()
      .from(incidentLog)
      .where(and(eq(incidentLog.incidentId, a1.id), eq(incidentLog.kind, "observables_added")));
    expect(log).toHaveLength(1);
    expect(log[0]!.body.observables).toHaveLength(6);
    const changed = await t.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.aggregateId, a1.id), eq(outbox.topic, "incident.changed")));
    expect(changed).toHaveLength(1);

    const again = await add(a1.id, [{ type: "ipv4", value: "10.20.30.40" }]);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ added: [], duplicates: 1 });
  });

  test("two requests adding the same value at once store it once (the incident row lock serialises them)", async () => {
    const value = [{ type: "domain", value: "race.example" }];
    const [x, y] = await Promise.all([add(a2.id, value), add(a2.id, value, keyA)]);
    expect([x.statusCode, y.statusCode].sort()).toEqual([200, 201]);
    const items = (await list(a2.id, analyst)).json().items as { normalized: string }[];
    expect(items.filter((o) => o.normalized === "race.example")).toHaveLength(1);
  });

  test("a value that is not of its type → 400 naming it; the analyst and the API key add too", async () => {
    const bad = await add(a1.id, [
      { type: "ipv4", value: "1.2.3.4" },
      { type: "ipv4", value: "999.1.1.1" },
    ]);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([expect.objectContaining({ field: "/observables/1/value" })]);
    expect((await add(a2.id, [{ type: "domain", value: "evil.example" }], analyst)).statusCode).toBe(201);
    expect((await add(a2.id, [{ type: "email", value: "Phish@Evil.example" }], keyA)).statusCode).toBe(201);
    expect((await add(a2.id, [{ type: "domain", value: "x.example" }], taskforce)).statusCode).toBe(403);
  });
});

describe("correlation", () => {
  test("analysts see the other incidents (same value, CIDR containment) and the declared products named", async () => {
    const res = await list(a1.id, analyst);
    expect(res.statusCode).toBe(200);
    const byValue = Object.fromEntries(
      res.json().items.map((o: { normalized: string }) => [o.normalized, o]),
    );
    expect(byValue["185.220.101.7"]).toMatchObject({
      seenElsewhere: true,
      matches: {
        incidents: [{ reference: b1.reference, establishment: "Clinique Bravo", how: "same" }],
        products: [],
      },
    });
    expect(byValue["10.20.30.40"]).toMatchObject({
      seenElsewhere: true,
      matches: { incidents: [{ reference: b1.reference, establishment: "Clinique Bravo", how: "network" }] },
    });
    // Same establishment's other incident: a match for the pole, not "elsewhere".
    expect(byValue["44d88612fea8a8f36de82e1278abb02f"]).toMatchObject({
      seenElsewhere: false,
      matches: { incidents: [{ reference: a2.reference, establishment: "CH Ouest", how: "same" }] },
    });
    expect(byValue["update.softway-medical.fr"].matches).toEqual({
      incidents: [],
      products: [
        {
          establishment: "EHPAD Les Lataniers",
          kind: "dpi",
          vendor: "Softway Medical",
          product: "Hopital Manager",
        },
      ],
    });
    expect(byValue["https://vpn.fortinet.com/remote/login"].matches.products).toEqual([
      { establishment: "Clinique Bravo", kind: "vpn", vendor: "Fortinet", product: "FortiGate" },
    ]);
    expect(byValue["LockBit_Readme.txt"]).toMatchObject({
      seenElsewhere: false,
      matches: { incidents: [], products: [] },
    });

    const fromB = (await list(b1.id, analyst)).json();
    const cidr = fromB.items.find((o: { type: string }) => o.type === "cidr");
    expect(cidr.matches.incidents).toEqual([
      { reference: a1.reference, establishment: "CH Ouest", how: "network" },
    ]);
  });

  test("the establishment (RSSI, API key) learns only seenElsewhere: no reference, no name, no count", async () => {
    for (const headers of [rssiA, keyA]) {
      const res = await list(a1.id, headers);
      expect(res.statusCode).toBe(200);
      const items = res.json().items as Record<string, unknown>[];
      for (const item of items) {
        expect(Object.keys(item).sort()).toEqual(
          ["comment", "createdAt", "id", "normalized", "seenElsewhere", "type", "value"].sort(),
        );
      }
      const seen = Object.fromEntries(items.map((o) => [o.normalized, o.seenElsewhere]));
      expect(seen).toMatchObject({
        "185.220.101.7": true,
        "10.20.30.40": true,
        "44d88612fea8a8f36de82e1278abb02f": false,
        "update.softway-medical.fr": false,
      });
      for (const leak of [b1.reference, a2.reference, "Bravo", "Lataniers", "Softway Medical", 'Fortinet"']) {
        expect(res.body).not.toContain(leak);
      }
    }
  });

  test("scope: the RSSI of B gets 404 on A's observables, as for an incident that does not exist", async () => {
    const missing = "01900000-0000-7000-8000-000000000000";
    for (const id of [a1.id, missing]) {
      expect((await list(id, rssiB)).statusCode).toBe(404);
      expect((await add(id, [{ type: "ipv4", value: "1.1.1.1" }], rssiB)).statusCode).toBe(404);
      const stix = await t.app.inject({
        method: "GET",
        url: `/api/v1/incidents/${id}/observables/stix`,
        headers: rssiB,
      });
      expect(stix.statusCode).toBe(404);
      expect(stix.body).not.toContain("CH Ouest");
    }
  });
});

describe("STIX 2.1 export", () => {
  test("a bundle with the TLP 2.0 marking, deterministic SCO ids, indicators, a vulnerability and observed-data", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${a1.id}/observables/stix`,
      headers: analyst,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("application/stix+json");
    const bundle = res.json();
    expect(bundle.type).toBe("bundle");
    expect(bundle.id).toMatch(/^bundle--[0-9a-f-]{36}$/);
    const objects = bundle.objects as Record<string, unknown>[];
    const ofType = (type: string) => objects.filter((o) => o.type === type);

    expect(ofType("marking-definition")).toEqual([
      {
        type: "marking-definition",
        spec_version: "2.1",
        id: TLP_AMBER,
        created: "2022-10-01T00:00:00.000Z",
        name: "TLP:AMBER",
        extensions: {
          "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
            extension_type: "property-extension",
            tlp_2_0: "amber",
          },
        },
      },
    ]);
    const [identity] = ofType("identity");
    expect(identity).toMatchObject({ identity_class: "organization" });

    const ip = ofType("ipv4-addr").find((o) => o.value === "185.220.101.7")!;
    expect(ip.id).toBe(`ipv4-addr--${uuidv5('{"value":"185.220.101.7"}', SCO_NAMESPACE)}`);
    expect(ip.object_marking_refs).toEqual([TLP_AMBER]);
    const file = ofType("file").find((o) => (o.hashes as Record<string, string>)?.["SHA-256"])!;
    expect(file.id).toBe(`file--${uuidv5(`{"hashes":{"SHA-256":"${"a".repeat(64)}"}}`, SCO_NAMESPACE)}`);
    expect(ofType("file").find((o) => o.name === "LockBit_Readme.txt")).toBeDefined();
    expect(ofType("domain-name").map((o) => o.value)).toEqual(["update.softway-medical.fr"]);
    expect(ofType("url").map((o) => o.value)).toEqual(["https://vpn.fortinet.com/remote/login"]);

    expect(ofType("vulnerability")).toEqual([
      expect.objectContaining({
        name: "CVE-2024-21762",
        external_references: [{ source_name: "cve", external_id: "CVE-2024-21762" }],
        object_marking_refs: [TLP_AMBER],
        created_by_ref: identity!.id,
      }),
    ]);
    const patterns = ofType("indicator").map((o) => o.pattern);
    expect(patterns).toEqual(
      expect.arrayContaining([
        "[ipv4-addr:value = '185.220.101.7']",
        "[file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f']",
        `[file:hashes.'SHA-256' = '${"a".repeat(64)}']`,
        "[domain-name:value = 'update.softway-medical.fr']",
      ]),
    );
    for (const indicator of ofType("indicator")) {
      expect(indicator).toMatchObject({
        spec_version: "2.1",
        pattern_type: "stix",
        object_marking_refs: [TLP_AMBER],
        external_references: [{ source_name: "PRIS", external_id: a1.reference }],
      });
    }
    const [observed] = ofType("observed-data");
    const scoIds = objects.filter((o) => "value" in o || o.type === "file").map((o) => o.id);
    expect([...(observed!.object_refs as string[])].sort()).toEqual(scoIds.sort());
    for (const o of objects) expect(o.id as string).toMatch(new RegExp(`^${o.type}--[0-9a-f-]{36}$`));

    const again = await t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${a1.id}/observables/stix`,
      headers: rssiA,
    });
    expect(again.json()).toEqual(bundle);
  });

  test("TLP:RED: the pole and the declaring establishment only", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/incidents",
      headers: rssiA,
      payload: declaration({
        tlp: "RED",
        impactGrade: 5,
        observables: [{ type: "domain", value: "c2.evil.example" }],
      }),
    });
    const red = res.json() as Declared;
    const stix = (headers: Record<string, string>) =>
      t.app.inject({ method: "GET", url: `/api/v1/incidents/${red.id}/observables/stix`, headers });
    const pole = await stix(analyst);
    expect(pole.statusCode).toBe(200);
    const marking = pole.json().objects.filter((o: { type: string }) => o.type === "marking-definition");
    expect(marking).toEqual([expect.objectContaining({ id: TLP_RED, name: "TLP:RED" })]);
    expect((await stix(rssiA)).statusCode).toBe(200);
    expect((await stix(keyA)).statusCode).toBe(200);
    // The task force sees the P1 but not its RED observables; another establishment does not even see it.
    expect(
      (await t.app.inject({ method: "GET", url: `/api/v1/incidents/${red.id}`, headers: taskforce }))
        .statusCode,
    ).toBe(200);
    expect((await stix(taskforce)).statusCode).toBe(403);
    expect((await stix(rssiB)).statusCode).toBe(404);
  });
});
