import { createHash } from "node:crypto";
import { type Db, idempotencyKeys, type Tx } from "@pris/db";
import canonicalize from "canonicalize";
import { and, eq, lt, sql } from "drizzle-orm";
import { AppError, ValidationError } from "../../errors.ts";

/**
 * Idempotency-Key (IETF httpapi draft): the same key with the same body replays the first answer;
 * with another body → 422; while the first request is still being processed → 409.
 * Keys are scoped to who sends them and remembered for IDEMPOTENCY_TTL_HOURS.
 */
export type IdempotencyOutcome =
  | { kind: "new"; principal: string; key: string }
  | { kind: "replay"; status: number; body: unknown };

/** A request crashed mid-way leaves its key "processing"; after this long another attempt may take it over. */
const STALE_PROCESSING_SECONDS = 60;
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

export async function beginIdempotent(
  db: Db,
  principal: string,
  key: string,
  fingerprint: string,
  ttlHours: number,
): Promise<IdempotencyOutcome> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await db
      .insert(idempotencyKeys)
      .values({ principal, key, requestHash: fingerprint, state: "processing" })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length > 0) return { kind: "new", principal, key };

    const [existing] = await db
      .select({
        requestHash: idempotencyKeys.requestHash,
        state: idempotencyKeys.state,
        responseStatus: idempotencyKeys.responseStatus,
        responseBody: idempotencyKeys.responseBody,
        ageSeconds: sql<number>`extract(epoch from now() - ${idempotencyKeys.createdAt})::float8`,
      })
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.key, key)));
    if (!existing) continue;
    if (existing.ageSeconds > ttlHours * 3600) {
      await db
        .delete(idempotencyKeys)
        .where(and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.key, key)));
      continue;
    }
    if (existing.requestHash !== fingerprint) {
      throw new AppError(
        422,
        "idempotency_key_reused",
        "Unprocessable content",
        "This Idempotency-Key was already used with a different request body",
      );
    }
    if (existing.state === "completed") {
      return { kind: "replay", status: existing.responseStatus ?? 200, body: existing.responseBody };
    }
    const takenOver = await db
      .update(idempotencyKeys)
      .set({ createdAt: new Date() })
      .where(
        and(
          eq(idempotencyKeys.principal, principal),
          eq(idempotencyKeys.key, key),
          eq(idempotencyKeys.state, "processing"),
          lt(idempotencyKeys.createdAt, sql`now() - make_interval(secs => ${STALE_PROCESSING_SECONDS})`),
        ),
      )
      .returning({ key: idempotencyKeys.key });
    if (takenOver.length > 0) return { kind: "new", principal, key };
    throw new AppError(
      409,
      "idempotency_key_in_flight",
      "Conflict",
      "A request with this Idempotency-Key is still being processed; retry in a moment",
    );
  }
  throw new AppError(409, "idempotency_key_in_flight", "Conflict", "Retry in a moment");
}

/** Stores the answer in the same transaction as the work, so a replay never disagrees with the data. */
export async function completeIdempotent(
  tx: Tx,
  outcome: Extract<IdempotencyOutcome, { kind: "new" }>,
  status: number,
  body: unknown,
) {
  await tx
    .update(idempotencyKeys)
    .set({ state: "completed", responseStatus: status, responseBody: body, completedAt: new Date() })
    .where(and(eq(idempotencyKeys.principal, outcome.principal), eq(idempotencyKeys.key, outcome.key)));
}

/** The work failed: forget the key so that a corrected retry may use it. */
export async function abandonIdempotent(db: Db, outcome: Extract<IdempotencyOutcome, { kind: "new" }>) {
  await db
    .delete(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.principal, outcome.principal),
        eq(idempotencyKeys.key, outcome.key),
        eq(idempotencyKeys.state, "processing"),
      ),
    );
}
