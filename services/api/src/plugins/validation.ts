import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import type { FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { AppError, ValidationError } from "../errors.ts";

/** No contract nests deeper than a handful of levels; anything far deeper is an attack, not a mistake. */
export const MAX_JSON_DEPTH = 32;

/**
 * How deeply a JSON text nests, counted over its characters before anything parses it: one pass, no
 * recursion, stopping as soon as the bound is passed.
 */
function nestsDeeperThan(text: string, bound: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > bound) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

const escapePointer = (key: string) => key.replace(/~/g, "~0").replace(/\//g, "~1");

/**
 * PostgreSQL text cannot hold U+0000: find it before anything is stored, and say where. An explicit
 * stack rather than recursion: the body is the client's, its shape too.
 */
function findNul(root: unknown): string | undefined {
  const stack: [unknown, string][] = [[root, ""]];
  while (stack.length > 0) {
    const [value, path] = stack.pop() as [unknown, string];
    if (typeof value === "string") {
      if (value.includes("\u0000")) return path || "/";
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}/${i}`]);
    } else if (value && typeof value === "object") {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] as [string, unknown];
        if (key.includes("\u0000")) return `${path}/${escapePointer(key)}`;
        stack.push([child, `${path}/${escapePointer(key)}`]);
      }
    }
  }
  return undefined;
}

/**
 * Two validators: bodies are taken exactly as sent (no type coercion, unknown fields rejected,
 * all errors reported at once so a form can show every field); query strings and path
 * parameters are strings on the wire and are coerced.
 */
function makeAjv(coerce: boolean) {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: coerce ? "array" : false,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
  });
  addFormats.default(ajv);
  return ajv;
}

export default fp(
  async (app) => {
    const bodies = makeAjv(false);
    const others = makeAjv(true);
    app.setValidatorCompiler(({ schema, httpPart }) =>
      httpPart === "body" ? bodies.compile(schema) : others.compile(schema),
    );

    // Bodies are JSON and nothing else: a text/plain body would reach the schema as a string (and is
    // the one content type a cross-site form may send without asking).
    app.removeContentTypeParser("text/plain");
    // Fastify's parser (secure-json-parse: prototype keys refused) behind a depth bound, so that no
    // later walk over the body, ours, Ajv's or a serializer's, meets thousands of levels.
    const parseJson = app.getDefaultJsonParser("error", "error");
    app.removeContentTypeParser("application/json");
    app.addContentTypeParser(
      "application/json",
      { parseAs: "string" },
      (request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
        const text = typeof body === "string" ? body : body.toString("utf8");
        if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
          done(
            new AppError(
              400,
              "json_too_deep",
              "Bad request",
              `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`,
            ),
          );
          return;
        }
        parseJson(request, text, done);
      },
    );

    app.addHook("preValidation", async (request) => {
      const field = findNul(request.body) ?? findNul(request.query);
      if (field) throw new ValidationError([{ field, message: "must not contain the NUL character" }]);
    });
  },
  { name: "validation" },
);
