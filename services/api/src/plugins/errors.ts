import type { Socket } from "node:net";
import type { FieldError, Problem } from "@pris/domain";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { v7 as uuidv7 } from "uuid";
import { AppError, TooManyAttemptsError } from "../errors.ts";

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
  408: "Request timeout",
  409: "Conflict",
  410: "Gone",
  413: "Payload too large",
  414: "URI too long",
  415: "Unsupported media type",
  416: "Range not satisfiable",
  422: "Unprocessable content",
  429: "Too many requests",
  431: "Request header fields too large",
  500: "Internal server error",
  503: "Service unavailable",
};

/**
 * Fastify's own client errors, by code: a stable code of ours and a fixed detail for each. Their own
 * messages are never sent, as some quote what the client sent (the URL, the content type).
 */
const FASTIFY_CODES: Record<string, { status: number; code: string; detail: string }> = {
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
    detail: "The body is not valid JSON, or names a prototype key (__proto__, constructor)",
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: "bad_request",
    detail: "The Content-Length does not match the body",
  },
  FST_ERR_BAD_URL: { status: 400, code: "bad_url", detail: "The URL is malformed" },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    code: "uri_too_long",
    detail: "A path parameter is longer than any this API accepts",
  },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: "bad_request", detail: "The request cannot be routed" },
};

/** Stable codes for the other client errors a plugin (static files, rate limit) may raise. */
const STATUS_CODES: Record<number, string> = {
  400: "bad_request",
  404: "not_found",
  405: "method_not_allowed",
  406: "not_acceptable",
  408: "request_timeout",
  413: "payload_too_large",
  414: "uri_too_long",
  415: "unsupported_media_type",
  416: "range_not_satisfiable",
  429: "rate_limited",
  431: "headers_too_large",
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

/** The SQLSTATE of a PostgreSQL error, however deep the driver and the ORM wrapped it. */
export function pgCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/**
 * A database out of reach (refused, timed out, cut, shutting down) rather than a fault of this code: a
 * replica down, the primary failing over. The caller may retry; the operators see it in the readiness.
 */
export function databaseUnreachable(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    const code = typeof e.code === "string" ? e.code : "";
    if (
      /^(08|57P0)/.test(code) ||
      ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN"].includes(code)
    )
      return true;
    if (
      typeof e.message === "string" &&
      /^(Connection terminated|timeout exceeded when trying to connect)/.test(e.message)
    )
      return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** A field's pointer names what the client sent (an unknown key): enough of it to find it, not all. */
function shortField(e: FieldError): FieldError {
  return e.field.length <= 120 ? e : { ...e, field: `${e.field.slice(0, 120)}…` };
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
    requestId: String(request.id),
    ...(extra.errors ? { errors: extra.errors.map(shortField) } : {}),
    ...(extra.allowed ? { allowed: extra.allowed } : {}),
  };
  return reply.code(status).type("application/problem+json").serializer(JSON.stringify).send(problem);
}

/**
 * Errors Fastify meets before a request has a route (a malformed URL, an over-long path parameter):
 * the same envelope as every other answer, through Fastify's frameworkErrors option.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const known = FASTIFY_CODES[error.code] ?? {
    status: 400,
    code: "bad_request",
    detail: "The request cannot be routed",
  };
  // No hook runs for these: the headers every API answer carries are set here.
  reply.header("x-request-id", request.id).header("cache-control", "no-store");
  reply.header("x-content-type-options", "nosniff");
  return sendProblem(request, reply, known.status, known.code, known.detail);
}

/**
 * Requests Node's HTTP parser refuses (headers over its limit, a garbled request line, a timeout) never
 * reach Fastify: Fastify's clientErrorHandler option answers them on the socket, in the same envelope.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket) {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const [status, code, detail]: [number, string, string] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [431, "headers_too_large", "The request headers are larger than this server accepts"]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "request_timeout", "The request took too long to arrive"]
        : [400, "bad_request", "The request is not valid HTTP"];
  const requestId = uuidv7();
  const body = JSON.stringify({
    type: `https://pris.example/problems/${code}`,
    title: STATUS_TITLES[status] ?? "Bad request",
    status,
    code,
    detail,
    requestId,
  } satisfies Problem);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_TITLES[status]}\r\n` +
        "Content-Type: application/problem+json\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        "Cache-Control: no-store\r\n" +
        "X-Content-Type-Options: nosniff\r\n" +
        "Connection: close\r\n\r\n" +
        body,
    );
  }
  socket.destroy(err);
}

export default fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof AppError) {
        if (error instanceof TooManyAttemptsError) {
          request.server.metrics.signInFailures.inc({ step: "throttled" });
          reply.header("retry-after", String(error.retryAfterSeconds));
        }
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
      if (known) return sendProblem(request, reply, known.status, known.code, known.detail);
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
        request.log.info({ err: error }, "client error");
        return sendProblem(
          request,
          reply,
          error.statusCode,
          STATUS_CODES[error.statusCode] ?? "bad_request",
          STATUS_TITLES[error.statusCode] ?? "The request cannot be processed",
        );
      }
      if (databaseUnreachable(error)) {
        request.log.error({ err: error }, "database unreachable");
        reply.header("retry-after", "5");
        return sendProblem(
          request,
          reply,
          503,
          "database_unavailable",
          "The database cannot be reached; try again shortly",
        );
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
