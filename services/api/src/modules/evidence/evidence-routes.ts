import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  AccessTraceExportQuerySchema,
  AccessTracePageSchema,
  AccessTraceQuerySchema,
  EVIDENCE_ROLES,
  LogCheckpointFileSchema,
  LogCheckpointListQuerySchema,
  LogCheckpointListSchema,
  LogCheckpointParamsSchema,
} from "@pris/domain";
import Type from "typebox";
import { problems } from "../../http.ts";
import { accessTracesCsv, listAccessTraces } from "./access-trace-service.ts";
import { getLogCheckpoint, listCheckpoints } from "./checkpoint-service.ts";

/** The service's evidence, for the administrators and the ARS: main courante checkpoints, traces of access. */
const evidenceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const tags = ["evidence"];

  app.get(
    "/log-checkpoints",
    {
      config: { access: EVIDENCE_ROLES },
      schema: {
        tags,
        operationId: "listLogCheckpoints",
        summary: "The daily signed checkpoints of the main courantes, newest first (administrators, ARS)",
        description:
          "The daily signed checkpoints of the main courantes' hash chains, newest first: they let a later " +
          "rewrite of a log be detected. Administrators and the ARS.",
        querystring: LogCheckpointListQuerySchema,
        response: { 200: LogCheckpointListSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => listCheckpoints(db, request.principal, request.query),
  );

  app.get(
    "/log-checkpoints/:seq",
    {
      config: { access: EVIDENCE_ROLES },
      schema: {
        tags,
        operationId: "getLogCheckpoint",
        summary: "One signed checkpoint, as the file e-mailed to the ARS (administrators, ARS)",
        description:
          "`document` is the canonical JSON that was signed; `signature` (Ed25519, base64) verifies over its " +
          "UTF-8 bytes with `publicKey`, without any secret of the service.",
        params: LogCheckpointParamsSchema,
        response: { 200: LogCheckpointFileSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => getLogCheckpoint(db, request.principal, request.params.seq),
  );

  app.get(
    "/access-traces",
    {
      config: { access: EVIDENCE_ROLES },
      schema: {
        tags,
        operationId: "listAccessTraces",
        summary:
          "Who read which incident, export or bulletin dashboard, when and from where (administrators, ARS)",
        description:
          "Newest first. Filters: a person (userId) or an API key, an establishment, an incident or a bulletin " +
          "(objectId), a kind of object, a period [from, to). Traces are kept ACCESS_TRACE_RETENTION_DAYS.",
        querystring: AccessTraceQuerySchema,
        response: { 200: AccessTracePageSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => listAccessTraces(db, request.principal, request.query),
  );

  app.get(
    "/access-traces.csv",
    {
      config: { access: EVIDENCE_ROLES },
      schema: {
        tags,
        operationId: "exportAccessTracesCsv",
        summary:
          "The traces of access matching the filters, as CSV (semicolons, UTF-8 with BOM; at most 100,000)",
        description:
          "The traces of who read which incident, matching the filters, as CSV (semicolon separated, UTF-8 " +
          "with a byte order mark), at most 100,000 lines. Administrators and the ARS.",
        querystring: AccessTraceExportQuerySchema,
        produces: ["text/csv"],
        response: { 200: Type.String({ description: "CSV" }), ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const csv = await accessTracesCsv(db, request.principal, request.query);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", 'attachment; filename="traces-acces.csv"')
        .send(csv);
    },
  );
};

export default evidenceRoutes;
