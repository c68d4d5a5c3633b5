import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { territories } from "@pris/db";
import { IncidentStatsQuerySchema, IncidentStatsSchema } from "@pris/domain";
import Type from "typebox";
import { requireUser } from "../../auth/principal.ts";
import { problems } from "../../http.ts";
import { statsCsv } from "./stats-export.ts";
import { incidentStats, STATS_ROLES } from "./stats-service.ts";

const statsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Statistics read the replica when there is one (DATABASE_READ_URL).
  const { db } = app.readDatabase;
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
          "month × establishment category × territory × RSIT class × severity, and per channel of declaration; median time from declaration " +
          "to acknowledgement, containment and closure; share of regulatory deadlines met. Establishment " +
          "names appear only in majorIncidents (P1). Analysts and ARS only (403 for others).",
        querystring: IncidentStatsQuerySchema,
        response: { 200: IncidentStatsSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) =>
      incidentStats(db, config.REGION_TIMEZONE, requireUser(request.principal), request.query),
  );

  app.get(
    "/stats/incidents.csv",
    {
      config: { access: STATS_ROLES, accessTrace: "incident_stats" },
      schema: {
        tags: ["stats"],
        operationId: "exportIncidentStatsCsv",
        summary: "The incident statistics as CSV for a French spreadsheet (semicolons, decimal commas, BOM)",
        description:
          "The same figures as /stats/incidents, one indicator per row with its month, territory, " +
          "category, RSIT class and severity in columns. Analysts and ARS only (403 for others).",
        querystring: IncidentStatsQuerySchema,
        produces: ["text/csv"],
        response: { 200: Type.String({ description: "CSV" }), ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const stats = await incidentStats(
        db,
        config.REGION_TIMEZONE,
        requireUser(request.principal),
        request.query,
      );
      const names = await db.select({ code: territories.code, name: territories.name }).from(territories);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="incidents-${stats.from}-${stats.to}.csv"`)
        .send(statsCsv(stats, new Map(names.map((t) => [t.code, t.name]))));
    },
  );
};

export default statsRoutes;
