import type { FieldError, Problem } from "@pris/domain";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { AppError } from "../errors.ts";

type AjvError = {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
};

const PARTS: Record<string, FieldError["in"]> = {
  body: "body",
  querystring: "query",
  params: "params",
  headers: "headers",
};

/** Turns Ajv's errors into "which field, and why", naming unknown and missing fields themselves. */
export function fieldErrors(errors: AjvError[], context: string | undefined): FieldError[] {
  const where = PARTS[context ?? "body"] ?? "body";
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let field = e.instancePath || "/";
    let message = e.message ?? "is invalid";
    if (e.keyword === "required") {
      field = `${e.instancePath}/${String(e.params.missingProperty)}`;
      message = "is required";
    } else if (e.keyword === "additionalProperties") {
      field = `${e.instancePath}/${String(e.params.additionalProperty)}`;
      message = "is not a known field";
    } else if (e.keyword === "enum") {
      message = `must be one of: ${(e.params.allowedValues as unknown[]).join(", ")}`;
    }
    const key = `${field}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(where === "body" ? { field, message } : { field, message, in: where });
  }
  return out;
}

const STATUS_TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  406: "Not acceptable",
  409: "Conflict",
  413: "Payload too large",
  415: "Unsupported media type",
  422: "Unprocessable content",
  429: "Too many requests",
  500: "Internal server error",
  503: "Service unavailable",
};

/** Fastify's own client errors, by code: a stable code of ours for each. */
const FASTIFY_CODES: Record<string, { status: number; code: string; detail?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: "payload_too_large",
    detail: "The request body is too large",
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: "unsupported_media_type",
    detail: "Send the body as application/json",
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: "malformed_json", detail: "The JSON body is empty" },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: "malformed_json",
    detail: "The body is not valid JSON",
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: "bad_request", detail: "Invalid Content-Length" },
  FST_ERR_BAD_URL: { status: 400, code: "bad_request", detail: "Malformed URL" },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: "bad_request" },
};

/** PostgreSQL errors a client's input can still cause, as a safety net behind validation. */
const PG_CODES: Record<string, { status: number; code: string; detail: string }> = {
  "23505": { status: 409, code: "conflict", detail: "A resource with the same unique value already exists" },
  "23503": { status: 400, code: "invalid_reference", detail: "A referenced resource does not exist" },
  "22P02": { status: 400, code: "bad_request", detail: "A value has an invalid format" },
  "22007": { status: 400, code: "bad_request", detail: "A date has an invalid format" },
  "22008": { status: 400, code: "bad_request", detail: "A date is out of range" },
  "22001": { status: 400, code: "bad_request", detail: "A value is too long" },
  "22003": { status: 400, code: "bad_request", detail: "A number is out of range" },
};

function pgCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  detail?: string,
  extra: Partial<Pick<Problem, "errors" | "allowed" | "title">> = {},
) {
  const problem: Problem = {
    type: `https://pris.example/problems/${code}`,
    title: extra.title ?? STATUS_TITLES[status] ?? "Error",
    status,
    code,
    ...(detail ? { detail } : {}),
    instance: request.url.split("?")[0],
    requestId: String(request.id),
    ...(extra.errors ? { errors: extra.errors } : {}),
    ...(extra.allowed ? { allowed: extra.allowed } : {}),
  };
  return reply.code(status).type("application/problem+json").serializer(JSON.stringify).send(problem);
}

export default fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof AppError) {
        return sendProblem(request, reply, error.status, error.code, error.detail, {
          title: error.title,
          ...error.extra,
        });
      }
      if (error.validation) {
        return sendProblem(request, reply, 400, "validation_failed", "The request has invalid fields", {
          errors: fieldErrors(error.validation as AjvError[], error.validationContext),
        });
      }
      const known = error.code ? FASTIFY_CODES[error.code] : undefined;
      if (known) return sendProblem(request, reply, known.status, known.code, known.detail ?? error.message);
      if (error.statusCode === 429) {
        return sendProblem(
          request,
          reply,
          429,
          "rate_limited",
          "Too many attempts; wait before trying again",
        );
      }
      const pg = pgCode(error);
      const pgKnown = pg ? PG_CODES[pg] : undefined;
      if (pgKnown) {
        request.log.warn({ err: error }, "database refused client input");
        return sendProblem(request, reply, pgKnown.status, pgKnown.code, pgKnown.detail);
      }
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        return sendProblem(request, reply, error.statusCode, "bad_request", error.message);
      }
      request.log.error({ err: error }, "unhandled error");
      return sendProblem(
        request,
        reply,
        500,
        "internal_error",
        "An unexpected error occurred; it has been logged",
      );
    });
  },
  { name: "errors" },
);
