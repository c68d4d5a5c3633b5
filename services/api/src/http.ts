import { ProblemSchema } from "@pris/domain";
import { ValidationError } from "./errors.ts";

/**
 * Declares the problem+json answers a route can give. The document refers each to a shared
 * `#/components/responses/...` in application/problem+json (plugins/docs.ts); the answers themselves are
 * written by sendProblem (plugins/errors.ts).
 */
export function problems(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, ProblemSchema])) as Record<number, typeof ProblemSchema>;
}

/** Opaque keyset cursors: base64url of the JSON of the last row's sort key. */
export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString("base64url");
}

export function decodeCursor(cursor: string | undefined, arity: number): string[] | undefined {
  if (cursor === undefined) return undefined;
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    values = undefined;
  }
  if (!Array.isArray(values) || values.length !== arity || !values.every((v) => typeof v === "string")) {
    throw new ValidationError([{ field: "/cursor", message: "is not a cursor this API gave", in: "query" }]);
  }
  return values;
}
