import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { readOidcProviders } from "@pris/config";
import { SsoProviderSchema } from "@pris/domain";
import { sql } from "drizzle-orm";
import Type from "typebox";
import { problems } from "../../http.ts";
import { sendProblem } from "../../plugins/errors.ts";

const CheckSchema = Type.Object({ status: Type.Union([Type.Literal("ok"), Type.Literal("down")]) });

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref(),
    ),
  ]);
}

/** Health probes and the public settings the web app needs before anyone signs in. */
const systemRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ssoProviders = readOidcProviders(app.config).providers.map(({ name, label }) => ({ name, label }));
  app.get(
    "/health/live",
    {
      schema: {
        tags: ["system"],
        operationId: "live",
        summary: "The process is up",
        description:
          "Answers 200 as long as the process runs, without touching PostgreSQL or Redis: for a liveness " +
          "probe. Readiness is `/health/ready`.",
        security: [],
        response: { 200: Type.Object({ status: Type.Literal("ok") }) },
      },
    },
    async () => ({ status: "ok" as const }),
  );

  app.get(
    "/health/ready",
    {
      schema: {
        tags: ["system"],
        operationId: "ready",
        summary: "PostgreSQL and Redis answer",
        description: "503 when either is down. Declarations still work without Redis; this tells operators.",
        security: [],
        response: {
          200: Type.Object({ status: Type.Literal("ok"), postgres: CheckSchema, redis: CheckSchema }),
          ...problems(503),
        },
      },
    },
    async (request, reply) => {
      const [postgres, redis] = await Promise.all([
        withTimeout(app.database.db.execute(sql`SELECT 1`), 2000).then(
          () => "ok" as const,
          () => "down" as const,
        ),
        withTimeout(app.redis.ping(), 1000).then(
          () => "ok" as const,
          () => "down" as const,
        ),
      ]);
      if (postgres === "ok" && redis === "ok") {
        return { status: "ok" as const, postgres: { status: postgres }, redis: { status: redis } };
      }
      const down = [postgres === "down" ? "PostgreSQL" : null, redis === "down" ? "Redis" : null].filter(
        Boolean,
      );
      return sendProblem(request, reply, 503, "not_ready", `${down.join(" and ")} not reachable`);
    },
  );

  app.get(
    "/api/v1/config/public",
    {
      config: { access: "public" },
      schema: {
        tags: ["system"],
        operationId: "getPublicConfig",
        summary:
          "Region name and time zone, the pole's emergency phone and the single sign-on providers, for the web app",
        description:
          "Public, no session needed: what the web app shows before anyone signs in (the region's name and " +
          "code, its time zone, the pole's emergency phone) and the single sign-on providers to offer on the " +
          "sign-in page.",
        security: [],
        response: {
          200: Type.Object({
            regionCode: Type.String(),
            regionName: Type.String(),
            timeZone: Type.String(),
            poleEmergencyPhone: Type.Union([Type.String(), Type.Null()], {
              description:
                "The regional cyber pole's emergency phone (POLE_EMERGENCY_PHONE); null when not set",
            }),
            ssoProviders: Type.Array(SsoProviderSchema),
          }),
        },
      },
    },
    async () => ({
      regionCode: app.config.REGION_CODE,
      regionName: app.config.REGION_NAME,
      timeZone: app.config.REGION_TIMEZONE,
      poleEmergencyPhone: app.config.POLE_EMERGENCY_PHONE || null,
      ssoProviders,
    }),
  );
};

export default systemRoutes;
