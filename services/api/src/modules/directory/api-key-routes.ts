import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  type ApiKeyRow,
  findEstablishment,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  writeAudit,
} from "@pris/db";
import {
  ApiKeyCreatedSchema,
  ApiKeyCreateSchema,
  ApiKeySchema,
  IdParamsSchema,
  UuidSchema,
} from "@pris/domain";
import Type from "typebox";
import { auditActor } from "../../audit.ts";
import { generateApiKey } from "../../auth/api-keys.ts";
import { type Access, requireUser } from "../../auth/principal.ts";
import { NotFoundError } from "../../errors.ts";
import { problems } from "../../http.ts";
import { scopeOf } from "./establishment-routes.ts";

/** Administrators, and an RSSI for their own establishments. */
const KEY_MANAGERS: Access = ["admin", "rssi"];

function toApiKeyView(row: ApiKeyRow) {
  return {
    id: row.id,
    establishmentId: row.establishmentId,
    name: row.name,
    prefix: `pris_${row.prefix}`,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** API keys of an establishment: managed by administrators and by the establishment's own RSSI. */
const apiKeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;

  async function manageable(principalArg: Parameters<typeof requireUser>[0], establishmentId: string) {
    const principal = requireUser(principalArg);
    const scope = principal.role === "admin" ? { all: true as const } : scopeOf(principal);
    if (!(await findEstablishment(db, establishmentId, scope))) throw new NotFoundError("Establishment");
    return principal;
  }

  app.get(
    "/establishments/:id/api-keys",
    {
      config: { access: KEY_MANAGERS },
      schema: {
        tags: ["directory"],
        operationId: "listApiKeys",
        summary: "An establishment's API keys (never the secrets)",
        description:
          "The API keys of an establishment, with their prefix, name, creation and last use; the secrets " +
          "are never shown again after creation. An RSSI sees only the establishments of their scope (404 " +
          "otherwise).",
        params: IdParamsSchema,
        response: { 200: Type.Array(ApiKeySchema), ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await manageable(request.principal, request.params.id);
      return (await listApiKeys(db, request.params.id)).map(toApiKeyView);
    },
  );

  app.post(
    "/establishments/:id/api-keys",
    {
      config: { access: KEY_MANAGERS },
      schema: {
        tags: ["directory"],
        operationId: "createApiKey",
        summary: "Create an API key for an establishment; the key is shown once",
        description:
          "Creates a key that lets a machine declare and read the establishment's incidents. The full key " +
          "(`pris_<prefix>_<secret>`) is in this answer only; send it as `Authorization: ApiKey ...`.",
        params: IdParamsSchema,
        body: ApiKeyCreateSchema,
        response: { 201: ApiKeyCreatedSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const principal = await manageable(request.principal, request.params.id);
      const { key, prefix, secretHash } = generateApiKey();
      const row = await db.transaction(async (tx) => {
        const created = await insertApiKey(tx, {
          establishmentId: request.params.id,
          name: request.body.name,
          prefix,
          secretHash,
          createdByUserId: principal.id,
        });
        await writeAudit(tx, auditActor(request), {
          action: "apikey.create",
          objectKind: "apikey",
          objectId: created.id,
          objectLabel: `${created.name} (pris_${created.prefix})`,
          after: { establishmentId: created.establishmentId, name: created.name, prefix: `pris_${prefix}` },
        });
        return created;
      });
      return reply.code(201).send({ ...toApiKeyView(row), key });
    },
  );

  app.delete(
    "/establishments/:id/api-keys/:keyId",
    {
      config: { access: KEY_MANAGERS },
      schema: {
        tags: ["directory"],
        operationId: "revokeApiKey",
        summary: "Revoke an API key at once",
        description:
          "Revokes an API key: requests made with it are refused from the next one on. The key stays " +
          "listed, marked revoked.",
        params: Type.Object({ id: UuidSchema, keyId: UuidSchema }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await manageable(request.principal, request.params.id);
      await db.transaction(async (tx) => {
        const row = await revokeApiKey(tx, request.params.id, request.params.keyId);
        if (!row) throw new NotFoundError("API key");
        await writeAudit(tx, auditActor(request), {
          action: "apikey.revoke",
          objectKind: "apikey",
          objectId: row.id,
          objectLabel: `${row.name} (pris_${row.prefix})`,
          before: { revokedAt: null },
          after: { revokedAt: row.revokedAt },
        });
      });
      // Other processes hear of it through PostgreSQL; this one forgets at once.
      app.directoryCache.invalidate();
      return reply.code(204).send(null);
    },
  );
};

export default apiKeyRoutes;
