import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import fp from "fastify-plugin";

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
  },
  { name: "validation" },
);
