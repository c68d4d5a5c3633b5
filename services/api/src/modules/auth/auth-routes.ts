import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { endSession, users } from "@pris/db";
import { LoginSchema, MeSchema, type Role, SecondFactorChallengeSchema, SessionSchema } from "@pris/domain";
import { eq, sql } from "drizzle-orm";
import Type from "typebox";
import { decoyHash, verifyPassword } from "../../auth/passwords.ts";
import { PEOPLE, requireUser } from "../../auth/principal.ts";
import { createThrottle } from "../../auth/throttle.ts";
import { UnauthorizedError } from "../../errors.ts";
import { problems } from "../../http.ts";
import { secondFactorStep } from "../second-factor/second-factor-service.ts";
import { loadMe } from "./me.ts";

const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app;
  // In PostgreSQL, shared by the replicas: login must keep working when Redis is down.
  const throttle = createThrottle(app.database.db, config);

  app.post(
    "/auth/login",
    {
      schema: {
        tags: ["auth"],
        operationId: "login",
        summary: "Sign in with e-mail and password",
        description:
          "Returns a short-lived bearer token for API clients and sets the HttpOnly session cookie used by the web app, " +
          "whose unsafe requests must carry the returned csrfToken in X-CSRF-Token. When a second factor is " +
          "enrolled, or the role requires one, the answer is `{ secondFactor, methods, csrfToken }` instead and " +
          "only the /auth/second-factor routes answer the session until the factor is given.",
        security: [],
        body: LoginSchema,
        response: {
          200: Type.Union([SessionSchema, SecondFactorChallengeSchema]),
          ...problems(400, 401, 429),
        },
      },
      config: { access: "public" },
    },
    async (request, reply) => {
      const { db } = app.database;
      const attempt = await throttle.start({
        kind: "login",
        subject: request.body.email.toLowerCase(),
        ip: request.ip,
      });
      const [user] = await db
        .select()
        .from(users)
        .where(sql`lower(${users.email}) = ${request.body.email.toLowerCase()}`);
      // Same work whether or not the user exists: timing tells nothing.
      const ok = await verifyPassword(user?.passwordHash ?? (await decoyHash()), request.body.password);
      if (!user || !ok || !user.active) {
        app.metrics.signInFailures.inc({ step: "password" });
        throw new UnauthorizedError("Wrong e-mail or password", "invalid_credentials");
      }
      await attempt.succeeded();
      await db.update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, user.id));
      const step = await secondFactorStep(db, { id: user.id, role: user.role as Role });
      const session = await app.issueSession(reply, user.id, {
        request,
        amr: ["pwd"],
        secondFactorPending: step !== null,
      });
      if (step) return { ...step, csrfToken: session.csrf };
      const principal = await app.resolveUser(user.id, "cookie");
      if (!principal) throw new UnauthorizedError("Wrong e-mail or password", "invalid_credentials");
      return {
        accessToken: app.issueAccessToken(user.id, session.id),
        tokenType: "Bearer" as const,
        expiresIn: config.ACCESS_TOKEN_TTL_SECONDS,
        csrfToken: session.csrf,
        user: await loadMe(db, principal),
      };
    },
  );

  app.get(
    "/auth/session",
    {
      config: { access: PEOPLE },
      schema: {
        tags: ["auth"],
        operationId: "getSession",
        summary: "The signed-in user and the session's CSRF token",
        description:
          "Who the session belongs to (the same view as sign-in returns) and the CSRF token that every " +
          "state-changing request made with the session cookie must send in `X-CSRF-Token`.",
        response: { 200: Type.Object({ user: MeSchema, csrfToken: Type.String() }), ...problems(401, 403) },
      },
    },
    async (request) => {
      const principal = requireUser(request.principal);
      return { user: await loadMe(app.database.db, principal), csrfToken: request.sessionCsrf ?? "" };
    },
  );

  app.post(
    "/auth/logout",
    {
      config: { access: "optional", secondFactor: "pending" },
      schema: {
        tags: ["auth"],
        operationId: "logout",
        summary:
          "End the session (the cookie's, or the bearer token's): it is refused everywhere from then on",
        description:
          "Ends the session the request carries, whether a cookie or a bearer token: from then on it is " +
          "refused on every replica. Called without a session, it answers 204 too.",
        response: { 204: Type.Null(), ...problems(401, 403) },
      },
    },
    async (request, reply) => {
      const { session, principal } = request;
      if (session && principal?.kind === "user") {
        await endSession(app.database.db, session.id, principal.id, "logout");
        app.forgetSessions();
      }
      app.clearSession(reply);
      return reply.code(204).send(null);
    },
  );
};

export default authRoutes;
