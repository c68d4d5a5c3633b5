import type { AuthMethod } from "@pris/db";
import type { Session, SignInWithSecondFactor } from "@pris/domain";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { UnauthorizedError } from "../../errors.ts";
import { secondFactorStep } from "../second-factor/second-factor-service.ts";
import { loadMe } from "./me.ts";

/**
 * A person just set their password from an e-mailed link (invitation, reset): they are signed in, as the
 * login would — unless they owe a second factor (enrolled, or required of their role now), in which case no
 * session is opened and they sign in through the login, which asks for it. No path skips the factor.
 */
export async function sessionAfterPassword(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  userId: string,
  amr: AuthMethod[],
): Promise<Session | SignInWithSecondFactor> {
  const principal = await app.resolveUser(userId, "cookie");
  if (!principal) throw new UnauthorizedError("The account could not be opened");
  if (await secondFactorStep(app.database.db, { id: userId, role: principal.role }))
    return { signIn: "second_factor" };
  const session = await app.issueSession(reply, userId, { request, amr, secondFactorPending: false });
  return {
    accessToken: app.issueAccessToken(userId, session.id),
    tokenType: "Bearer",
    expiresIn: app.config.ACCESS_TOKEN_TTL_SECONDS,
    csrfToken: session.csrf,
    user: await loadMe(app.database.db, principal),
  };
}
