import { createHash } from "node:crypto";
import type { AuthMethod } from "@pris/db";
import type { Session } from "@pris/domain";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { requireUser } from "../../auth/principal.ts";
import { AppError, UnauthorizedError } from "../../errors.ts";
import { loadMe } from "../auth/me.ts";

/**
 * The one place that knows where a session keeps its second-factor state. Until server-side sessions land
 * it is the session cookie's claims (sfp, amr, sfa: plugins/auth.ts); then these functions read and update
 * the sessions row (second_factor_pending, amr) instead, and the routes stay as they are.
 */

/** A second factor checked this recently allows removing a factor. */
export const RECENT_CHECK_SECONDS = 10 * 60;

/** The signed-in person's session, refused unless a session cookie carried it (factors belong to sessions). */
export function currentSession(request: FastifyRequest) {
  const user = requireUser(request.principal);
  const factors = request.sessionFactors;
  if (!factors || !request.sessionCsrf) {
    throw new UnauthorizedError("Second factors are managed from a web session", "session_required");
  }
  // Stable for the session's whole life and secret to it: keys its WebAuthn challenges.
  const key = createHash("sha256").update(request.sessionCsrf).digest("base64url");
  return { user, factors, key, csrf: request.sessionCsrf };
}

/**
 * A second factor was proved: the session stops being pending, the method joins its amr, and the time of
 * the check is kept. Answers what login answers once signed in: the access token, CSRF token and person.
 */
export async function completeSecondFactor(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  method: AuthMethod,
): Promise<Session> {
  const { user, factors, csrf } = currentSession(request);
  const amr = factors.amr.includes(method) ? factors.amr : [...factors.amr, method];
  app.issueSession(reply, user.id, factors.started, csrf, {
    pending: false,
    amr,
    checkedAt: Math.floor(Date.now() / 1000),
    started: factors.started,
  });
  return {
    accessToken: app.issueAccessToken(user.id),
    tokenType: "Bearer",
    expiresIn: app.config.ACCESS_TOKEN_TTL_SECONDS,
    csrfToken: csrf,
    user: await loadMe(app.database.db, user),
  };
}

/** Removing a factor needs a second factor checked in the last minutes, in this session. */
export function requireRecentCheck(request: FastifyRequest): void {
  const { factors } = currentSession(request);
  const now = Date.now() / 1000;
  if (factors.pending || !factors.checkedAt || now - factors.checkedAt > RECENT_CHECK_SECONDS) {
    throw new AppError(
      403,
      "recent_second_factor_required",
      "Forbidden",
      "Confirm with a second factor first (in the last 10 minutes)",
    );
  }
}

/** WebAuthn challenges wait in Redis for five minutes, one per session and ceremony, used once. */
const CHALLENGE_TTL_SECONDS = 300;

export async function storeChallenge(
  app: FastifyInstance,
  sessionKey: string,
  ceremony: "registration" | "authentication",
  challenge: string,
): Promise<void> {
  try {
    await app.redis.set(`webauthn:${ceremony}:${sessionKey}`, challenge, "EX", CHALLENGE_TTL_SECONDS);
  } catch {
    throw new AppError(
      503,
      "passkeys_unavailable",
      "Service Unavailable",
      "Passkeys are unavailable now: use another factor",
    );
  }
}

export async function takeChallenge(
  app: FastifyInstance,
  sessionKey: string,
  ceremony: "registration" | "authentication",
): Promise<string | null> {
  try {
    return await app.redis.getdel(`webauthn:${ceremony}:${sessionKey}`);
  } catch {
    throw new AppError(
      503,
      "passkeys_unavailable",
      "Service Unavailable",
      "Passkeys are unavailable now: use another factor",
    );
  }
}
