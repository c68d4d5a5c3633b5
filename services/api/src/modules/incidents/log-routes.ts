import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  IdParamsSchema,
  LogEntryCreateSchema,
  LogEntrySchema,
  LogPageSchema,
  LogQuerySchema,
  LogVerificationSchema,
  ROLES,
  seesInternalLog,
  TaskCreateSchema,
  TaskListSchema,
  TaskParamsSchema,
  TaskSchema,
} from "@pris/domain";
import { ANY_PRINCIPAL, requirePrincipal, WORKERS } from "../../auth/principal.ts";
import { problems } from "../../http.ts";
import { discriminatedBodyCompiler } from "./discriminated-body.ts";
import { addLogEntry, completeTask, createTask, listLog, listTasks, verifyLog } from "./log-service.ts";

/** The pole, the task force, the ARS and the administrator: the establishment sees only what is shared. */
const INTERNAL_READERS = ROLES.filter(seesInternalLog);

/** The main courante (append-only, hash-chained) and the incident's tasks. */
const logRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const tags = ["main courante"];

  app.get(
    "/incidents/:id/log",
    {
      config: { access: ANY_PRINCIPAL, accessTrace: "incident" },
      schema: {
        tags,
        operationId: "listIncidentLog",
        summary: "The incident's main courante, oldest first (the establishment reads the shared entries)",
        description:
          "The incident's main courante, oldest first: every status change, comment, call and decision, " +
          "with who and when. The establishment and API keys read only the entries shared with it.",
        params: IdParamsSchema,
        querystring: LogQuerySchema,
        response: { 200: LogPageSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => listLog(db, requirePrincipal(request.principal), request.params.id, request.query),
  );

  app.post(
    "/incidents/:id/log",
    {
      config: { access: ANY_PRINCIPAL },
      schema: {
        tags,
        operationId: "addIncidentLogEntry",
        summary: "Add a comment, a phone call or an action to the main courante",
        description:
          "The establishment (its RSSI or API key) adds comments and actions, always shared. The pole's " +
          "entries are internal unless `visibility: shared`. Entries are never changed or deleted.",
        params: IdParamsSchema,
        body: LogEntryCreateSchema,
        response: { 201: LogEntrySchema, ...problems(400, 401, 403, 404) },
      },
      validatorCompiler: discriminatedBodyCompiler({ kind: ["comment", "call", "action"] }),
    },
    async (request, reply) => {
      const entry = await addLogEntry(
        db,
        requirePrincipal(request.principal),
        request.params.id,
        request.body,
      );
      return reply.code(201).send(entry);
    },
  );

  app.get(
    "/incidents/:id/log/verify",
    {
      config: { access: WORKERS, accessTrace: "incident" },
      schema: {
        tags,
        operationId: "verifyIncidentLog",
        summary: "Recompute the hash chain and name the first broken entry (the pole)",
        description:
          "Recomputes the hash chain of the incident's main courante and reports whether it is intact, " +
          "naming the first entry that does not match if not. The pole only.",
        params: IdParamsSchema,
        response: { 200: LogVerificationSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => verifyLog(db, requirePrincipal(request.principal), request.params.id),
  );

  app.get(
    "/incidents/:id/tasks",
    {
      config: { access: INTERNAL_READERS, accessTrace: "incident" },
      schema: {
        tags,
        operationId: "listIncidentTasks",
        summary: "The incident's tasks (the pole)",
        description:
          "The incident's tasks with their owner, due date and completion. The pole, the ARS and " +
          "administrators.",
        params: IdParamsSchema,
        response: { 200: TaskListSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => listTasks(db, requirePrincipal(request.principal), request.params.id),
  );

  app.post(
    "/incidents/:id/tasks",
    {
      config: { access: WORKERS },
      schema: {
        tags,
        operationId: "createIncidentTask",
        summary: "Add a task with an owner and a due date (the pole)",
        description:
          "Adds a task to the incident with an owner from the pole and a due date. 409 when the incident's " +
          "state does not allow it.",
        params: IdParamsSchema,
        body: TaskCreateSchema,
        response: { 201: TaskSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const task = await createTask(db, requirePrincipal(request.principal), request.params.id, request.body);
      return reply.code(201).send(task);
    },
  );

  app.post(
    "/incidents/:id/tasks/:taskId/done",
    {
      config: { access: WORKERS },
      schema: {
        tags,
        operationId: "completeIncidentTask",
        summary: "Mark a task done (the pole)",
        description:
          "Marks one of the incident's tasks done, with who and when. 409 when the task or the incident's " +
          "state does not allow it.",
        params: TaskParamsSchema,
        response: { 200: TaskSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      completeTask(db, requirePrincipal(request.principal), request.params.id, request.params.taskId),
  );
};

export default logRoutes;
