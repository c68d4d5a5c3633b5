import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { establishments, ghts } from "@pris/db";
import { GhtCreateSchema, GhtSchema } from "@pris/domain";
import { asc, eq } from "drizzle-orm";
import Type from "typebox";
import { ANY_PRINCIPAL, requirePrincipal } from "../../auth/principal.ts";
import { ConflictError, ValidationError } from "../../errors.ts";
import { problems } from "../../http.ts";

const ghtRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const columns = {
    id: ghts.id,
    code: ghts.code,
    name: ghts.name,
    supportEstablishmentId: ghts.supportEstablishmentId,
  };

  app.get(
    "/ghts",
    {
      config: { access: ANY_PRINCIPAL },
      schema: {
        tags: ["directory"],
        operationId: "listGhts",
        summary: "The region's GHTs",
        response: { 200: Type.Array(GhtSchema), ...problems(401) },
      },
    },
    async (request) => {
      requirePrincipal(request.principal);
      return db.select(columns).from(ghts).orderBy(asc(ghts.name));
    },
  );

  app.post(
    "/ghts",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "createGht",
        summary: "Register a GHT (administrators)",
        body: GhtCreateSchema,
        response: { 201: GhtSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { supportEstablishmentId = null, ...rest } = request.body;
      if (supportEstablishmentId) {
        const [e] = await db
          .select({ id: establishments.id })
          .from(establishments)
          .where(eq(establishments.id, supportEstablishmentId));
        if (!e)
          throw new ValidationError([
            { field: "/supportEstablishmentId", message: "is not a known establishment" },
          ]);
      }
      const [row] = await db
        .insert(ghts)
        .values({ ...rest, supportEstablishmentId })
        .onConflictDoNothing({ target: ghts.code })
        .returning(columns);
      if (!row) {
        throw new ConflictError("ght_code_taken", "A GHT with this code exists", {
          errors: [{ field: "/code", message: "is already used" }],
        });
      }
      return reply.code(201).send(row);
    },
  );
};

export default ghtRoutes;
