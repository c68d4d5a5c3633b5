import rateLimit from "@fastify/rate-limit";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { writeAudit } from "@pris/db";
import {
  PASSWORD_RESET_REQUESTED,
  PasswordChangeSchema,
  PasswordResetLinkSchema,
  PasswordResetRequestedSchema,
  PasswordResetRequestSchema,
  PasswordResetSchema,
  PasswordResetTokenParamsSchema,
  SessionSchema,
  SignInWithSecondFactorSchema,
} from "@pris/domain";
import Type from "typebox";
import { auditActor, linkActor } from "../../audit.ts";
import { PEOPLE } from "../../auth/principal.ts";
import { createThrottle, linkSubject } from "../../auth/throttle.ts";
import { problems } from "../../http.ts";
import { sessionAfterPassword } from "../auth/session-after-password.ts";
import {
  changeOwnPassword,
  checkPasswordResetLink,
  PasswordResetLinkError,
  requestPasswordReset,
  resetPassword,
} from "./password-service.ts";

/**
 * A person's own password: the change while signed in, and "mot de passe oublié" by e-mail.
 *
 * The links are throttled like the login, in PostgreSQL and shared by the replicas (per address and link,
 * and per address). The reset request is limited in memory per client address (429) and per e-mail address
 * (beyond the limit the request is answered the same and nothing is sent, so the answer still says nothing
 * of the address); the worker also sends an account at most a few reset e-mails an hour, whatever the API
 * replicas. The change is limited in memory per account.
 */
const passwordRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, database } = app;
  const { db } = database;
  await app.register(rateLimit, { global: false, hook: "preHandler" });
  const window = config.LOGIN_RATE_LIMIT_WINDOW_SECONDS * 1000;
  const perEmail = app.createRateLimit({
    max: config.LOGIN_RATE_LIMIT_MAX,
    timeWindow: window,
    keyGenerator: (request) => {
      const email = (request.body as { email?: unknown } | undefined)?.email;
      return `password-reset|${typeof email === "string" ? email.toLowerCase() : ""}`;
    },
  });
  const throttle = createThrottle(db, config);
  const guess = (request: { ip: string; params: { token: string } }) => ({
    kind: "reset_link" as const,
    subject: linkSubject("reset_link", request.params.token),
    ip: request.ip,
  });

  app.post(
    "/auth/password",
    {
      config: {
        access: PEOPLE,
        rateLimit: {
          max: config.LOGIN_RATE_LIMIT_MAX,
          timeWindow: window,
          keyGenerator: (request) => `password-change|${request.principal?.id ?? request.ip}`,
        },
      },
      schema: {
        tags: ["auth"],
        operationId: "changePassword",
        summary: "Change one's own password (the current one asked again)",
        description:
          "400 naming `/currentPassword` when it is wrong, or `/newPassword` with the policy's French reason. " +
          "Every other session of the person ends; this one is kept.",
        body: PasswordChangeSchema,
        response: { 204: Type.Null(), ...problems(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      await changeOwnPassword(db, config, auditActor(request), request.session?.id, request.body);
      app.forgetSessions();
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/auth/password-reset",
    {
      config: {
        access: "public",
        rateLimit: { max: config.LOGIN_RATE_LIMIT_MAX, timeWindow: window },
      },
      schema: {
        tags: ["auth"],
        operationId: "requestPasswordReset",
        summary: "E-mail a single-use link to choose a new password",
        description:
          "Always 202 with the same message, whether the address has an account or not; the e-mail " +
          "(valid PASSWORD_RESET_TTL_MINUTES) is sent by the worker to an active account's address.",
        security: [],
        body: PasswordResetRequestSchema,
        response: { 202: PasswordResetRequestedSchema, ...problems(400, 429) },
      },
    },
    async (request, reply) => {
      const limit = await perEmail(request);
      if (limit.isAllowed || !limit.isExceeded) await requestPasswordReset(db, config, request.body.email);
      return reply.code(202).send({ message: PASSWORD_RESET_REQUESTED });
    },
  );

  app.get(
    "/auth/password-reset/:token",
    {
      config: { access: "public" },
      schema: {
        tags: ["auth"],
        operationId: "checkPasswordResetLink",
        summary: "Whose password a reset link resets, or why it can no longer be used",
        description:
          "404 reset_link_invalid for a link PRIS did not make; 410 reset_link_expired or reset_link_used " +
          "(the password changed since) with a French detail for the page.",
        security: [],
        params: PasswordResetTokenParamsSchema,
        response: { 200: PasswordResetLinkSchema, ...problems(400, 404, 410, 429) },
      },
    },
    async (request) =>
      throttle.guard(guess(request), () => checkPasswordResetLink(db, config, request.params.token)),
  );

  app.post(
    "/auth/password-reset/:token",
    {
      config: { access: "public" },
      schema: {
        tags: ["auth"],
        operationId: "resetPassword",
        summary: "Choose a new password from a reset link: ends every session, then signs in",
        description:
          "400 naming `/password` with the policy's French reason. Answers like the login: a bearer token, " +
          "and the HttpOnly session cookie with its CSRF token.",
        security: [],
        params: PasswordResetTokenParamsSchema,
        body: PasswordResetSchema,
        response: {
          200: Type.Union([SessionSchema, SignInWithSecondFactorSchema]),
          ...problems(400, 404, 410, 429),
        },
      },
    },
    async (request, reply) => {
      const { userId } = await throttle.guard(guess(request), () =>
        resetPassword(db, config, request.params.token, request.body.password, {
          id: request.id,
          ip: request.ip,
        }).catch(async (err: unknown) => {
          // A genuine link someone tried to use past its life goes in the trail (not its mere opening).
          if (err instanceof PasswordResetLinkError && err.user) {
            await writeAudit(db, linkActor(request), {
              action: "user.reset_link_refused",
              objectKind: "user",
              objectId: err.user.id,
              objectLabel: `${err.user.displayName} (${err.user.email})`,
              after: { reason: err.reason },
            }).catch((auditErr: unknown) =>
              request.log.warn({ err: auditErr }, "could not trace a refused link"),
            );
          }
          throw err;
        }),
      );
      app.forgetSessions();
      return sessionAfterPassword(app, request, reply, userId, ["reset"]);
    },
  );
};

export default passwordRoutes;
