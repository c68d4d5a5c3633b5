import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { serviceLevels } from "@pris/db";
import {
  AssignRequestSchema,
  IdParamsSchema,
  INCIDENT_ACTIONS,
  IncidentSchema,
  QualificationPatchSchema,
  TransitionRequestSchema,
} from "@pris/domain";
import { requirePrincipal, WORKERS } from "../../auth/principal.ts";
import { problems } from "../../http.ts";
import { discriminatedBodyCompiler } from "./discriminated-body.ts";
import { getIncident } from "./incident-service.ts";
import { changeAssignee, qualifyIncident, transitionIncident } from "./workflow-service.ts";

/**
 * The pole's work on an incident: lifecycle transitions, assignment, qualification and escalation.
 * Each answers with the incident as the caller now sees it.
 */
const workflowRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const { config } = app;
  const levels = serviceLevels(config);
  const tags = ["incidents"];

  app.post(
    "/incidents/:id/transitions",
    {
      config: { access: WORKERS },
      schema: {
        tags,
        operationId: "transitionIncident",
        summary: "Apply a lifecycle action (acknowledge, investigate, contain, wait, close, reject, merge…)",
        description:
          "Checked by the lifecycle's state machine: an action it forbids now answers 409 " +
          "transition_not_allowed with `allowed`, the actions allowed now. Written with its main-courante " +
          "entry in one transaction. Analysts, and task-force members on a crisis cell; others 403.",
        params: IdParamsSchema,
        body: TransitionRequestSchema,
        response: { 200: IncidentSchema, ...problems(400, 401, 403, 404, 409) },
      },
      validatorCompiler: discriminatedBodyCompiler({ action: INCIDENT_ACTIONS }),
    },
    async (request) => {
      const principal = requirePrincipal(request.principal);
      await transitionIncident(db, principal, request.params.id, request.body, app.config.REGION_TIMEZONE);
      return getIncident(db, principal, request.params.id);
    },
  );

  app.post(
    "/incidents/:id/claim",
    {
      config: { access: WORKERS },
      schema: {
        tags,
        operationId: "claimIncident",
        summary: "Take the incident: the caller becomes its assignee (a new incident is also acknowledged)",
        description:
          "The caller becomes the incident's assignee; a new incident is acknowledged at the same time. " +
          "409 when the incident's state does not allow it.",
        params: IdParamsSchema,
        response: { 200: IncidentSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request.principal);
      await changeAssignee(db, principal, request.params.id, { via: "claim" });
      return getIncident(db, principal, request.params.id);
    },
  );

  app.post(
    "/incidents/:id/assign",
    {
      config: { access: WORKERS },
      schema: {
        tags,
        operationId: "assignIncident",
        summary: "Assign the incident to an active analyst (or task-force member on a crisis cell)",
        description:
          "Assigns the incident to an active analyst, or to a task-force member when a crisis cell is " +
          "open; anyone else is refused (400). 409 when the incident's state does not allow it.",
        params: IdParamsSchema,
        body: AssignRequestSchema,
        response: { 200: IncidentSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request.principal);
      await changeAssignee(db, principal, request.params.id, { via: "assign", userId: request.body.userId });
      return getIncident(db, principal, request.params.id);
    },
  );

  app.post(
    "/incidents/:id/unassign",
    {
      config: { access: WORKERS },
      schema: {
        tags,
        operationId: "unassignIncident",
        summary: "Leave the incident without an assignee",
        description:
          "Removes the incident's assignee, so that it shows again among the queue's unassigned items. 409 " +
          "when the incident's state does not allow it.",
        params: IdParamsSchema,
        response: { 200: IncidentSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request.principal);
      await changeAssignee(db, principal, request.params.id, { via: "unassign" });
      return getIncident(db, principal, request.params.id);
    },
  );

  app.patch(
    "/incidents/:id/qualification",
    {
      config: { access: WORKERS },
      schema: {
        tags,
        operationId: "qualifyIncident",
        summary: "Set severity (reason required to change it), RSIT classification and TLP",
        description:
          "Making or confirming P1 opens the crisis cell: the task force gains access to the incident, and " +
          "it and the ARS are e-mailed (outbox topic incident.escalated, same transaction).",
        params: IdParamsSchema,
        body: QualificationPatchSchema,
        response: { 200: IncidentSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request.principal);
      await qualifyIncident(db, principal, request.params.id, request.body, levels);
      return getIncident(db, principal, request.params.id);
    },
  );
};

export default workflowRoutes;
