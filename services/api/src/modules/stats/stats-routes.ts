import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { IncidentStatsQuerySchema, IncidentStatsSchema } from "@pris/domain";
import { requireUser } from "../../auth/principal.ts";
import { problems } from "../../http.ts";
import { incidentStats, STATS_ROLES } from "./stats-service.ts";

const statsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const { config } = app;

  app.get(
    "/stats/incidents",
    {
      config: { access: STATS_ROLES, accessTrace: "incident_stats" },
      schema: {
        tags: ["stats"],
        operationId: "incidentStats",
        summary: "Incident statistics for the ARS and the pole",
        description:
          "Incidents declared between from and to (days in the region's zone, both included): counts per " +
          "month × establishment category × territory × RSIT class × severity; median time from declaration " +
          "to acknowledgement, containment and closure; share of regulatory deadlines met. Establishment " +
          "names appear only in majorIncidents (P1). Analysts and ARS only (403 for others).",
        querystring: IncidentStatsQuerySchema,
        response: { 200: IncidentStatsSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) =>
      incidentStats(db, config.REGION_TIMEZONE, requireUser(request.principal), request.query),
  );
};

export default statsRoutes;
