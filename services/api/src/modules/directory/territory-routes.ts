import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  activeEstablishmentsIn,
  findTerritory,
  insertTerritory,
  listTerritories,
  type TerritoryRow,
  type Tx,
  updateTerritory,
  writeAudit,
} from "@pris/db";
import {
  countOf,
  seesWholeDirectory,
  TerritoryAdminSchema,
  TerritoryCodeParamsSchema,
  TerritoryCreateSchema,
  TerritoryListQuerySchema,
  TerritoryPatchSchema,
} from "@pris/domain";
import Type from "typebox";
import { auditActor } from "../../audit.ts";
import { ANY_PRINCIPAL, requirePrincipal } from "../../auth/principal.ts";
import { ConflictError, NotFoundError } from "../../errors.ts";
import { problems } from "../../http.ts";

const view = (t: TerritoryRow, activeEstablishments: number) => ({
  code: t.code,
  name: t.name,
  retiredAt: t.retiredAt?.toISOString() ?? null,
  activeEstablishments,
});

/** What the trail keeps of a territory. */
const audited = (t: TerritoryRow) => ({ name: t.name, retiredAt: t.retiredAt });

/**
 * The region's territories: everyone reads the current ones (pickers), the administrator creates,
 * renames, retires and restores them. A territory is never deleted: establishments, mappings and
 * statistics keep pointing at its code.
 */
const territoryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;

  async function existing(tx: Tx, code: string, lock?: "no key update") {
    const row = await findTerritory(tx, code, lock);
    if (!row) throw new NotFoundError("Territory");
    return row;
  }

  const activeCount = async (tx: Tx, code: string) => (await activeEstablishmentsIn(tx, code, 0)).total;

  app.get(
    "/territories",
    {
      config: { access: ANY_PRINCIPAL },
      schema: {
        tags: ["directory"],
        operationId: "listTerritories",
        summary: "The region's territories (the retired ones on request)",
        description:
          "Sorted by name. `activeEstablishments` is given to the roles that see the whole directory.",
        querystring: TerritoryListQuerySchema,
        response: { 200: Type.Array(TerritoryAdminSchema), ...problems(400, 401) },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request.principal);
      const rows = await listTerritories(db, { includeRetired: request.query.includeRetired === true });
      const counts = seesWholeDirectory(principal.role);
      return rows.map(({ activeEstablishments, ...t }) => {
        const v = view(t, activeEstablishments);
        if (counts) return v;
        const { activeEstablishments: _hidden, ...rest } = v;
        return rest;
      });
    },
  );

  app.post(
    "/territories",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "createTerritory",
        summary: "Create a territory (administrators)",
        description:
          "Adds a territory (a sub-area of the region that establishments belong to and statistics are " +
          "grouped by). Its code is permanent; 409 when the code is taken. Administrators only.",
        body: TerritoryCreateSchema,
        response: { 201: TerritoryAdminSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const body = { code: request.body.code, name: request.body.name.trim() };
      const row = await db.transaction(async (tx) => {
        const created = await insertTerritory(tx, body);
        if (!created) {
          throw new ConflictError("territory_code_taken", "A territory with this code exists", {
            errors: [{ field: "/code", message: "is already used" }],
          });
        }
        await writeAudit(tx, auditActor(request), {
          action: "territory.create",
          objectKind: "territory",
          objectId: created.code,
          objectLabel: created.name,
          after: { code: created.code, ...audited(created) },
        });
        return created;
      });
      return reply.code(201).send(view(row, 0));
    },
  );

  app.patch(
    "/territories/:code",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "updateTerritory",
        summary: "Rename a territory (administrators)",
        description:
          "Changes a territory's display name; its code, which establishments refer to, never changes. " +
          "Administrators only.",
        params: TerritoryCodeParamsSchema,
        body: TerritoryPatchSchema,
        response: { 200: TerritoryAdminSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) =>
      db.transaction(async (tx) => {
        const before = await existing(tx, request.params.code, "no key update");
        const after = await updateTerritory(tx, before.code, { name: request.body.name.trim() });
        await writeAudit(tx, auditActor(request), {
          action: "territory.update",
          objectKind: "territory",
          objectId: after.code,
          objectLabel: after.name,
          before: audited(before),
          after: audited(after),
        });
        return view(after, await activeCount(tx, after.code));
      }),
  );

  app.post(
    "/territories/:code/retire",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "retireTerritory",
        summary: "Retire a territory no active establishment uses (administrators)",
        description:
          "A retired territory takes no new establishment and is hidden from pickers. Refused with 409 " +
          "`territory_in_use` while active establishments are in it. Retiring a retired one changes nothing.",
        params: TerritoryCodeParamsSchema,
        response: { 200: TerritoryAdminSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      db.transaction(async (tx) => {
        const before = await existing(tx, request.params.code, "no key update");
        if (before.retiredAt) return view(before, await activeCount(tx, before.code));
        const inUse = await activeEstablishmentsIn(tx, before.code);
        if (inUse.total > 0) {
          const more = inUse.total > inUse.names.length ? ", …" : "";
          throw new ConflictError(
            "territory_in_use",
            `Le territoire « ${before.name} » est celui de ${countOf(inUse.total, "établissement actif", "établissements actifs")} ` +
              `(${inUse.names.join(", ")}${more}) : rattachez-les à un autre territoire ou ` +
              "désactivez-les avant de le retirer.",
          );
        }
        const after = await updateTerritory(tx, before.code, { retiredAt: new Date() });
        await writeAudit(tx, auditActor(request), {
          action: "territory.retire",
          objectKind: "territory",
          objectId: after.code,
          objectLabel: after.name,
          before: audited(before),
          after: audited(after),
        });
        return view(after, 0);
      }),
  );

  app.post(
    "/territories/:code/restore",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "restoreTerritory",
        summary: "Put a retired territory back in use (administrators)",
        description:
          "Makes a retired territory selectable again for establishments and mappings. Administrators " +
          "only.",
        params: TerritoryCodeParamsSchema,
        response: { 200: TerritoryAdminSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) =>
      db.transaction(async (tx) => {
        const before = await existing(tx, request.params.code, "no key update");
        if (!before.retiredAt) return view(before, await activeCount(tx, before.code));
        const after = await updateTerritory(tx, before.code, { retiredAt: null });
        await writeAudit(tx, auditActor(request), {
          action: "territory.restore",
          objectKind: "territory",
          objectId: after.code,
          objectLabel: after.name,
          before: audited(before),
          after: audited(after),
        });
        return view(after, await activeCount(tx, after.code));
      }),
  );
};

export default territoryRoutes;
