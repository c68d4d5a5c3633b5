import { type AuthMethod, recordSecondFactor } from "@pris/db";
import type { Session } from "@pris/domain";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { requireUser } from "../../auth/principal.ts";
import { AppError, UnauthorizedError } from "../../errors.ts";
import { loadMe } from "../auth/me.ts";

/** The one place that reads and updates a session's second-factor state (its row: plugins/auth.ts). */

/** A second factor checked this recently allows removing a factor. */
export const RECENT_CHECK_SECONDS = 10 * 60;

/** The signed-in person's session, refused unless a session cookie carried it (factors belong to sessions). */
export function currentSession(request: FastifyRequest) {
  const user = requireUser(request.principal);
  const { session, sessionCsrf: csrf } = request;
  if (!session || !csrf) {
    throw new UnauthorizedError("Second factors are managed from a web session", "session_required");
  }
  // The session's id keys its WebAuthn challenges.
  return { user, session, key: session.id, csrf };
}

/**
 * A second factor was proved: the session stops being pending, the method joins its amr, and the time of
 * the check is kept. Answers what login answers once signed in: the access token, CSRF token and person.
 */
export async function completeSecondFactor(
  app: FastifyInstance,
  request: FastifyRequest,
  method: AuthMethod,
): Promise<Session> {
  const { user, session, csrf } = currentSession(request);
  const amr = session.amr.includes(method) ? session.amr : [...session.amr, method];
  await recordSecondFactor(app.database.db, session.id, amr);
  app.forgetSessions();
  return {
    accessToken: app.issueAccessToken(user.id, session.id),
    tokenType: "Bearer",
    expiresIn: app.config.ACCESS_TOKEN_TTL_SECONDS,
    csrfToken: csrf,
    user: await loadMe(app.database.db, user),
  };
}

/** Removing a factor needs a second factor checked in the last minutes, in this session. */
export function requireRecentCheck(request: FastifyRequest): void {
  const { session } = currentSession(request);
  const checkedAt = session.secondFactorAt?.getTime();
  if (session.pending || !checkedAt || Date.now() - checkedAt > RECENT_CHECK_SECONDS * 1000) {
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
