import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestApp, type TestApp } from "../support/fixtures.ts";

/** The API serves the built web app (npm test builds it first) and its client-side routes. */
const DIST = fileURLToPath(new URL("../../services/web/dist", import.meta.url));
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ WEB_DIST_DIR: DIST });
});
afterAll(() => t.close());

test("the page is always fresh, its hashed assets are cached for good", async () => {
  const page = await t.app.inject({ method: "GET", url: "/", headers: { accept: "text/html" } });
  expect(page.statusCode).toBe(200);
  expect(page.headers["content-type"]).toContain("text/html");
  expect(page.headers["cache-control"]).toBe("no-cache");
  const asset = readdirSync(`${DIST}/assets`).find((f) => f.endsWith(".js"));
  const res = await t.app.inject({ method: "GET", url: `/assets/${asset}` });
  expect(res.statusCode).toBe(200);
  expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
});

test("a client-side route gets the page; an unknown API route gets a problem", async () => {
  const route = await t.app.inject({
    method: "GET",
    url: "/incidents/whatever",
    headers: { accept: "text/html" },
  });
  expect(route.statusCode).toBe(200);
  expect(route.body).toContain('<div id="root"');
  const api = await t.app.inject({
    method: "GET",
    url: "/api/v1/whatever",
    headers: { accept: "text/html" },
  });
  expect(api.statusCode).toBe(404);
  expect(api.headers["content-type"]).toContain("application/problem+json");
});
