import { incidents } from "@pris/db";
import { inArray } from "drizzle-orm";
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
 * The channel of every declaration: decided by who declares (an API key, an RSSI's form, an analyst on
 * behalf of an establishment, by phone or e-mail), shown in every view, filtered in the queue and counted
 * in the statistics.
 */
let t: TestApp;
let analyst: Record<string, string>;
let ars: Record<string, string>;
let rssiA: Record<string, string>;
let keyA: Record<string, string>;
let A: { id: string };
let B: { id: string };
const declared: Record<"form" | "api" | "phone" | "email", string> = {} as never;

const declare = (headers: Record<string, string>, overrides: Parameters<typeof declaration>[0] = {}) =>
  t.app.inject({ method: "POST", url: "/api/v1/incidents", headers, payload: declaration(overrides) });

beforeAll(async () => {
  t = await startTestApp();
  A = await createEstablishment(t.db, { name: "CH Canal A" });
  B = await createEstablishment(t.db, { name: "Clinique Canal B" });
  const as = async (role: Parameters<typeof createUser>[1]["role"], establishmentId?: string) =>
    (await login(t.app, (await createUser(t.db, { role, establishmentId })).email)).bearer;
  analyst = await as("analyst");
  ars = await as("ars");
  rssiA = await as("rssi", A.id);
  keyA = { authorization: `ApiKey ${(await createApiKey(t.db, A.id)).key}` };
});
afterAll(() => t.close());

describe("the channel recorded per way of declaring", () => {
  test("an RSSI's declaration is 'form', an API key's 'api'; sending that same value is accepted", async () => {
    const form = await declare(rssiA);
    expect(form.statusCode, form.body).toBe(201);
    expect(form.json().channel).toBe("form");
    declared.form = form.json().id;
    const api = await declare(keyA, { channel: "api" });
    expect(api.statusCode, api.body).toBe(201);
    expect(api.json().channel).toBe("api");
    declared.api = api.json().id;
    expect((await declare(rssiA, { channel: "form" })).json().channel).toBe("form");
  });

  test("an analyst declaring on behalf of an establishment: 'phone' by default, or 'email' as said", async () => {
    const phone = await declare(analyst, { establishmentId: B.id });
    expect(phone.statusCode, phone.body).toBe(201);
    expect(phone.json().channel).toBe("phone");
    declared.phone = phone.json().id;
    const email = await declare(analyst, { establishmentId: B.id, channel: "email" });
    expect(email.statusCode, email.body).toBe(201);
    expect(email.json().channel).toBe("email");
    declared.email = email.json().id;

    const stored = await t.db
      .select({ id: incidents.id, channel: incidents.channel })
      .from(incidents)
      .where(inArray(incidents.id, Object.values(declared)));
    expect(Object.fromEntries(stored.map((r) => [r.id, r.channel]))).toEqual({
      [declared.form]: "form",
      [declared.api]: "api",
      [declared.phone]: "phone",
      [declared.email]: "email",
    });
  });

  test("an RSSI or an API key claiming phone or e-mail, an analyst claiming the form: 400 naming the field", async () => {
    for (const [headers, channel] of [
      [rssiA, "phone"],
      [rssiA, "email"],
      [rssiA, "api"],
      [keyA, "phone"],
      [analyst, "form"],
    ] as const) {
      const res = await declare(headers, {
        channel,
        ...(headers === analyst ? { establishmentId: A.id } : {}),
      });
      expect(res.statusCode, `${channel}: ${res.body}`).toBe(400);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.json().errors).toEqual([expect.objectContaining({ field: "/channel" })]);
    }
    const unknown = await declare(analyst, { establishmentId: A.id, channel: "fax" as never });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain("channel");
  });

  test("the list and the detail show it; an RSSI sees only its establishment's", async () => {
    const detail = await t.app.inject({
      method: "GET",
      url: `/api/v1/incidents/${declared.phone}`,
      headers: analyst,
    });
    expect(detail.json().channel).toBe("phone");
    const list = await t.app.inject({ method: "GET", url: "/api/v1/incidents?limit=100", headers: rssiA });
    const items = list.json().items as { id: string; channel: string }[];
    expect(items.find((i) => i.id === declared.api)?.channel).toBe("api");
    expect(items.some((i) => i.id === declared.phone)).toBe(false);
  });
});

describe("the queue filtered by channel", () => {
  const queue = (query: string) =>
    t.app.inject({ method: "GET", url: `/api/v1/queue?limit=100${query}`, headers: analyst });
  const ids = (res: Awaited<ReturnType<typeof queue>>) =>
    (res.json().items as { id: string; channel: string }[]).map((i) => i.id).sort();

  test("one channel, a repeated parameter or a comma list", async () => {
    const phone = await queue("&channel=phone");
    expect(phone.statusCode, phone.body).toBe(200);
    expect(ids(phone)).toEqual([declared.phone]);
    expect(phone.json().total).toBe(1);
    expect(phone.json().items[0].channel).toBe("phone");
    const both = [declared.phone, declared.email].sort();
    expect(ids(await queue("&channel=phone&channel=email"))).toEqual(both);
    expect(ids(await queue("&channel=phone,email"))).toEqual(both);
    const all = await queue("");
    expect(all.json().items.every((i: { channel?: string }) => typeof i.channel === "string")).toBe(true);
  });

  test("an unknown channel: 400 naming the parameter", async () => {
    for (const bad of ["fax", "phone,fax", "phone,", ""]) {
      const res = await queue(`&channel=${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.body).toContain("channel");
    }
  });
});

describe("declarations per channel in the statistics", () => {
  // The default period: the last twelve months to today, in the region's days.
  const stats = (headers: Record<string, string>, path = "/api/v1/stats/incidents") =>
    t.app.inject({ method: "GET", url: path, headers });

  test("every channel counted over the period, in order", async () => {
    const res = await stats(analyst);
    expect(res.statusCode, res.body).toBe(200);
    // Two by the form (one sent 'form' explicitly), one by the API, one by phone, one by e-mail.
    expect(res.json().byChannel).toEqual([
      { channel: "form", count: 2 },
      { channel: "api", count: 1 },
      { channel: "email", count: 1 },
      { channel: "phone", count: 1 },
    ]);
    expect(res.json().total).toBe(5);
    expect((await stats(ars)).json().byChannel).toEqual(res.json().byChannel);
    const csv = await stats(analyst, "/api/v1/stats/incidents.csv");
    expect(csv.body).toContain("Incidents déclarés par canal : Téléphone;;;;;;1");
  });

  test("an RSSI or an API key gets none of the region's counts, its own establishment's included", async () => {
    for (const headers of [rssiA, keyA]) {
      const res = await stats(headers);
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toContain("byChannel");
    }
  });
});
