import { Ajv, type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";

/**
 * The validator of routes whose body is a `oneOf` with a `discriminator` (a transition by its
 * action, a log entry by its kind). Ajv then checks only the branch the tag names, so the client
 * reads "/reason is required" instead of one error per branch. Same settings as the application's
 * body validator; the other parts of the request are coerced as everywhere else.
 */
function makeAjv(coerce: boolean) {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: coerce ? "array" : false,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
    discriminator: true,
  });
  addFormats.default(ajv);
  return ajv;
}

/** An unknown or missing tag reads like any enum or required field. */
function tagErrors(errors: ErrorObject[], values: Map<string, readonly string[]>): ErrorObject[] {
  return errors.map((e) => {
    if (e.keyword !== "discriminator") return e;
    const tag = String(e.params.tag);
    if (e.params.tagValue === undefined) {
      return { ...e, keyword: "required", params: { missingProperty: tag } };
    }
    return {
      ...e,
      instancePath: `${e.instancePath}/${tag}`,
      keyword: "enum",
      params: { allowedValues: values.get(tag) ?? [] },
    };
  });
}

export function discriminatedBodyCompiler(
  values: Record<string, readonly string[]>,
): FastifySchemaCompiler<unknown> {
  const bodies = makeAjv(false);
  const others = makeAjv(true);
  const tags = new Map(Object.entries(values));
  return ({ schema, httpPart }) => {
    if (httpPart !== "body") return others.compile(schema as object);
    const validate = bodies.compile(schema as object);
    const checked = (data: unknown) => {
      const ok = validate(data);
      checked.errors = ok ? null : tagErrors(validate.errors ?? [], tags);
      return ok;
    };
    checked.errors = null as ErrorObject[] | null;
    return checked;
  };
}
