import { type AuthMethod, sessions } from "@pris/db";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export interface SsoSessionFacts {
  request: FastifyRequest;
  amr: AuthMethod[];
  provider: string;
  providerSid: string | null;
  /** Always false today: a sign-in that would need a second factor is refused (oidc-routes.ts). */
  secondFactorPending: boolean;
}

/**
 * The one place single sign-on opens a session. Today's issueSession(reply, userId) keeps no server-side
 * record, so the session's row (how it was proved, the provider's sid for its logout) is written here;
 * once sessions are server-side this becomes `app.issueSession(reply, userId, facts)`.
 */
export async function issueSsoSession(
  app: FastifyInstance,
  reply: FastifyReply,
  userId: string,
  facts: SsoSessionFacts,
): Promise<void> {
  const now = Date.now();
  await app.database.db.insert(sessions).values({
    userId,
    expiresAt: new Date(now + app.config.SESSION_MAX_SECONDS * 1000),
    ip: facts.request.ip,
    userAgent: facts.request.headers["user-agent"]?.slice(0, 500) ?? null,
    amr: facts.amr,
    provider: facts.provider,
    providerSid: facts.providerSid,
    secondFactorPending: facts.secondFactorPending,
  });
  app.issueSession(reply, userId, undefined, undefined, { pending: false, amr: facts.amr });
}
