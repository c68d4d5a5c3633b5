import * as domain from "@pris/domain";

/**
 * The OpenAPI document's named parts. Routes keep their contract schemas inline (the validators and
 * serializers compile them as they are); the document alone names them: every object, union or
 * enumeration that @pris/domain exports as `XxxSchema` becomes `#/components/schemas/Xxx` (or its own
 * `title`), wherever a route uses it, and problem answers become shared `#/components/responses`.
 */

type JsonSchema = Record<string, unknown>;

/** Marks where a named schema stood in a route schema, until the document is assembled. */
const MARK = "x-pris-component";
const SCHEMAS = "#/components/schemas/";

/** Keywords that hold a schema, or an array of schemas, or a map of name to schema. */
const SCHEMA_KEYS = new Set(["items", "additionalProperties", "not", "if", "then", "else", "contains"]);
const SCHEMA_LIST_KEYS = new Set(["anyOf", "oneOf", "allOf", "prefixItems"]);
const SCHEMA_MAP_KEYS = new Set(["properties", "patternProperties", "$defs"]);
/** Annotations a use may set on a named schema without making it another schema. */
const USE_KEYS = new Set(["description", "~optional", "~readonly"]);

const isObject = (value: unknown): value is JsonSchema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function worthAName(schema: JsonSchema): boolean {
  return (
    schema.type === "object" ||
    Array.isArray(schema.anyOf) ||
    Array.isArray(schema.oneOf) ||
    (Array.isArray(schema.enum) && schema.enum.length > 1)
  );
}

/** The named contract schemas, found by the object itself or by its properties, anyOf or oneOf. */
function contractRegistry() {
  const byPart = new Map<unknown, Entry[]>();
  const byName = new Map<string, JsonSchema>();
  for (const [exported, value] of Object.entries(domain as Record<string, unknown>)) {
    if (!exported.endsWith("Schema") || !isObject(value) || !worthAName(value)) continue;
    const name = typeof value.title === "string" ? value.title : exported.slice(0, -"Schema".length);
    const other = byName.get(name);
    if (other === value) continue;
    if (other) throw new Error(`Two contract schemas are named ${name} in the OpenAPI document`);
    byName.set(name, value);
    const entry = { name, schema: value };
    for (const part of [value, value.properties, value.anyOf, value.oneOf, value.enum]) {
      if (part !== undefined) byPart.set(part, [...(byPart.get(part) ?? []), entry]);
    }
  }
  return byPart;
}

type Entry = { name: string; schema: JsonSchema };

/** Whether a node is a named schema (maybe optional, maybe with a description of its own). */
function sameAs(node: JsonSchema, entry: Entry): boolean {
  const keys = new Set([...Object.keys(node), ...Object.keys(entry.schema)]);
  for (const key of keys) {
    if (!USE_KEYS.has(key) && node[key] !== entry.schema[key]) return false;
  }
  return true;
}

export function openapiComponents() {
  const registry = contractRegistry();
  const schemas = new Map<string, JsonSchema>();
  const building = new Set<string>();

  function find(node: JsonSchema) {
    for (const part of [node, node.properties, node.anyOf, node.oneOf, node.enum]) {
      const entry = part === undefined ? undefined : registry.get(part)?.find((e) => sameAs(node, e));
      if (entry) return entry;
    }
    return undefined;
  }

  function define(name: string, schema: JsonSchema) {
    if (schemas.has(name) || building.has(name)) return;
    building.add(name);
    schemas.set(name, copy(schema, name, true));
    building.delete(name);
  }

  /** A copy of a schema with every named schema in it replaced by its mark. */
  function copy(node: JsonSchema, owner: string | undefined, isRoot = false): JsonSchema {
    if (!isRoot) {
      const entry = find(node);
      if (entry) {
        define(entry.name, entry.schema);
        const mark: JsonSchema = { [MARK]: entry.name };
        if (typeof node.description === "string" && node.description !== entry.schema.description) {
          mark.description = node.description;
        }
        return mark;
      }
    }
    const out: JsonSchema = {};
    for (const [key, value] of Object.entries(node)) {
      if (SCHEMA_KEYS.has(key) && isObject(value)) out[key] = copy(value, owner);
      else if (SCHEMA_LIST_KEYS.has(key) && Array.isArray(value)) {
        out[key] = value.map((v) => (isObject(v) ? copy(v, owner) : v));
      } else if (SCHEMA_MAP_KEYS.has(key) && isObject(value)) {
        out[key] = Object.fromEntries(
          Object.entries(value).map(([k, v]) => [k, isObject(v) ? copy(v, owner) : v]),
        );
      } else out[key] = structuredClone(value);
    }
    if (owner && isObject(node.discriminator) && Array.isArray(out.oneOf)) nameBranches(out, owner);
    return out;
  }

  /** A discriminated union's branches, named `Owner.tag` and mapped, so that a client can pick one. */
  function nameBranches(union: JsonSchema, owner: string) {
    const discriminator = union.discriminator as { propertyName: string; mapping?: Record<string, string> };
    const mapping: Record<string, string> = {};
    union.oneOf = (union.oneOf as JsonSchema[]).map((branch) => {
      const tag = (branch.properties as Record<string, JsonSchema> | undefined)?.[discriminator.propertyName];
      const value =
        tag?.const ?? (Array.isArray(tag?.enum) && tag.enum.length === 1 ? tag.enum[0] : undefined);
      if (typeof value !== "string" || MARK in branch) return branch;
      const name = `${owner}.${value}`;
      schemas.set(name, branch);
      mapping[value] = `${SCHEMAS}${name}`;
      return { [MARK]: name };
    });
    union.discriminator = { ...discriminator, mapping };
  }

  return {
    /** A route schema's copy for the document, its named schemas marked. */
    mark(schema: JsonSchema): JsonSchema {
      const out: JsonSchema = {};
      for (const [part, value] of Object.entries(schema)) {
        if (!isObject(value)) out[part] = value;
        else if (part === "body") out[part] = copy(value, undefined);
        else if (part === "response") {
          out[part] = Object.fromEntries(
            Object.entries(value).map(([status, s]) => [status, isObject(s) ? copy(s, undefined) : s]),
          );
        } else if (part === "querystring" || part === "params" || part === "headers") {
          // Each property becomes a parameter of its own: the object itself stays as it is.
          out[part] = copy(value, undefined, true);
        } else out[part] = value;
      }
      return out;
    },
    /** The named schemas met, by name. */
    schemas(): Record<string, JsonSchema> {
      return Object.fromEntries([...schemas.entries()].sort(([a], [b]) => a.localeCompare(b)));
    },
    /** Turns every mark left in the document into a reference. */
    resolveMarks<T>(value: T): T {
      const walk = (node: unknown): unknown => {
        if (Array.isArray(node)) return node.map(walk);
        if (!isObject(node)) return node;
        if (typeof node[MARK] === "string") {
          const { [MARK]: name, ...rest } = node;
          return { $ref: `${SCHEMAS}${name}`, ...rest };
        }
        return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
      };
      return walk(value) as T;
    },
  };
}
