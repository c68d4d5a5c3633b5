import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { establishments, ghts, territories } from "@pris/db";
import {
  type Category,
  EstablishmentCreateSchema,
  EstablishmentListQuerySchema,
  EstablishmentPageSchema,
  EstablishmentPatchSchema,
  EstablishmentSchema,
  type FieldError,
  IdParamsSchema,
  sectorOf,
  seesWholeDirectory,
  TerritorySchema,
} from "@pris/domain";
import { and, asc, count, eq, gt, ilike, inArray, or, type SQL, sql } from "drizzle-orm";
import Type from "typebox";
import { ANY_PRINCIPAL, type Principal, requirePrincipal, requireUser } from "../../auth/principal.ts";
import { ConflictError, NotFoundError, ValidationError } from "../../errors.ts";
import { decodeCursor, encodeCursor, problems } from "../../http.ts";

type EstablishmentRow = typeof establishments.$inferSelect;

export function toEstablishmentView(row: EstablishmentRow) {
  return {
    id: row.id,
    finess: row.finess,
    name: row.name,
    category: row.category as Category,
    sector: row.sector as "es" | "esms" | "other",
    territory: row.territory,
    ghtId: row.ghtId,
    smallStructure: row.smallStructure,
    nis2Status: row.nis2Status as "essential" | "important" | "not_subject",
    contacts: row.contacts,
    products: row.products as never,
    suppliers: row.suppliers as never,
    legalEntityFiness: row.legalEntityFiness,
    siret: row.siret,
    finessCategory: row.finessCategory,
    address: row.address,
    phone: row.phone,
    active: row.active,
    activeFrom: row.activeFrom,
    activeUntil: row.activeUntil,
    registryUpdatedOn: row.registryUpdatedOn,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Narrows a query of establishments to what the caller may see. */
export function establishmentScope(principal: Principal): SQL | undefined {
  if (seesWholeDirectory(principal.role)) return undefined;
  return principal.establishmentIds.length > 0
    ? inArray(establishments.id, principal.establishmentIds)
    : sql`false`;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

const establishmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;

  async function checkReferences(body: { territory?: string; ghtId?: string | null }) {
    const errors: FieldError[] = [];
    if (body.territory !== undefined) {
      const [t] = await db.select().from(territories).where(eq(territories.code, body.territory));
      if (!t) errors.push({ field: "/territory", message: "is not a territory of the region" });
    }
    if (body.ghtId) {
      const [g] = await db.select({ id: ghts.id }).from(ghts).where(eq(ghts.id, body.ghtId));
      if (!g) errors.push({ field: "/ghtId", message: "is not a known GHT" });
    }
    if (errors.length > 0) throw new ValidationError(errors);
  }

  async function findInScope(principal: Principal, id: string) {
    const [row] = await db
      .select()
      .from(establishments)
      .where(and(eq(establishments.id, id), establishmentScope(principal)));
    if (!row) throw new NotFoundError("Establishment");
    return row;
  }

  app.get(
    "/territories",
    {
      config: { access: ANY_PRINCIPAL },
      schema: {
        tags: ["directory"],
        operationId: "listTerritories",
        summary: "The region's territories",
        response: { 200: Type.Array(TerritorySchema), ...problems(401) },
      },
    },
    async (request) => {
      requirePrincipal(request.principal);
      const rows = await db.select().from(territories).orderBy(asc(territories.name));
      return rows.map((t) => ({ ...t, retiredAt: t.retiredAt?.toISOString() ?? null }));
    },
  );

  app.get(
    "/establishments",
    {
      config: { access: ANY_PRINCIPAL },
      schema: {
        tags: ["directory"],
        operationId: "listEstablishments",
        summary: "Establishments in the caller's scope",
        querystring: EstablishmentListQuerySchema,
        response: { 200: EstablishmentPageSchema, ...problems(400, 401) },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request.principal);
      const q = request.query;
      const limit = q.limit ?? 20;
      const filters = and(
        establishmentScope(principal),
        q.territory ? eq(establishments.territory, q.territory) : undefined,
        q.category ? eq(establishments.category, q.category) : undefined,
        q.ghtId ? eq(establishments.ghtId, q.ghtId) : undefined,
        q.active === undefined ? undefined : eq(establishments.active, q.active),
        q.q
          ? or(
              ilike(establishments.name, `%${escapeLike(q.q)}%`),
              ilike(establishments.finess, `${escapeLike(q.q)}%`),
            )
          : undefined,
      );
      const after = decodeCursor(q.cursor, 2);
      const rows = await db
        .select()
        .from(establishments)
        .where(
          and(
            filters,
            after
              ? or(
                  gt(establishments.name, after[0]!),
                  and(eq(establishments.name, after[0]!), gt(establishments.id, after[1]!)),
                )
              : undefined,
          ),
        )
        .orderBy(asc(establishments.name), asc(establishments.id))
        .limit(limit + 1);
      const [{ total }] = (await db.select({ total: count() }).from(establishments).where(filters)) as [
        { total: number },
      ];
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(toEstablishmentView),
        total,
        nextCursor: rows.length > limit && last ? encodeCursor([last.name, last.id]) : null,
      };
    },
  );

  app.get(
    "/establishments/:id",
    {
      config: { access: ANY_PRINCIPAL },
      schema: {
        tags: ["directory"],
        operationId: "getEstablishment",
        summary: "One establishment, if in the caller's scope",
        params: IdParamsSchema,
        response: { 200: EstablishmentSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) =>
      toEstablishmentView(await findInScope(requirePrincipal(request.principal), request.params.id)),
  );

  app.post(
    "/establishments",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "createEstablishment",
        summary: "Register an establishment (administrators)",
        body: EstablishmentCreateSchema,
        response: { 201: EstablishmentSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      await checkReferences(body);
      const [row] = await db
        .insert(establishments)
        .values({
          finess: body.finess,
          name: body.name,
          category: body.category,
          sector: sectorOf(body.category),
          territory: body.territory,
          ghtId: body.ghtId ?? null,
          smallStructure: body.smallStructure ?? false,
          nis2Status: body.nis2Status ?? "not_subject",
          contacts: body.contacts ?? {},
          products: body.products ?? [],
        })
        .onConflictDoNothing({ target: establishments.finess })
        .returning();
      if (!row) {
        throw new ConflictError("finess_taken", "An establishment with this FINESS number exists", {
          errors: [{ field: "/finess", message: "is already registered" }],
        });
      }
      return reply.code(201).send(toEstablishmentView(row));
    },
  );

  app.patch(
    "/establishments/:id",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "updateEstablishment",
        summary: "Update an establishment (administrators)",
        params: IdParamsSchema,
        body: EstablishmentPatchSchema,
        response: { 200: EstablishmentSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const principal = requireUser(request.principal);
      await findInScope(principal, request.params.id);
      const body = request.body;
      await checkReferences(body);
      const [row] = await db
        .update(establishments)
        .set({
          ...body,
          ...(body.category ? { sector: sectorOf(body.category) } : {}),
          updatedAt: new Date(),
        })
        .where(eq(establishments.id, request.params.id))
        .returning();
      app.directoryCache.invalidate();
      return toEstablishmentView(row!);
    },
  );
};

export default establishmentRoutes;
