import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  AckTokenParamsSchema,
  AckViewSchema,
  AnswerInputSchema,
  AnswerResultSchema,
  AudiencePreviewInputSchema,
  AudiencePreviewSchema,
  BulletinDashboardSchema,
  BulletinDraftSchema,
  BulletinListQuerySchema,
  BulletinListSchema,
  BulletinRevisionInputSchema,
  BulletinSchema,
  BulletinSummarySchema,
  IdParamsSchema,
  PublishResultSchema,
} from "@pris/domain";
import Type from "typebox";
import type { Access } from "../../auth/principal.ts";
import { problems } from "../../http.ts";
import { ackAnswer, ackView } from "./ack-service.ts";
import {
  answerInApp,
  bulletinDashboard,
  bulletinFromIncident,
  createDraft,
  deleteDraft,
  getBulletin,
  listBulletins,
  previewAudience,
  publishBulletin,
  reviseBulletin,
  setPaused,
  updateDraft,
} from "./bulletin-service.ts";

const tags = ["bulletins"];
/** The pole writes and publishes bulletins; the region's people and the RSSIs read them. */
const AUTHORS: Access = ["analyst"];
const READERS: Access = ["analyst", "ars", "taskforce", "rssi"];

const bulletinRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const { config } = app;

  app.post(
    "/bulletins",
    {
      config: { access: AUTHORS },
      schema: {
        tags,
        operationId: "createBulletin",
        summary: "Create a draft alert bulletin (analysts)",
        description:
          "Under TLP:AMBER+STRICT and TLP:RED the audience may only name establishments (400 on /audience).",
        body: BulletinDraftSchema,
        response: { 201: BulletinSchema, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => reply.code(201).send(await createDraft(db, request.principal, request.body)),
  );

  app.get(
    "/bulletins",
    {
      config: { access: READERS },
      schema: {
        tags,
        operationId: "listBulletins",
        summary: "Bulletins, newest first",
        description:
          "Analysts see every bulletin, drafts included; the ARS and the task force the published ones; an " +
          "RSSI those addressed to them or to their establishments (TLP:RED: to them by name), with their answer.",
        querystring: BulletinListQuerySchema,
        response: { 200: BulletinListSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => listBulletins(db, request.principal, request.query),
  );

  app.post(
    "/bulletins/audience-preview",
    {
      config: { access: AUTHORS },
      schema: {
        tags,
        operationId: "previewBulletinAudience",
        summary: "How many establishments and people an audience reaches, before publishing",
        description:
          "Counts the establishments and people an audience (the whole region, or territories, categories, " +
          "GHTs, products, named establishments) reaches, before a bulletin is published to it.",
        body: AudiencePreviewInputSchema,
        response: { 200: AudiencePreviewSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => previewAudience(db, request.principal, request.body),
  );

  app.get(
    "/bulletins/:id",
    {
      config: { access: READERS },
      schema: {
        tags,
        operationId: "getBulletin",
        summary: "A bulletin with its revisions",
        description: "An RSSI opening it is recorded as having read it; the pole's previews never are.",
        params: IdParamsSchema,
        response: { 200: BulletinSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => getBulletin(db, request.principal, request.params.id),
  );

  app.put(
    "/bulletins/:id",
    {
      config: { access: AUTHORS },
      schema: {
        tags,
        operationId: "updateBulletinDraft",
        summary: "Replace a draft's content, TLP and audience (a published bulletin changes by revision)",
        description:
          "Replaces a draft bulletin's content, TLP and audience. A published bulletin cannot be edited " +
          "(409): publish a revision instead.",
        params: IdParamsSchema,
        body: BulletinDraftSchema,
        response: { 200: BulletinSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => updateDraft(db, request.principal, request.params.id, request.body),
  );

  app.delete(
    "/bulletins/:id",
    {
      config: { access: AUTHORS },
      schema: {
        tags,
        operationId: "deleteBulletinDraft",
        summary: "Delete a draft (a published bulletin stays: it was sent)",
        description: "Deletes a draft bulletin. A published bulletin is never deleted (409): it was sent.",
        params: IdParamsSchema,
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await deleteDraft(db, request.principal, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/bulletins/:id/publish",
    {
      config: { access: AUTHORS },
      schema: {
        tags,
        operationId: "publishBulletin",
        summary: "Publish a draft: reference, recipients, one e-mail per recipient (none under TLP:RED)",
        description:
          "Publishes a draft: it gets its reference, its recipients are fixed from the audience, and one " +
          "e-mail per recipient is queued. Under TLP:RED no e-mail is sent: recipients read it in the " +
          "application.",
        params: IdParamsSchema,
        response: { 200: PublishResultSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => publishBulletin(db, config, request.principal, request.params.id),
  );

  app.post(
    "/bulletins/:id/revisions",
    {
      config: { access: AUTHORS },
      schema: {
        tags,
        operationId: "reviseBulletin",
        summary: "Publish a revision to the same recipients, saying what changed",
        description: "Kind, TLP and audience stay those of the publication.",
        params: IdParamsSchema,
        body: BulletinRevisionInputSchema,
        response: { 200: PublishResultSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => reviseBulletin(db, config, request.principal, request.params.id, request.body),
  );

  for (const [action, paused] of [
    ["pause", true],
    ["resume", false],
  ] as const) {
    app.post(
      `/bulletins/:id/${action}`,
      {
        config: { access: AUTHORS },
        schema: {
          tags,
          operationId: paused ? "pauseBulletinFanout" : "resumeBulletinFanout",
          summary: paused
            ? "Pause a bulletin's fan-out: e-mails not yet sent wait"
            : "Resume a paused fan-out where it stopped",
          description: paused
            ? "Pauses the sending of a published bulletin's e-mails: those not yet sent wait " +
              "until resumed. Useful when a mistake is spotted mid-sending."
            : "Resumes a paused bulletin's sending where it stopped; e-mails already sent are not sent again.",
          params: IdParamsSchema,
          response: { 200: BulletinSummarySchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => setPaused(db, request.principal, request.params.id, paused),
    );
  }

  app.get(
    "/bulletins/:id/dashboard",
    {
      config: { access: ["analyst", "ars"], accessTrace: "bulletin" },
      schema: {
        tags,
        operationId: "getBulletinDashboard",
        summary: "Delivery and acknowledgement of a bulletin, by territory and category (analysts, ARS)",
        description:
          "How far a bulletin reached: totals of e-mails and acknowledgements, the same by territory and " +
          "by establishment category, who is still pending, and the delivery failures.",
        params: IdParamsSchema,
        response: { 200: BulletinDashboardSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => bulletinDashboard(db, request.principal, request.params.id),
  );

  app.post(
    "/bulletins/:id/answer",
    {
      config: { access: ["rssi"] },
      schema: {
        tags,
        operationId: "answerBulletin",
        summary: "An RSSI answers a bulletin in the application (TLP:RED ones included)",
        description:
          "An RSSI signed in acknowledges or answers a bulletin for their establishment, in the " +
          "application; the only way for TLP:RED bulletins, which are never e-mailed.",
        params: IdParamsSchema,
        body: AnswerInputSchema,
        response: { 200: AnswerResultSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => answerInApp(db, request.principal, request.params.id, request.body),
  );

  app.post(
    "/incidents/:id/bulletin",
    {
      config: { access: AUTHORS },
      schema: {
        tags,
        operationId: "createBulletinFromIncident",
        summary: "A contagion alert pre-filled from an incident: anonymised, its observables, TLP:GREEN",
        description:
          "Creates a draft contagion alert from an incident: anonymised (no establishment named), with the " +
          "incident's observables, at TLP:GREEN. The analyst reviews it before publishing.",
        params: IdParamsSchema,
        response: { 201: BulletinSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await bulletinFromIncident(db, config, request.principal, request.params.id)),
  );

  app.get(
    "/bulletin-acks/:token",
    {
      config: { access: "public" },
      schema: {
        tags,
        operationId: "getBulletinAck",
        summary: "What a recipient's personal link shows, without login",
        description:
          "Reading changes nothing (mail scanners open links). A link that was altered → 404 invalid_link; " +
          "an expired one → 410 link_expired.",
        params: AckTokenParamsSchema,
        response: { 200: AckViewSchema, ...problems(400, 404, 410) },
      },
    },
    async (request) => ackView(db, config, request.params.token),
  );

  app.post(
    "/bulletin-acks/:token",
    {
      config: { access: "public" },
      schema: {
        tags,
        operationId: "answerBulletinAck",
        summary: "A recipient answers through their personal link: for themselves only",
        description:
          "Public, no session: the token is the one in the personal link of a bulletin's e-mail, and " +
          "answers for that recipient only. 404 for a link that is not genuine, 410 (`link_expired`) for " +
          "an expired one.",
        params: AckTokenParamsSchema,
        body: AnswerInputSchema,
        response: { 200: AckViewSchema, ...problems(400, 404, 410) },
      },
    },
    async (request) => ackAnswer(db, config, request.params.token, request.body),
  );
};

export default bulletinRoutes;
