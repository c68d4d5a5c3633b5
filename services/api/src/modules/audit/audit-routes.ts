import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { AuditExportQuerySchema, AuditPageSchema, AuditQuerySchema } from "@pris/domain";
import Type from "typebox";
import { problems } from "../../http.ts";
import { auditCsvStream, listAuditPage } from "./audit-service.ts";

/** The administration trail, for the administrators: read, filtered, exported. It is append-only. */
const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const tags = ["audit"];
  const description =
    "Filters: the person who acted (actorUserId), the kind and id of the object, actions starting with " +
    "`action`, a period [from, to), text in the object's label. Newest first.";

  app.get(
    "/audit",
    {
      config: { access: ["admin"] },
      schema: {
        tags,
        operationId: "listAuditEntries",
        summary: "The administration trail: who changed what, when, before → after (administrators)",
        description,
        querystring: AuditQuerySchema,
        response: { 200: AuditPageSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => listAuditPage(db, request.query),
  );

  app.get(
    "/audit.csv",
    {
      config: { access: ["admin"] },
      schema: {
        tags,
        operationId: "exportAuditCsv",
        summary: "The filtered administration trail as CSV (semicolons, UTF-8 with BOM), streamed",
        description: `${description} Dates in the region's zone (dd/MM/yyyy HH:mm).`,
        querystring: AuditExportQuerySchema,
        produces: ["text/csv"],
        response: { 200: Type.String({ description: "CSV" }), ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      // A long export reads the replica when there is one (DATABASE_READ_URL).
      const csv = auditCsvStream(app.readDatabase.db, request.query, app.config.REGION_TIMEZONE);
      // Fastify pipes a stream as it is, without the serializer the string schema types the reply for.
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", 'attachment; filename="journal-administration.csv"')
        .send(csv as unknown as string);
    },
  );
};

export default auditRoutes;
