import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OPENAPI_TAGS } from "../../services/api/src/plugins/docs.ts";
import { createEstablishment, createUser, login, startTestApp, type TestApp } from "../support/fixtures.ts";

/** The OpenAPI document as an API client's developer reads it: named schemas, problem+json errors. */

type Json = Record<string, unknown>;
type Operation = Json & {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  requestBody?: { content?: Record<string, { schema?: Json }> };
  responses: Record<string, Json & { $ref?: string; content?: Record<string, { schema?: Json }> }>;
};
type Document = {
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json>; responses: Record<string, Json> };
};

const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options"]);

function operations(doc: Document): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Operation]),
  );
}

/** What a local `$ref` points at, or undefined when it points at nothing. */
function target(doc: Document, ref: string): unknown {
  let node: unknown = doc;
  for (const key of ref.replace(/^#\//, "").split("/")) {
    const name = key.replace(/~1/g, "/").replace(/~0/g, "~");
    node = node && typeof node === "object" ? (node as Json)[name] : undefined;
  }
  return node;
}

function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refsIn(n, out);
  else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") out.push(value);
      else refsIn(value, out);
    }
  }
  return out;
}

describe("the OpenAPI document", () => {
  let t: TestApp;
  let doc: Document;

  beforeAll(async () => {
    t = await startTestApp();
    doc = t.app.swagger() as unknown as Document;
  });
  afterAll(async () => {
    await t.close();
  });

  test("documents every error answer as a shared application/problem+json response with the Problem schema", () => {
    const problem = doc.components.schemas.Problem as { properties: Json; required: string[] };
    expect(problem.properties).toHaveProperty("code");
    expect(problem.required).toEqual(
      expect.arrayContaining(["type", "title", "status", "code", "requestId"]),
    );
    expect(Object.keys(doc.components.responses).length).toBeGreaterThan(5);
    for (const [name, response] of Object.entries(doc.components.responses)) {
      expect(response.content, name).toEqual({
        "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } },
      });
      expect(String(response.description), name).not.toBe("Default Response");
    }
    let errors = 0;
    for (const [name, op] of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        errors++;
        // No inline error answer, in application/json or anything else: a reference to a shared one.
        expect(response, `${name} ${status}`).toEqual({
          $ref: expect.stringMatching(/^#\/components\/responses\//),
        });
      }
    }
    expect(errors).toBeGreaterThan(300);
    expect(JSON.stringify(doc)).not.toContain("x-pris-component");
  });

  test("every operation has a description, and tags that the document describes", () => {
    const declared = new Map((doc.tags ?? []).map((tag) => [tag.name, tag.description]));
    expect(declared.size).toBe(OPENAPI_TAGS.length);
    for (const [name, description] of declared) expect(description, name).toBeTruthy();
    const used = new Set<string>();
    for (const [name, op] of operations(doc)) {
      expect(op.operationId, name).toBeTruthy();
      expect(op.description?.trim(), name).toBeTruthy();
      expect(op.description, name).not.toBe(op.summary);
      expect(op.tags?.length, name).toBeGreaterThan(0);
      for (const tag of op.tags ?? []) {
        expect(declared.has(tag), `${name}: tag ${tag}`).toBe(true);
        used.add(tag);
      }
    }
    expect([...declared.keys()].filter((tag) => !used.has(tag))).toEqual([]);
  });

  test("names the contract schemas in components and refers to them, every reference resolving", () => {
    const ops = Object.fromEntries(operations(doc).map(([, op]) => [op.operationId, op]));
    expect(ops.declareIncident?.requestBody?.content?.["application/json"]?.schema).toEqual({
      $ref: "#/components/schemas/IncidentDeclaration",
    });
    expect(ops.getIncident?.responses["200"]?.content?.["application/json"]?.schema).toEqual({
      $ref: "#/components/schemas/Incident",
    });
    expect(Object.keys(doc.components.schemas).length).toBeGreaterThan(100);
    // A discriminated body: each branch named and mapped, so that a client's generator can pick one.
    const transition = doc.components.schemas.TransitionRequest as {
      oneOf: Json[];
      discriminator: { propertyName: string; mapping: Record<string, string> };
    };
    expect(transition.discriminator.propertyName).toBe("action");
    expect(transition.discriminator.mapping.close).toBe("#/components/schemas/TransitionRequest.close");
    expect(transition.oneOf).toContainEqual({ $ref: "#/components/schemas/TransitionRequest.close" });
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(500);
    for (const ref of new Set(refs)) expect(target(doc, ref), ref).toBeDefined();
    // Inline types were 78,000 lines of this document; named, it is a fraction of that.
    expect(JSON.stringify(doc, null, 2).split("\n").length).toBeLessThan(30_000);
  });

  test("every component schema has a description", () => {
    const schemas = Object.entries(doc.components.schemas);
    expect(schemas.length).toBeGreaterThan(100);
    // A client's generator turns it into the type's doc comment: what the thing is, when it is met.
    const undescribed = schemas
      .filter(([, schema]) => typeof schema.description !== "string" || schema.description.trim() === "")
      .map(([name]) => name);
    expect(undescribed).toEqual([]);
  });

  test("documents the links followed from an e-mail as public, and the rest as needing a credential", () => {
    const publicOps = [
      ["get", "/api/v1/bulletin-acks/{token}"],
      ["post", "/api/v1/bulletin-acks/{token}"],
      ["get", "/api/v1/invitation-links/{token}"],
      ["post", "/api/v1/invitation-links/{token}/accept"],
      ["get", "/api/v1/auth/password-reset/{token}"],
      ["post", "/api/v1/auth/password-reset/{token}"],
    ] as const;
    for (const [method, path] of publicOps) {
      expect(doc.paths[path]?.[method]?.security, `${method} ${path}`).toEqual([]);
    }
    expect(doc.paths["/api/v1/incidents/{id}"]?.get?.security).toBeUndefined();
    expect((doc as unknown as { security: unknown[] }).security.length).toBeGreaterThan(0);
  });

  test("the API answers errors with the media type and the shape the document gives", async () => {
    const establishment = await createEstablishment(t.db);
    const rssi = await createUser(t.db, { role: "rssi", establishmentId: establishment.id });
    const headers = (await login(t.app, rssi.email)).bearer;
    const answers = [
      await t.app.inject({ method: "GET", url: "/api/v1/incidents/not-a-uuid", headers }),
      await t.app.inject({ method: "GET", url: "/api/v1/incidents" }),
      await t.app.inject({
        method: "GET",
        url: "/api/v1/incidents/0190a4b8-3f2a-7000-8000-000000000000",
        headers,
      }),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([400, 401, 404]);
    const problem = doc.components.schemas.Problem as { required: string[] };
    for (const answer of answers) {
      expect(answer.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(Object.keys(answer.json())).toEqual(expect.arrayContaining(problem.required));
    }
  });
});
