import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  canonicalProducts,
  type EstablishmentRow,
  type EstablishmentScope,
  establishmentScopeSql,
  findEstablishment,
  findGht,
  findTerritory,
  ghtSupportedBy,
  insertEstablishment,
  searchEstablishments,
  type Tx,
  updateEstablishment,
  writeAudit,
} from "@pris/db";
import {
  type Category,
  EstablishmentAdminCreateSchema,
  type EstablishmentAdminPatch,
  EstablishmentAdminPatchSchema,
  EstablishmentPageSchema,
  EstablishmentSchema,
  EstablishmentSearchQuerySchema,
  type FieldError,
  IdParamsSchema,
  sectorOf,
  seesWholeDirectory,
} from "@pris/domain";
import type { SQL } from "drizzle-orm";
import { auditActor } from "../../audit.ts";
import { ANY_PRINCIPAL, type Principal, requirePrincipal } from "../../auth/principal.ts";
import { ConflictError, NotFoundError, ValidationError } from "../../errors.ts";
import { decodeCursor, encodeCursor, problems } from "../../http.ts";

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

/** What the caller may see of the directory. */
export function scopeOf(principal: Principal): EstablishmentScope {
  return seesWholeDirectory(principal.role) ? { all: true } : { all: false, ids: principal.establishmentIds };
}

/** Narrows a query of establishments to what the caller may see. */
export function establishmentScope(principal: Principal): SQL | undefined {
  return establishmentScopeSql(scopeOf(principal));
}

/** What the administration trail keeps of an establishment: its fields, not its bookkeeping. */
function audited(row: EstablishmentRow) {
  const { id: _id, createdAt: _created, ...fields } = toEstablishmentView(row);
  return fields;
}

/**
 * Checks the territory (known; not retired, unless the establishment is already there) and the GHT an
 * establishment is placed in, holding the territory so that it is not retired meanwhile.
 */
async function checkReferences(
  tx: Tx,
  body: {
    territory?: string;
    ghtId?: string | null;
    activeFrom?: string | null;
    activeUntil?: string | null;
  },
  current?: EstablishmentRow,
) {
  const errors: FieldError[] = [];
  if (body.territory !== undefined) {
    const t = await findTerritory(tx, body.territory, "share");
    if (!t) errors.push({ field: "/territory", message: "is not a territory of the region" });
    else if (t.retiredAt && current?.territory !== t.code)
      errors.push({ field: "/territory", message: "is a retired territory" });
  }
  if (body.ghtId && !(await findGht(tx, body.ghtId))) {
    errors.push({ field: "/ghtId", message: "is not a known GHT" });
  }
  const from = body.activeFrom !== undefined ? body.activeFrom : (current?.activeFrom ?? null);
  const until = body.activeUntil !== undefined ? body.activeUntil : (current?.activeUntil ?? null);
  if (from && until && until < from) {
    errors.push({
      field: body.activeUntil !== undefined ? "/activeUntil" : "/activeFrom",
      message: "the establishment cannot leave the registry before it entered it",
    });
  }
  if (errors.length > 0) throw new ValidationError(errors);
}

/** The support establishment of a GHT stays in it while it is the support. */
async function checkGhtChange(tx: Tx, current: EstablishmentRow, ghtId: string | null | undefined) {
  if (ghtId === undefined || ghtId === current.ghtId || !current.ghtId) return;
  const supported = await ghtSupportedBy(tx, current.id);
  if (supported && supported.id === current.ghtId) {
    throw new ConflictError(
      "support_establishment",
      `« ${current.name} » est l'établissement support du GHT « ${supported.name} » : désignez un autre ` +
        "établissement support avant de le changer de GHT.",
      { errors: [{ field: "/ghtId", message: "is the support establishment of its GHT" }] },
    );
  }
}

const establishmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;

  async function findInScope(principal: Principal, id: string) {
    const row = await findEstablishment(db, id, scopeOf(principal));
    if (!row) throw new NotFoundError("Establishment");
    return row;
  }

  async function lockForAdmin(tx: Tx, id: string) {
    const row = await findEstablishment(tx, id, { all: true }, true);
    if (!row) throw new NotFoundError("Establishment");
    return row;
  }

  /** Deactivates or reactivates, with its own trail entry; the registry period follows (0014). */
  async function setActive(
    tx: Tx,
    request: Parameters<typeof auditActor>[0],
    before: EstablishmentRow,
    active: boolean,
  ) {
    if (before.active === active) return before;
    if (active) {
      const territory = await findTerritory(tx, before.territory, "share");
      if (territory?.retiredAt) {
        throw new ConflictError(
          "territory_retired",
          `Le territoire « ${territory.name} » est retiré : remettez-le en service ou rattachez ` +
            `« ${before.name} » à un autre territoire avant de le réactiver.`,
        );
      }
    }
    const after = await updateEstablishment(tx, before.id, { active });
    await writeAudit(tx, auditActor(request), {
      action: active ? "establishment.reactivate" : "establishment.deactivate",
      objectKind: "establishment",
      objectId: after.id,
      objectLabel: after.name,
      before: { active: before.active, activeUntil: before.activeUntil },
      after: { active: after.active, activeUntil: after.activeUntil },
    });
    return after;
  }

  app.get(
    "/establishments",
    {
      config: { access: ANY_PRINCIPAL },
      schema: {
        tags: ["directory"],
        operationId: "listEstablishments",
        summary: "Establishments in the caller's scope",
        description:
          "By name, a page at a time (`nextCursor`); filtered by territory, category, GHT, NIS2 status, " +
          "whether still in the registry, and text in the name or FINESS.",
        querystring: EstablishmentSearchQuerySchema,
        response: { 200: EstablishmentPageSchema, ...problems(400, 401) },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request.principal);
      const { limit = 20, cursor, ...filters } = request.query;
      const after = decodeCursor(cursor, 2);
      const page = await searchEstablishments(db, scopeOf(principal), filters, {
        limit,
        ...(after ? { after } : {}),
      });
      return {
        items: page.items.map(toEstablishmentView),
        total: page.total,
        nextCursor: page.next ? encodeCursor(page.next) : null,
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
        description:
          "An establishment's registry entry: FINESS, category, territory, GHT, NIS2 status, contacts, " +
          "declared products and suppliers. Outside the caller's scope it answers 404, as if it did not " +
          "exist.",
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
        description:
          "Declared products take the catalog's spelling. A duplicate FINESS is refused with 409 " +
          "`finess_taken`; a retired territory with 400.",
        body: EstablishmentAdminCreateSchema,
        response: { 201: EstablishmentSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const actor = auditActor(request);
      const row = await db.transaction(async (tx) => {
        await checkReferences(tx, body);
        const created = await insertEstablishment(tx, {
          finess: body.finess,
          name: body.name.trim(),
          category: body.category,
          sector: sectorOf(body.category),
          territory: body.territory,
          ghtId: body.ghtId ?? null,
          smallStructure: body.smallStructure ?? false,
          nis2Status: body.nis2Status ?? "not_subject",
          contacts: body.contacts ?? {},
          products: await canonicalProducts(tx, body.products ?? [], actor.userId),
          suppliers: body.suppliers ?? [],
          legalEntityFiness: body.legalEntityFiness ?? null,
          siret: body.siret ?? null,
          address: body.address ?? null,
          phone: body.phone ?? null,
          activeFrom: body.activeFrom ?? null,
        });
        if (!created) {
          throw new ConflictError("finess_taken", "An establishment with this FINESS number exists", {
            errors: [{ field: "/finess", message: "is already registered" }],
          });
        }
        await writeAudit(tx, actor, {
          action: "establishment.create",
          objectKind: "establishment",
          objectId: created.id,
          objectLabel: created.name,
          after: audited(created),
        });
        return created;
      });
      app.directoryCache.invalidate();
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
        description:
          "Only the fields sent change. `active` deactivates or reactivates, like the dedicated routes. " +
          "The support establishment of a GHT cannot leave it (409 `support_establishment`).",
        params: IdParamsSchema,
        body: EstablishmentAdminPatchSchema,
        response: { 200: EstablishmentSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const actor = auditActor(request);
      const { active, ...fields } = request.body as EstablishmentAdminPatch;
      const row = await db.transaction(async (tx) => {
        const before = await lockForAdmin(tx, request.params.id);
        await checkReferences(tx, fields, before);
        await checkGhtChange(tx, before, fields.ghtId);
        let after = before;
        if (Object.keys(fields).length > 0) {
          const { name, products, category, ...restFields } = fields;
          after = await updateEstablishment(tx, before.id, {
            ...restFields,
            ...(name !== undefined ? { name: name.trim() } : {}),
            ...(category ? { category, sector: sectorOf(category) } : {}),
            ...(products ? { products: await canonicalProducts(tx, products, actor.userId) } : {}),
          });
          await writeAudit(tx, actor, {
            action: "establishment.update",
            objectKind: "establishment",
            objectId: after.id,
            objectLabel: after.name,
            before: audited(before),
            after: audited(after),
          });
        }
        if (active !== undefined) after = await setActive(tx, request, after, active);
        return after;
      });
      app.directoryCache.invalidate();
      return toEstablishmentView(row);
    },
  );

  for (const [verb, active] of [
    ["deactivate", false],
    ["reactivate", true],
  ] as const) {
    app.post(
      `/establishments/:id/${verb}`,
      {
        config: { access: ["admin"] },
        schema: {
          tags: ["directory"],
          operationId: `${verb}Establishment`,
          summary: active
            ? "Put an establishment back in the registry (administrators)"
            : "Take an establishment out of the registry, keeping its history (administrators)",
          description: active
            ? "Clears the day it left the registry. Reactivating an active one changes nothing; one in a " +
              "retired territory → 409 `territory_retired`."
            : "Records the day it left the registry (today unless already set). Nothing is deleted.",
          params: IdParamsSchema,
          response: { 200: EstablishmentSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const row = await db.transaction(async (tx) =>
          setActive(tx, request, await lockForAdmin(tx, request.params.id), active),
        );
        app.directoryCache.invalidate();
        return toEstablishmentView(row);
      },
    );
  }
};

export default establishmentRoutes;
