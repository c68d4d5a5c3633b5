import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import fp from "fastify-plugin";
import { ValidationError } from "../errors.ts";

/** PostgreSQL text cannot hold U+0000: find it before anything is stored, and say where. */
function findNul(value: unknown, path: string): string | undefined {
  if (typeof value === "string") return value.includes("\u0000") ? path || "/" : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}/${i}`);
      if (found) return found;
    }
  } else if (value && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      const found = findNul(child, `${path}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`);
      if (found) return found;
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
    app.addHook("preValidation", async (request) => {
      const field = findNul(request.body, "") ?? findNul(request.query, "");
      if (field) throw new ValidationError([{ field, message: "must not contain the NUL character" }]);
    });
  },
  { name: "validation" },
);
