import { outbox } from "@pris/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  createEstablishment,
  createUser,
  declaration,
  login,
  startTestApp,
  type TestApp,
} from "../support/fixtures.ts";

/** The API never needs Redis to accept a declaration: nothing answers on this Redis port. */
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ REDIS_URL: "redis://127.0.0.1:1" });
});
afterAll(() => t.close());

test("with Redis unreachable a declaration still gets its 201 and its outbox row; readiness says Redis is down", async () => {
  const establishmentId = (await createEstablishment(t.db)).id;
  const rssi = await createUser(t.db, { role: "rssi", establishmentId });
  const headers = (await login(t.app, rssi.email)).bearer;
  const res = await t.app.inject({
    method: "POST",
    url: "/api/v1/incidents",
    headers,
    payload: declaration(),
  });
  expect(res.statusCode).toBe(201);
  const rows = await t.db.select().from(outbox).where(eq(outbox.aggregateId, res.json().id));
  expect(rows).toHaveLength(1);
  const ready = await t.app.inject({ method: "GET", url: "/health/ready" });
  expect(ready.statusCode).toBe(503);
  expect(ready.json()).toMatchObject({ code: "not_ready", detail: "Redis not reachable" });
  expect((await t.app.inject({ method: "GET", url: "/health/live" })).statusCode).toBe(200);
});
