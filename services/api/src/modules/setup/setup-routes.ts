import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { setupCounts } from "@pris/db";
import { SetupOverviewSchema } from "@pris/domain";
import { problems } from "../../http.ts";

/** The administrator's home: how far the region is in setting itself up. */
const setupRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    "/administration/overview",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["administration"],
        operationId: "getSetupOverview",
        summary: "What the region has of each thing its first day needs (administrators)",
        description:
          "How many of each thing the region's first day needs it has (territories, establishments, RSSIs, " +
          "pole members, mappings…), to guide an administrator through the setup. Administrators only.",
        response: { 200: SetupOverviewSchema, ...problems(401, 403) },
      },
    },
    async () => {
      const counts = await setupCounts(app.database.db);
      return { ...counts, lastImportAt: counts.lastImportAt?.toISOString() ?? null };
    },
  );
};

export default setupRoutes;
