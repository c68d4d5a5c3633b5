import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { AckTokenParamsSchema } from "@pris/domain";
import type { FastifyReply } from "fastify";
import Type from "typebox";
import { linkActor } from "../../audit.ts";
import { problems } from "../../http.ts";
import { ExpiredLinkError, InvalidLinkError } from "./ack-service.ts";
import { confirmPage, donePage, invalidPage } from "./unsubscribe-page.ts";
import { unsubscribeMailbox, unsubscribeState } from "./unsubscribe-service.ts";

const tags = ["bulletins"];
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

/**
 * The unsubscribe link of a functional mailbox (RFC 8058): its provider's "unsubscribe" button POSTs
 * `List-Unsubscribe=One-Click` to it without login, the signed token being the authority; a person who
 * opens it gets a French page that asks before doing anything. Outside /api: one address serves both, and
 * what it answers, refusals included, is a page for people (the API's own errors are problem+json).
 */
const unsubscribeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const { config } = app;

  // RFC 8058 bodies are form-encoded or multipart; what they say is fixed, the token is what counts.
  app.addContentTypeParser(
    ["application/x-www-form-urlencoded", "multipart/form-data"],
    { parseAs: "string", bodyLimit: 4096 },
    (_request, body, done) => done(null, { raw: body as string }),
  );

  const html = (reply: FastifyReply, status: number, body: string) =>
    reply
      .code(status)
      .type("text/html; charset=utf-8")
      .header("content-security-policy", PAGE_CSP)
      .header("cache-control", "no-store")
      .send(body);

  const refused = (reply: FastifyReply, err: unknown) => {
    if (err instanceof ExpiredLinkError) return html(reply, 410, invalidPage(true, config.REGION_NAME));
    if (err instanceof InvalidLinkError) return html(reply, 404, invalidPage(false, config.REGION_NAME));
    throw err;
  };

  const page = Type.String({ description: "French HTML page" });

  app.get(
    "/desabonnement/:token",
    {
      config: { access: "public" },
      // Pages for people and mail providers, outside the API: not in its OpenAPI document.
      schema: {
        hide: true,
        tags,
        operationId: "getBulletinUnsubscribe",
        summary: "The unsubscribe link of a functional mailbox, opened by a person: a page that asks first",
        description:
          "Reading changes nothing (mail scanners open links). An altered link → 404, an expired one → 410, " +
          "both as French pages.",
        security: [],
        params: AckTokenParamsSchema,
        produces: ["text/html"],
        response: { 200: page, 404: page, 410: page, ...problems(400) },
      },
    },
    async (request, reply) => {
      try {
        const state = await unsubscribeState(db, config, request.params.token);
        return html(reply, 200, confirmPage(state, request.url, config.REGION_NAME));
      } catch (err) {
        return refused(reply, err);
      }
    },
  );

  app.post(
    "/desabonnement/:token",
    {
      config: { access: "public" },
      schema: {
        hide: true,
        tags,
        operationId: "postBulletinUnsubscribe",
        summary: "One-click unsubscribe of a functional mailbox from the bulletins (RFC 8058), without login",
        description:
          "Removes the address from the establishment's contacts (audited), drops what it was still owed " +
          "and e-mails the establishment's RSSIs. Idempotent. Body: `List-Unsubscribe=One-Click`, " +
          "form-encoded or multipart.",
        security: [],
        params: AckTokenParamsSchema,
        consumes: ["application/x-www-form-urlencoded", "multipart/form-data"],
        produces: ["text/html"],
        response: { 200: page, 404: page, 410: page, ...problems(400, 415) },
      },
    },
    async (request, reply) => {
      try {
        const state = await unsubscribeMailbox(db, config, request.params.token, linkActor(request));
        app.directoryCache.invalidate();
        return html(reply, 200, donePage(state, config.REGION_NAME));
      } catch (err) {
        return refused(reply, err);
      }
    },
  );
};

export default unsubscribeRoutes;
