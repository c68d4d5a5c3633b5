import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { declarationSettings } from "@pris/db";
import {
  IdParamsSchema,
  QuarantineAttachedSchema,
  QuarantineAttachSchema,
  QuarantineListQuerySchema,
  QuarantinePageSchema,
} from "@pris/domain";
import Type from "typebox";
import { requirePrincipal } from "../../auth/principal.ts";
import { problems } from "../../http.ts";
import { attachQuarantined, discardQuarantined, listQuarantine } from "./intake-service.ts";

/** The pole's review of the messages its mailbox set aside: analysts only. */
const ANALYSTS = ["analyst"] as const;

const intakeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const { config } = app;
  const settings = declarationSettings(config);

  app.get(
    "/intake/quarantine",
    {
      config: { access: ANALYSTS },
      schema: {
        tags: ["intake"],
        operationId: "listQuarantine",
        summary: "Messages of the pole's mailbox set aside for review",
        description:
          "Messages from an unknown address, failing their domain's authentication (SPF, DKIM, DMARC), " +
          "naming another establishment's incident, or too large — not reviewed yet, newest first.",
        querystring: QuarantineListQuerySchema,
        response: { 200: QuarantinePageSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => listQuarantine(db, request.query.limit ?? 50),
  );

  app.post(
    "/intake/quarantine/:id/attach",
    {
      config: { access: ANALYSTS },
      schema: {
        tags: ["intake"],
        operationId: "attachQuarantinedMessage",
        summary: "Declare a quarantined message for an establishment",
        description:
          "The message becomes a declaration to complete for the establishment, declared by the analyst. " +
          "A message already attached or discarded, or whose content the retention blanked " +
          "(RETENTION_QUARANTINE_DAYS after its receipt) → 409.",
        params: IdParamsSchema,
        body: QuarantineAttachSchema,
        response: { 201: QuarantineAttachedSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const result = await attachQuarantined(
        db,
        settings,
        requirePrincipal(request.principal),
        request.params.id,
        request.body.establishmentId,
      );
      return reply.code(201).send(result);
    },
  );

  app.post(
    "/intake/quarantine/:id/discard",
    {
      config: { access: ANALYSTS },
      schema: {
        tags: ["intake"],
        operationId: "discardQuarantinedMessage",
        summary: "Set a quarantined message aside for good",
        description: "It is kept (the intake's record) but no longer listed. Already reviewed → 409.",
        params: IdParamsSchema,
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await discardQuarantined(db, requirePrincipal(request.principal), request.params.id);
      return reply.code(204).send(null);
    },
  );
};

export default intakeRoutes;
