import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { writeAudit } from "@pris/db";
import {
  InvitationAcceptSchema,
  InvitationLinkSchema,
  InvitationTokenParamsSchema,
  SessionSchema,
  SignInWithSecondFactorSchema,
} from "@pris/domain";
import type { FastifyRequest } from "fastify";
import Type from "typebox";
import { linkActor } from "../../audit.ts";
import { createThrottle, linkSubject } from "../../auth/throttle.ts";
import { problems } from "../../http.ts";
import { sessionAfterPassword } from "../auth/session-after-password.ts";
import { acceptInvitation, checkInvitationLink, InvitationLinkError } from "./invitation-link-service.ts";

/**
 * What an invitation's link opens, without login: who is invited, and the acceptance that creates the
 * account and signs the person in. Throttled like the login, in PostgreSQL (they must work when Redis
 * is down): guessing a link is hopeless, but trying is not free. Per address and invitation, as the login
 * is per address and e-mail: the people of one hospital behind one address do not use up each other's
 * attempts.
 */
const invitationLinkRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, database } = app;
  const throttle = createThrottle(database.db, config);
  const guess = (request: { ip: string; params: { token: string } }) => ({
    kind: "invitation_link" as const,
    subject: linkSubject("invitation_link", request.params.token),
    ip: request.ip,
  });

  /** A genuine link someone tried to use past its life goes in the trail (not its mere opening: scanners open links). */
  async function traceRefusal(err: unknown, request: FastifyRequest): Promise<never> {
    if (err instanceof InvitationLinkError && err.invitation) {
      await writeAudit(database.db, linkActor(request), {
        action: "invitation.link_refused",
        objectKind: "invitation",
        objectId: err.invitation.id,
        objectLabel: err.invitation.email,
        after: { reason: err.reason },
      }).catch((auditErr: unknown) => request.log.warn({ err: auditErr }, "could not trace a refused link"));
    }
    throw err;
  }

  app.get(
    "/invitation-links/:token",
    {
      config: { access: "public" },
      schema: {
        tags: ["invitations"],
        operationId: "checkInvitationLink",
        summary: "Who an invitation link invites, or why it can no longer be used",
        description:
          "404 invalid_link for a link PRIS did not make; 410 invitation_expired, invitation_used, " +
          "invitation_cancelled or invitation_superseded (re-sent since) with a French detail for the page.",
        security: [],
        params: InvitationTokenParamsSchema,
        response: { 200: InvitationLinkSchema, ...problems(400, 404, 410, 429) },
      },
    },
    async (request) =>
      throttle.guard(guess(request), () => checkInvitationLink(database.db, config, request.params.token)),
  );

  app.post(
    "/invitation-links/:token/accept",
    {
      config: { access: "public" },
      schema: {
        tags: ["invitations"],
        operationId: "acceptInvitation",
        summary: "Choose a password: creates the account, uses the link up and signs in",
        description:
          "Answers like the login: a bearer token, and the HttpOnly session cookie with its CSRF token.",
        security: [],
        params: InvitationTokenParamsSchema,
        body: InvitationAcceptSchema,
        response: {
          200: Type.Union([SessionSchema, SignInWithSecondFactorSchema]),
          ...problems(400, 404, 409, 410, 429),
        },
      },
    },
    async (request, reply) => {
      const { userId } = await throttle.guard(guess(request), () =>
        acceptInvitation(database.db, config, request.params.token, request.body.password, {
          id: request.id,
          ip: request.ip,
        }).catch((err: unknown) => traceRefusal(err, request)),
      );
      return sessionAfterPassword(app, request, reply, userId, ["invitation"]);
    },
  );
};

export default invitationLinkRoutes;
