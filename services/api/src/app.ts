import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { Config } from "@pris/config";
import { traceLogFields, tracingEnabled } from "@pris/telemetry";
import Fastify, { type FastifyRequest, type FastifyServerOptions } from "fastify";
import { v7 as uuidv7 } from "uuid";
import auditRoutes from "./modules/audit/audit-routes.ts";
import authRoutes from "./modules/auth/auth-routes.ts";
import bulletinRoutes from "./modules/bulletins/bulletin-routes.ts";
import unsubscribeRoutes from "./modules/bulletins/unsubscribe-routes.ts";
import clockRoutes from "./modules/clocks/clock-routes.ts";
import apiKeyRoutes from "./modules/directory/api-key-routes.ts";
import establishmentRoutes from "./modules/directory/establishment-routes.ts";
import ghtRoutes from "./modules/directory/ght-routes.ts";
import selfServiceRoutes from "./modules/directory/self-service-routes.ts";
import territoryRoutes from "./modules/directory/territory-routes.ts";
import userRoutes from "./modules/directory/user-routes.ts";
import evidenceRoutes from "./modules/evidence/evidence-routes.ts";
import evidenceFileRoutes from "./modules/evidence-files/evidence-file-routes.ts";
import exerciseRoutes from "./modules/exercises/exercise-routes.ts";
import incidentRoutes from "./modules/incidents/incident-routes.ts";
import logRoutes from "./modules/incidents/log-routes.ts";
import workflowRoutes from "./modules/incidents/workflow-routes.ts";
import intakeRoutes from "./modules/intake/intake-routes.ts";
import invitationLinkRoutes from "./modules/invitations/invitation-link-routes.ts";
import invitationRoutes from "./modules/invitations/invitation-routes.ts";
import observableRoutes from "./modules/observables/observable-routes.ts";
import oidcRoutes from "./modules/oidc/oidc-routes.ts";
import passwordRoutes from "./modules/passwords/password-routes.ts";
import queueRoutes from "./modules/queue/queue-routes.ts";
import registryRoutes from "./modules/registry/registry-routes.ts";
import rosterRoutes from "./modules/roster/roster-routes.ts";
import secondFactorAdminRoutes from "./modules/second-factor/policy-routes.ts";
import secondFactorRoutes from "./modules/second-factor/second-factor-routes.ts";
import sessionRoutes from "./modules/sessions/session-routes.ts";
import setupRoutes from "./modules/setup/setup-routes.ts";
import statsRoutes from "./modules/stats/stats-routes.ts";
import systemRoutes from "./modules/system/system-routes.ts";
import accessTrace from "./plugins/access-trace.ts";
import auth from "./plugins/auth.ts";
import docs from "./plugins/docs.ts";
import errors, { clientErrorHandler, frameworkErrorHandler } from "./plugins/errors.ts";
import infra from "./plugins/infra.ts";
import metrics from "./plugins/metrics.ts";
import queueBoard from "./plugins/queue-board.ts";
import securityHeaders from "./plugins/security-headers.ts";
import validation from "./plugins/validation.ts";
import web from "./plugins/web.ts";

/** Never logged: secrets and personal contact details. */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["idempotency-key"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  "*.password",
  "*.currentPassword",
  "*.newPassword",
  "*.accessToken",
  "*.csrfToken",
  "*.token",
  "*.key",
  "*.apiKey",
];

/**
 * An invitation's or a password reset's link opens an account to whoever holds it, a bulletin's answer or
 * unsubscribe link acts for its recipient: their tokens never reach the logs; nor does a single sign-on
 * callback's authorization code.
 */
export function withoutLinkTokens(url: string): string {
  return url
    .replace(
      /\/(invitation|invitation-links|password-reset|mot-de-passe|reponse|bulletin-acks|desabonnement)\/[^/?#]+/g,
      "/$1/[redacted]",
    )
    .replace(/(\/auth\/oidc\/[^/?#]+\/callback\?.*?\bcode=)[^&#]*/g, "$1[redacted]");
}

export function loggerOptions(config: Config): FastifyServerOptions["logger"] {
  return {
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    // trace_id and span_id on every line written while a traced request runs.
    mixin: traceLogFields,
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: withoutLinkTokens(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
  };
}

/**
 * The proxies whose X-Forwarded-For gives the client address (proxy-addr addresses or CIDRs), or false:
 * otherwise any client could name its own address and dodge the sign-in throttle.
 */
export function trustedProxies(config: Pick<Config, "TRUST_PROXY">): string[] | false {
  const proxies = config.TRUST_PROXY.split(",").filter(Boolean);
  return proxies.length > 0 ? proxies : false;
}

/** The whole HTTP application, without listening: server.ts owns the process, tests inject requests. */
export async function buildApp(config: Config) {
  const app = Fastify({
    logger: loggerOptions(config),
    bodyLimit: config.BODY_LIMIT_BYTES,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && /^[\w.-]{1,100}$/.test(given) ? given : uuidv7();
    },
    requestIdHeader: false,
    trustProxy: trustedProxies(config),
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // First, so that every hook and handler runs inside the request's span (only when tracing is on).
  if (tracingEnabled()) {
    const { fastifyTracingPlugin } = await import("@pris/telemetry/fastify");
    await app.register(fastifyTracingPlugin());
  }

  app.addHook("onSend", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });

  await app.register(infra, { config });
  await app.register(metrics);
  await app.register(securityHeaders);
  await app.register(validation);
  await app.register(errors);
  await app.register(docs);
  await app.register(auth);
  await app.register(accessTrace);
  await app.register(systemRoutes);
  await app.register(unsubscribeRoutes);
  await app.register(
    async (api) => {
      await api.register(authRoutes);
      await api.register(oidcRoutes);
      await api.register(secondFactorRoutes);
      await api.register(secondFactorAdminRoutes);
      await api.register(territoryRoutes);
      await api.register(establishmentRoutes);
      await api.register(userRoutes);
      await api.register(apiKeyRoutes);
      await api.register(selfServiceRoutes);
      await api.register(ghtRoutes);
      await api.register(incidentRoutes);
      await api.register(queueRoutes);
      await api.register(workflowRoutes);
      await api.register(logRoutes);
      await api.register(clockRoutes);
      await api.register(observableRoutes);
      await api.register(intakeRoutes);
      await api.register(statsRoutes);
      await api.register(exerciseRoutes);
      await api.register(bulletinRoutes);
      await api.register(evidenceRoutes);
      await api.register(evidenceFileRoutes);
      await api.register(registryRoutes);
      await api.register(rosterRoutes);
      await api.register(auditRoutes);
      await api.register(setupRoutes);
      await api.register(invitationRoutes);
      await api.register(invitationLinkRoutes);
      await api.register(passwordRoutes);
      await api.register(sessionRoutes);
    },
    { prefix: "/api/v1" },
  );
  await app.register(queueBoard);
  await app.register(web);
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
