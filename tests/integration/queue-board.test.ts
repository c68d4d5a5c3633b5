import { secondFactorPolicies } from "@pris/db";
import { QUEUE_NAMES } from "@pris/domain";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createEstablishment,
  createUser,
  login,
  PASSWORD,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

const BOARD = "/administration/files-attente";
const NAMES = Object.values(QUEUE_NAMES);

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const get = (url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: "GET", url, headers: { accept: "text/html", ...headers } });

function revealsNoQueue(body: string) {
  for (const name of NAMES) expect(body).not.toContain(`"${name}"`);
  expect(body).not.toContain("bull");
}

describe("the queue board", () => {
  test("refuses anyone without a session with 401 problem+json, page, API and assets alike", async () => {
    for (const url of [BOARD, `${BOARD}/`, `${BOARD}/api/queues`, `${BOARD}/queue/outbox`]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(401);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      revealsNoQueue(res.body);
    }
    const asset = await get(`${BOARD}/static/images/logo.svg`);
    expect(asset.statusCode).toBe(401);
  });

  test("refuses other roles with 403 and names no queue", async () => {
    const establishment = await createEstablishment(t.db);
    for (const role of ["rssi", "analyst", "ars"] as const) {
      const user = await createUser(t.db, {
        role,
        establishmentId: role === "rssi" ? establishment.id : null,
      });
      const s = await login(t.app, user.email);
      for (const headers of [s.bearer, s.cookieWithoutCsrf]) {
        for (const url of [BOARD, `${BOARD}/api/queues`]) {
          const res = await get(url, headers);
          expect(res.statusCode, `${role} ${url}`).toBe(403);
          expect(res.headers["content-type"]).toContain("application/problem+json");
          revealsNoQueue(res.body);
        }
      }
    }
  });

  test("shows an administrator the page and the worker's queues, read-only", async () => {
    const admin = await createUser(t.db, { role: "admin" });
    const s = await login(t.app, admin.email);
    const page = await get(`${BOARD}/`, s.cookieWithoutCsrf);
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.body).not.toContain("fonts.googleapis.com");
    expect(page.headers["content-security-policy"]).toContain("style-src 'self' 'unsafe-inline'");
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.headers["cache-control"]).toBe("no-store");

    const api = await get(`${BOARD}/api/queues?activeQueue=outbox&status=latest&page=1`, s.bearer);
    expect(api.statusCode).toBe(200);
    const body = api.json() as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual([...NAMES].sort());
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);

    // Writes are refused: the board is read-only.
    const retry = await t.app.inject({
      method: "PUT",
      url: `${BOARD}/api/queues/outbox/retry/failed`,
      headers: s.cookie,
    });
    expect(retry.statusCode).toBe(405);
  });

  test("refuses an administrator whose second factor is still owed", async () => {
    await t.db
      .update(secondFactorPolicies)
      .set({ required: true })
      .where(eq(secondFactorPolicies.role, "admin"));
    try {
      const admin = await createUser(t.db, { role: "admin" });
      const res = await t.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        payload: { email: admin.email, password: PASSWORD },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ secondFactor: "enrol" });
      const cookie = res.cookies.find((c) => c.name === "pris_session")!.value;
      for (const url of [BOARD, `${BOARD}/api/queues`]) {
        const board = await get(url, { cookie: `pris_session=${cookie}` });
        expect(board.statusCode, url).toBe(401);
        expect(board.json().code).toBe("second_factor_required");
        revealsNoQueue(board.body);
      }
    } finally {
      await t.db
        .update(secondFactorPolicies)
        .set({ required: false })
        .where(eq(secondFactorPolicies.role, "admin"));
    }
  });
});
