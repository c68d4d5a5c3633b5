import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { AppError, ValidationError } from "../../errors.ts";

/**
 * Idempotency-Key (IETF httpapi draft): the same key with the same body replays the first answer;
 * with another body → 422; while the first request is still being processed → 409.
 * Keys are scoped to who sends them and remembered for IDEMPOTENCY_TTL_HOURS.
 *
 * Everything happens inside the request's own transaction (see declare_incident()): a transaction-level
 * advisory lock on the key says "in flight", and the answer is stored with the work it describes, so a
 * crash leaves nothing half-done and costs no extra commit.
 */
export interface IdempotencyClaim {
  principal: string;
  key: string;
  fingerprint: string;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash("sha256")
    .update(canonicalize({ method, path, body }) ?? "")
    .digest("hex");
}

export function checkKey(key: string | string[] | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (Array.isArray(key) || !KEY_PATTERN.test(key)) {
    throw new ValidationError([
      {
        field: "/idempotency-key",
        message: "must be 1 to 255 visible ASCII characters, sent once",
        in: "headers",
      },
    ]);
  }
  return key;
}

export const keyReused = () =>
  new AppError(
    422,
    "idempotency_key_reused",
    "Unprocessable content",
    "This Idempotency-Key was already used with a different request body",
  );

export const inFlight = () =>
  new AppError(
    409,
    "idempotency_key_in_flight",
    "Conflict",
    "A request with this Idempotency-Key is still being processed; retry in a moment",
  );
