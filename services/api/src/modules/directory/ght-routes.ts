import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  findEstablishment,
  findGht,
  ghtMembers,
  insertGht,
  listGhts,
  setEstablishmentGht,
  type Tx,
  updateGht,
  writeAudit,
} from "@pris/db";
import {
  type Category,
  GhtCreateSchema,
  GhtDetailSchema,
  GhtMemberAddSchema,
  GhtMemberParamsSchema,
  GhtPatchSchema,
  GhtSchema,
  IdParamsSchema,
} from "@pris/domain";
import Type from "typebox";
import { auditActor } from "../../audit.ts";
import { type Access, ANY_PRINCIPAL, requirePrincipal } from "../../auth/principal.ts";
import { ConflictError, NotFoundError, ValidationError } from "../../errors.ts";
import { problems } from "../../http.ts";

/** The roles that see the whole directory read a GHT's members. */
const DIRECTORY_READERS: Access = ["admin", "analyst", "taskforce", "ars"];

type Ght = NonNullable<Awaited<ReturnType<typeof findGht>>>;

/** An establishment belongs to at most one GHT: joining another one is refused, naming it. */
async function assertJoinable(tx: Tx, establishmentId: string, ghtId: string | null, field: string) {
  const est = await findEstablishment(tx, establishmentId, { all: true }, true);
  if (!est) throw new ValidationError([{ field, message: "is not a known establishment" }]);
  if (est.ghtId && est.ghtId !== ghtId) {
    const other = await findGht(tx, est.ghtId);
    throw new ConflictError(
      "establishment_in_other_ght",
      `L'établissement « ${est.name} » appartient déjà au GHT « ${other?.name ?? est.ghtId} » : ` +
        "retirez-le d'abord de ce GHT.",
      { errors: [{ field, message: "already belongs to another GHT" }] },
    );
  }
  return est;
}

/**
 * The region's GHTs: everyone reads the list (bulletin audiences), the pole and the ARS a GHT's members,
 * the administrator creates and renames them, names their support establishment (a member) and moves
 * establishments in and out (`establishments.ght_id`: one GHT at most).
 */
const ghtRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;

  async function existing(tx: Tx, id: string, lock = false) {
    const row = await findGht(tx, id, lock);
    if (!row) throw new NotFoundError("GHT");
    return row;
  }

  async function detail(tx: Tx, ght: Ght) {
    const members = await ghtMembers(tx, ght.id);
    return { ...ght, members: members.map((m) => ({ ...m, category: m.category as Category })) };
  }

  app.get(
    "/ghts",
    {
      config: { access: ANY_PRINCIPAL },
      schema: {
        tags: ["directory"],
        operationId: "listGhts",
        summary: "The region's GHTs",
        description:
          "Every GHT (groupement hospitalier de territoire) of the region, with its support establishment.",
        response: { 200: Type.Array(GhtSchema), ...problems(401) },
      },
    },
    async (request) => {
      requirePrincipal(request.principal);
      return listGhts(db);
    },
  );

  app.get(
    "/ghts/:id",
    {
      config: { access: DIRECTORY_READERS },
      schema: {
        tags: ["directory"],
        operationId: "getGht",
        summary: "A GHT with its member establishments",
        description: "A GHT with its member establishments and its support establishment.",
        params: IdParamsSchema,
        response: { 200: GhtDetailSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => detail(db, await existing(db, request.params.id)),
  );

  app.post(
    "/ghts",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "createGht",
        summary: "Register a GHT (administrators)",
        description: "A support establishment given here becomes the GHT's first member.",
        body: GhtCreateSchema,
        response: { 201: GhtSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { supportEstablishmentId = null, code, name } = request.body;
      const row = await db.transaction(async (tx) => {
        const created = await insertGht(tx, { code: code.trim(), name: name.trim() });
        if (!created) {
          throw new ConflictError("ght_code_taken", "A GHT with this code exists", {
            errors: [{ field: "/code", message: "is already used" }],
          });
        }
        const actor = auditActor(request);
        let ght = created;
        if (supportEstablishmentId) {
          await assertJoinable(tx, supportEstablishmentId, created.id, "/supportEstablishmentId");
          await setEstablishmentGht(tx, supportEstablishmentId, created.id);
          ght = await updateGht(tx, created.id, { supportEstablishmentId });
        }
        await writeAudit(tx, actor, {
          action: "ght.create",
          objectKind: "ght",
          objectId: ght.id,
          objectLabel: ght.name,
          after: { code: ght.code, name: ght.name, supportEstablishmentId: ght.supportEstablishmentId },
        });
        return ght;
      });
      if (supportEstablishmentId) app.directoryCache.invalidate();
      return reply.code(201).send(row);
    },
  );

  app.patch(
    "/ghts/:id",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "updateGht",
        summary: "Rename a GHT or name its support establishment, a member (administrators)",
        description:
          "Renames a GHT or names its support establishment, which must be one of its members. " +
          "Administrators only.",
        params: IdParamsSchema,
        body: GhtPatchSchema,
        response: { 200: GhtDetailSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) =>
      db.transaction(async (tx) => {
        const before = await existing(tx, request.params.id, true);
        const { name, supportEstablishmentId } = request.body;
        if (supportEstablishmentId) {
          // Held, so that it does not leave the GHT while it becomes the support.
          const est = await findEstablishment(tx, supportEstablishmentId, { all: true }, true);
          if (!est || est.ghtId !== before.id) {
            throw new ValidationError([
              {
                field: "/supportEstablishmentId",
                message: est ? "is not a member of this GHT" : "is not a known establishment",
              },
            ]);
          }
        }
        const after = await updateGht(tx, before.id, {
          ...(name !== undefined ? { name: name.trim() } : {}),
          ...(supportEstablishmentId !== undefined ? { supportEstablishmentId } : {}),
        });
        await writeAudit(tx, auditActor(request), {
          action: "ght.update",
          objectKind: "ght",
          objectId: after.id,
          objectLabel: after.name,
          before: { name: before.name, supportEstablishmentId: before.supportEstablishmentId },
          after: { name: after.name, supportEstablishmentId: after.supportEstablishmentId },
        });
        return detail(tx, after);
      }),
  );

  app.post(
    "/ghts/:id/members",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "addGhtMember",
        summary: "Add an establishment to a GHT (administrators)",
        description:
          "An establishment belongs to at most one GHT: one in another GHT is refused with 409 " +
          "`establishment_in_other_ght`. Adding a member again changes nothing.",
        params: IdParamsSchema,
        body: GhtMemberAddSchema,
        response: { 200: GhtDetailSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const result = await db.transaction(async (tx) => {
        const ght = await existing(tx, request.params.id, true);
        const est = await assertJoinable(tx, request.body.establishmentId, ght.id, "/establishmentId");
        if (est.ghtId !== ght.id) {
          await setEstablishmentGht(tx, est.id, ght.id);
          await writeAudit(tx, auditActor(request), {
            action: "ght.add_member",
            objectKind: "ght",
            objectId: ght.id,
            objectLabel: ght.name,
            after: { member: { id: est.id, finess: est.finess, name: est.name } },
          });
        }
        return detail(tx, ght);
      });
      app.directoryCache.invalidate();
      return result;
    },
  );

  app.delete(
    "/ghts/:id/members/:establishmentId",
    {
      config: { access: ["admin"] },
      schema: {
        tags: ["directory"],
        operationId: "removeGhtMember",
        summary: "Take an establishment out of a GHT (administrators)",
        description:
          "The support establishment stays a member while it is the support: refused with 409 " +
          "`support_establishment` until another one is named.",
        params: GhtMemberParamsSchema,
        response: { 200: GhtDetailSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const result = await db.transaction(async (tx) => {
        const ght = await existing(tx, request.params.id, true);
        const est = await findEstablishment(tx, request.params.establishmentId, { all: true }, true);
        if (!est || est.ghtId !== ght.id) throw new NotFoundError("GHT member");
        if (ght.supportEstablishmentId === est.id) {
          throw new ConflictError(
            "support_establishment",
            `« ${est.name} » est l'établissement support du GHT « ${ght.name} » : désignez un autre ` +
              "établissement support avant de le retirer du GHT.",
          );
        }
        await setEstablishmentGht(tx, est.id, null);
        await writeAudit(tx, auditActor(request), {
          action: "ght.remove_member",
          objectKind: "ght",
          objectId: ght.id,
          objectLabel: ght.name,
          before: { member: { id: est.id, finess: est.finess, name: est.name } },
        });
        return detail(tx, ght);
      });
      app.directoryCache.invalidate();
      return result;
    },
  );
};

export default ghtRoutes;
