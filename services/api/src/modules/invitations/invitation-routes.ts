import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Role } from "@pris/domain";
import {
  BulkInvitationPreviewSchema,
  BulkInvitationQuerySchema,
  BulkInvitationResultSchema,
  IdParamsSchema,
  InvitationCreateSchema,
  InvitationListQuerySchema,
  InvitationPageSchema,
  InvitationSchema,
} from "@pris/domain";
import { auditActor } from "../../audit.ts";
import { requireUser } from "../../auth/principal.ts";
import { problems } from "../../http.ts";
import { InvitationService } from "./invitation-service.ts";

/** Administrators, the pole's analysts and GHTs' RSSIs; the service refuses an RSSI without a GHT. */
const INVITERS: readonly Role[] = ["admin", "analyst", "rssi"];

const invitationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const service = new InvitationService(app.database.db, app.config);
  const tags = ["invitations"];

  app.get(
    "/invitations",
    {
      config: { access: INVITERS },
      schema: {
        tags,
        operationId: "listInvitations",
        summary: "Invitations the caller may manage, newest first, with their last e-mail's delivery",
        description:
          "The invitations the caller may manage (an RSSI: to their establishments), newest first, with " +
          "their status and the delivery of their last e-mail.",
        querystring: InvitationListQuerySchema,
        response: { 200: InvitationPageSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => service.list(requireUser(request.principal), request.query),
  );

  app.post(
    "/invitations",
    {
      config: { access: INVITERS },
      schema: {
        tags,
        operationId: "createInvitation",
        summary: "Invite a person by e-mail",
        description:
          "Creates the invitation and queues its e-mail; the account is created when the person accepts. " +
          "409 email_taken when an account has this e-mail, 409 invitation_pending when an invitation to it " +
          "is still waiting (re-send or cancel that one).",
        body: InvitationCreateSchema,
        response: { 201: InvitationSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const user = requireUser(request.principal);
      const created = await service.create(user, auditActor(request), request.body);
      return reply.code(201).send(created);
    },
  );

  app.get(
    "/invitations/bulk",
    {
      config: { access: INVITERS },
      schema: {
        tags,
        operationId: "previewBulkInvitation",
        summary: "The establishments' RSSIs a bulk invitation would reach now, and their count",
        description:
          "Active establishments whose imported contacts give an RSSI e-mail, without an RSSI account of " +
          "their own nor an invitation waiting, and whose address has neither yet.",
        querystring: BulkInvitationQuerySchema,
        response: { 200: BulkInvitationPreviewSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => service.bulkPreview(requireUser(request.principal), request.query.territory),
  );

  app.post(
    "/invitations/bulk",
    {
      config: { access: INVITERS },
      schema: {
        tags,
        operationId: "sendBulkInvitation",
        summary: "Invite every RSSI the preview lists, in one transaction",
        description:
          "Invites, in one transaction, every RSSI the bulk preview lists at that moment: each gets an " +
          "e-mail with a personal link. Check the preview first.",
        body: BulkInvitationQuerySchema,
        response: { 200: BulkInvitationResultSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) =>
      service.bulkSend(requireUser(request.principal), auditActor(request), request.body.territory),
  );

  app.get(
    "/invitations/:id",
    {
      config: { access: INVITERS },
      schema: {
        tags,
        operationId: "getInvitation",
        summary: "One invitation",
        description:
          "One invitation: who is invited, to which establishments with which role, its status, expiry and " +
          "last e-mail delivery.",
        params: IdParamsSchema,
        response: { 200: InvitationSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => service.get(requireUser(request.principal), request.params.id),
  );

  app.post(
    "/invitations/:id/resend",
    {
      config: { access: INVITERS },
      schema: {
        tags,
        operationId: "resendInvitation",
        summary: "Send the invitation again: a new link, a new expiry; earlier links stop working",
        description:
          "Sends the invitation's e-mail again with a new link and a new expiry; earlier links stop " +
          "working. 409 when the invitation is no longer waiting.",
        params: IdParamsSchema,
        response: { 200: InvitationSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => service.resend(requireUser(request.principal), auditActor(request), request.params.id),
  );

  app.post(
    "/invitations/:id/cancel",
    {
      config: { access: INVITERS },
      schema: {
        tags,
        operationId: "cancelInvitation",
        summary: "Cancel a waiting invitation: its link stops working",
        description:
          "Cancels a waiting invitation: its link stops working at once. 409 when the invitation is no " +
          "longer waiting.",
        params: IdParamsSchema,
        response: { 200: InvitationSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => service.cancel(requireUser(request.principal), auditActor(request), request.params.id),
  );
};

export default invitationRoutes;
