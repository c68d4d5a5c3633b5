import { ensureFirstAdmin } from "@pris/api";
import { users } from "@pris/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { login, startTestApp, type TestApp } from "../support/fixtures.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe("OpenAPI", () => {
  test("/docs/json is OpenAPI 3.1 and every operation names itself, its tags and its answers", async () => {
    const res = await t.app.inject({ method: "GET", url: "/docs/json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe("3.1.0");
    const operations = Object.entries(
      doc.paths as Record<string, Record<string, Record<string, unknown>>>,
    ).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    expect(operations.length).toBeGreaterThanOrEqual(20);
    const ids = new Set<string>();
    for (const { path, method, op } of operations) {
      expect(op.operationId, `${method} ${path}`).toEqual(expect.any(String));
      expect(op.tags, `${method} ${path}`).toEqual([expect.any(String)]);
      expect(Object.keys(op.responses as object).length, `${method} ${path}`).toBeGreaterThan(0);
      ids.add(op.operationId as string);
    }
    expect(ids.size).toBe(operations.length);
    const ui = await t.app.inject({ method: "GET", url: "/docs/" });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers["content-type"]).toContain("text/html");
  });
});

describe("the first administrator of a real deployment", () => {
  test("is created from ADMIN_EMAIL / ADMIN_PASSWORD once, and never when an administrator exists", async () => {
    expect(await ensureFirstAdmin(t.db, undefined, undefined)).toBe(false);
    const [first, second] = await Promise.all([
      ensureFirstAdmin(t.db, "Chef@PRIS.test", "a long enough password"),
      ensureFirstAdmin(t.db, "other@pris.test", "a long enough password"),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect(await t.db.select().from(users).where(eq(users.role, "admin"))).toHaveLength(1);
    expect(await ensureFirstAdmin(t.db, "third@pris.test", "a long enough password")).toBe(false);
    const who = first ? "chef@pris.test" : "other@pris.test";
    const session = await login(t.app, who, "a long enough password");
    expect(session.session).toMatchObject({ user: { role: "admin" } });
  });
});
