import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  ClockParamsSchema,
  ClockRecordedSchema,
  ClockRecordSchema,
  IdParamsSchema,
  NotificationExportSchema,
} from "@pris/domain";
import Type from "typebox";
import { CONTRIBUTORS, requirePrincipal } from "../../auth/principal.ts";
import { problems } from "../../http.ts";
import { notificationExport, recordClock } from "./clock-service.ts";
import { renderNotificationPage } from "./notification-page.ts";

const clockRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const { config } = app;
  const settings = {
    timeZone: config.REGION_TIMEZONE,
    nationalPortalDueHours: config.NATIONAL_PORTAL_DUE_HOURS,
  };

  app.post(
    "/incidents/:id/clocks/:kind",
    {
      config: { access: CONTRIBUTORS },
      schema: {
        tags: ["clocks"],
        operationId: "recordClock",
        summary: "Record that a regulatory obligation was met: when, to whom, under which reference",
        description:
          "For the pole, and for the establishment's own incidents. A record after the due time needs " +
          "lateReason (400 naming /lateReason). Recording the NIS2 notification re-times the final report " +
          "(one month later, in the region's zone). For nis2_final_report, report 'progress' while the " +
          "incident is open records a progress report and keeps the clock open, due a month later; the " +
          "final report after a progress report is due a month after the incident closed. Recording again " +
          "corrects the record; every record is in the main courante. 404 for a clock the incident does not have.",
        params: ClockParamsSchema,
        body: ClockRecordSchema,
        response: { 200: ClockRecordedSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      recordClock(
        db,
        settings,
        requirePrincipal(request.principal),
        request.params.id,
        request.params.kind,
        request.body,
      ),
  );

  app.get(
    "/incidents/:id/notifications",
    {
      config: { access: CONTRIBUTORS, accessTrace: "incident" },
      schema: {
        tags: ["clocks"],
        operationId: "exportNotifications",
        summary: "What was notified to whom and when, for the regulator",
        description:
          "Each regulatory notification the incident owes or owed (national portal, CNIL, NIS2) with its " +
          "legal basis, deadline, when and to which authority it was made and under which reference, as " +
          "JSON: what the regulator asks for. The printable page gives the same in French.",
        params: IdParamsSchema,
        response: { 200: NotificationExportSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) =>
      notificationExport(db, settings, requirePrincipal(request.principal), request.params.id),
  );

  app.get(
    "/incidents/:id/notifications.html",
    {
      config: { access: CONTRIBUTORS, accessTrace: "incident" },
      schema: {
        tags: ["clocks"],
        operationId: "printNotifications",
        summary: "The regulator export as a printable French page, times in the region's zone",
        description:
          "The same notifications as a printable HTML page in French, times in the region's zone, to print " +
          "or save as PDF for the regulator.",
        params: IdParamsSchema,
        produces: ["text/html"],
        response: {
          200: Type.String({ description: "HTML page" }),
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const data = await notificationExport(
        db,
        settings,
        requirePrincipal(request.principal),
        request.params.id,
      );
      return reply
        .type("text/html; charset=utf-8")
        .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'")
        .send(renderNotificationPage(data, config.REGION_NAME));
    },
  );
};

export default clockRoutes;
