import multipart, { type MultipartFile } from "@fastify/multipart";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { getRegistryImport, listImportRows, listRegistryImports, unmappedOfImport } from "@pris/db";
import {
  CategoryMappingPutSchema,
  CategoryMappingSchema,
  FINESS_CATEGORY_SUGGESTIONS,
  FinessCategoryParamsSchema,
  IdParamsSchema,
  PlaceMappingParamsSchema,
  PlaceMappingPutSchema,
  PlaceMappingSchema,
  REGISTRY_CSV_COLUMNS,
  type RefusalProblem,
  RegistryApplySchema,
  RegistryImportListQuerySchema,
  RegistryImportPageSchema,
  RegistryImportRowPageSchema,
  RegistryImportRowsQuerySchema,
  RegistryImportSchema,
  RegistryUnmappedSchema,
} from "@pris/domain";
import Type from "typebox";
import { auditActor } from "../../audit.ts";
import { AppError, NotFoundError, ValidationError } from "../../errors.ts";
import { decodeCursor, encodeCursor, problems } from "../../http.ts";
import { applyImport, mappingsChangedAt, previewImport, toImportView } from "./import-service.ts";
import {
  deleteCategoryMapping,
  deletePlaceMapping,
  listCategoryMappings,
  listPlaceMappings,
  putCategoryMapping,
  putPlaceMapping,
} from "./mapping-service.ts";

const ADMIN = ["admin"] as const;

/**
 * What busboy throws on a body that is not the multipart it announced (cut short, a broken part header)
 * is the client's doing: a 400, not a 500. Errors that already carry a client status pass as they are.
 */
function malformedUpload(err: unknown): never {
  const status = (err as { statusCode?: number }).statusCode;
  if (err instanceof AppError || (status !== undefined && status >= 400 && status < 500)) throw err;
  throw new AppError(400, "malformed_upload", "Bad request", "The multipart body is malformed or cut short");
}
const tags = ["registry"];

const csvColumns = Object.entries(REGISTRY_CSV_COLUMNS)
  .map(([name, what]) => `\`${name}\` (${what})`)
  .join(", ");

/**
 * The national registry's import: upload (streamed, multipart), preview staged row by row, apply in one
 * transaction; and the two mappings it reads (FINESS category → the service's, commune or département →
 * territory). Administrators only.
 */
const registryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const maxBytes = app.config.REGISTRY_IMPORT_MAX_BYTES;
  // Multipart, streamed: the browser's FormData sends the file with its name, and busboy hands it over
  // chunk by chunk (never buffered whole) with the size limit enforced as it flows.
  await app.register(multipart, {
    limits: { fileSize: maxBytes, files: 1, fields: 4, parts: 5, fieldSize: 1024, headerPairs: 100 },
  });

  app.post(
    "/registry/imports",
    {
      config: { access: ADMIN },
      schema: {
        tags,
        operationId: "previewRegistryImport",
        summary: "Upload a registry file and preview what applying it would do (administrators)",
        description:
          "multipart/form-data with one file in the field `file`: the FINESS public extract (semicolon-separated, " +
          "Windows-1252, header record then `structureet` and `geolocalisation` records), or a UTF-8 CSV whose " +
          `first line names its columns: ${csvColumns}. The format is told from the content. Nothing is written ` +
          "to the directory; the preview supersedes older ones. Files over REGISTRY_IMPORT_MAX_BYTES get 413.",
        consumes: ["multipart/form-data"],
        response: { 201: RegistryImportSchema, ...problems(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const actor = auditActor(request);
      if (!request.isMultipart()) {
        throw new AppError(
          415,
          "unsupported_media_type",
          "Unsupported media type",
          "Send the file as multipart/form-data, in the field 'file'",
        );
      }
      const part = await request.file().catch(malformedUpload);
      if (part?.fieldname !== "file") {
        part?.file.resume();
        throw new ValidationError([{ field: "/file", message: "is required (a file in the field 'file')" }]);
      }
      const tooLarge = () =>
        new AppError(
          413,
          "payload_too_large",
          "Payload too large",
          `The file is larger than ${maxBytes} bytes (REGISTRY_IMPORT_MAX_BYTES)`,
        );
      // busboy stops the file at the limit and marks it truncated: stop reading at once, and never
      // stage a preview of a file cut short, even when the limit was met before this listener.
      part.file.on("limit", () => part.file.destroy(tooLarge()));
      async function* whole(file: MultipartFile["file"]) {
        try {
          for await (const chunk of file) yield chunk as Buffer;
        } catch (err) {
          malformedUpload(err);
        }
        if (file.truncated) throw tooLarge();
      }
      const fileName = (part.filename || "fichier").replace(/[\p{Cc}]/gu, "").slice(0, 200) || "fichier";
      const created = await previewImport(db, actor, { fileName, stream: whole(part.file) });
      return reply.code(201).send(toImportView(created, await mappingsChangedAt(db)));
    },
  );

  app.get(
    "/registry/imports",
    {
      config: { access: ADMIN },
      schema: {
        tags,
        operationId: "listRegistryImports",
        summary: "The registry imports, newest first (administrators)",
        description:
          "The imports of the FINESS registry file, newest first, with their status and counts. " +
          "Administrators only.",
        querystring: RegistryImportListQuerySchema,
        response: { 200: RegistryImportPageSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 20;
      const after = decodeCursor(request.query.cursor, 2);
      const afterDate = after ? new Date(after[0]!) : undefined;
      if (afterDate && Number.isNaN(afterDate.getTime())) {
        throw new ValidationError([
          { field: "/cursor", message: "is not a cursor this API gave", in: "query" },
        ]);
      }
      const rows = await listRegistryImports(
        db,
        limit + 1,
        afterDate ? { createdAt: afterDate, id: after![1]! } : undefined,
      );
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      const at = await mappingsChangedAt(db);
      return {
        items: page.map((r) => toImportView(r, at)),
        nextCursor:
          rows.length > limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
      };
    },
  );

  async function findImport(id: string) {
    const row = await getRegistryImport(db, id);
    if (!row) throw new NotFoundError("Import");
    return row;
  }

  app.get(
    "/registry/imports/:id",
    {
      config: { access: ADMIN },
      schema: {
        tags,
        operationId: "getRegistryImport",
        summary: "One registry import and its counts (administrators)",
        description:
          "One import of the FINESS registry file: its file, status, who made and applied it, and how many " +
          "lines are new, changed, unchanged, refused or not followed. Administrators only.",
        params: IdParamsSchema,
        response: { 200: RegistryImportSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => toImportView(await findImport(request.params.id), await mappingsChangedAt(db)),
  );

  app.get(
    "/registry/imports/:id/rows",
    {
      config: { access: ADMIN },
      schema: {
        tags,
        operationId: "listRegistryImportRows",
        summary: "A preview's rows in file order, filtered by outcome (administrators)",
        description:
          "A previewed import's lines in file order, filtered by outcome (new, changed, unchanged, refused…) " +
          "and paged with `cursor`. Administrators only.",
        params: IdParamsSchema,
        querystring: RegistryImportRowsQuerySchema,
        response: { 200: RegistryImportRowPageSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await findImport(request.params.id);
      const limit = request.query.limit ?? 20;
      const after = decodeCursor(request.query.cursor, 1);
      const afterSeq = after ? Number(after[0]) : undefined;
      if (afterSeq !== undefined && !Number.isSafeInteger(afterSeq)) {
        throw new ValidationError([
          { field: "/cursor", message: "is not a cursor this API gave", in: "query" },
        ]);
      }
      const { items, total } = await listImportRows(db, request.params.id, {
        ...(request.query.outcome ? { outcome: request.query.outcome } : {}),
        limit: limit + 1,
        ...(afterSeq !== undefined ? { afterSeq } : {}),
      });
      const page = items.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((r) => {
          const data = (r.data ?? null) as Record<string, unknown> | null;
          return {
            seq: r.seq,
            line: r.line,
            outcome: r.outcome,
            finess: r.finess,
            establishmentId: r.establishmentId,
            name: typeof data?.name === "string" ? data.name : null,
            data,
            changes: r.changes ?? null,
            reason: r.reason,
            problem: r.outcome === "refused" ? ((data?.problem as RefusalProblem | undefined) ?? null) : null,
          };
        }),
        total,
        nextCursor: items.length > limit && last ? encodeCursor([String(last.seq)]) : null,
      };
    },
  );

  app.get(
    "/registry/imports/:id/unmapped",
    {
      config: { access: ADMIN },
      schema: {
        tags,
        operationId: "listRegistryImportUnmapped",
        summary:
          "FINESS categories and communes the preview's refused lines need a mapping for (administrators)",
        description:
          "The FINESS categories and communes that a previewed import's refused lines need a mapping for: " +
          "map them, and the next preview accepts those lines. Administrators only.",
        params: IdParamsSchema,
        response: { 200: RegistryUnmappedSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await findImport(request.params.id);
      const found = await unmappedOfImport(db, request.params.id);
      return {
        categories: found.categories.map((c) => ({
          code: c.code,
          label: c.label ?? "",
          lines: c.lines,
          suggestion: FINESS_CATEGORY_SUGGESTIONS[c.code] ?? null,
        })),
        places: found.places.map((c) => ({
          kind: c.kind,
          code: c.code,
          postalLine: c.postal_line,
          departement: c.departement ?? c.code,
          lines: c.lines,
        })),
      };
    },
  );

  app.post(
    "/registry/imports/:id/apply",
    {
      config: { access: ADMIN },
      schema: {
        tags,
        operationId: "applyRegistryImport",
        summary: "Apply the latest preview in one transaction (administrators)",
        description:
          "Creates the new establishments, updates the changed ones (the registry's fields only, never contacts " +
          "or products) and deactivates those missing from the file except the ones in `keep`. Never deletes. " +
          "409 when the preview is not the latest, is already applied, or the directory changed since it was made.",
        params: IdParamsSchema,
        body: RegistryApplySchema,
        response: { 200: RegistryImportSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const applied = await applyImport(db, auditActor(request), request.params.id, request.body.keep ?? []);
      app.directoryCache.invalidate();
      return toImportView(applied, await mappingsChangedAt(db));
    },
  );

  app.get(
    "/registry/mappings/categories",
    {
      config: { access: ADMIN },
      schema: {
        tags,
        operationId: "listRegistryCategoryMappings",
        summary: "How FINESS categories map to the service's (administrators)",
        description:
          "How each FINESS category maps to one of the service's establishment categories, or is not " +
          "followed. Administrators only.",
        response: { 200: Type.Array(CategoryMappingSchema), ...problems(401, 403) },
      },
    },
    async () => listCategoryMappings(db),
  );

  app.put(
    "/registry/mappings/categories/:code",
    {
      config: { access: ADMIN },
      schema: {
        tags,
        operationId: "putRegistryCategoryMapping",
        summary: "Map a FINESS category to one of the service's, or mark it not followed (null)",
        description:
          "Maps a FINESS category to one of the service's categories, or marks it as not followed (null): " +
          "its lines are then counted as not followed rather than imported. Remembered for every later " +
          "import. Administrators only.",
        params: FinessCategoryParamsSchema,
        body: CategoryMappingPutSchema,
        response: { 200: CategoryMappingSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => putCategoryMapping(db, auditActor(request), request.params.code, request.body),
  );

  app.delete(
    "/registry/mappings/categories/:code",
    {
      config: { access: ADMIN },
      schema: {
        tags,
        operationId: "deleteRegistryCategoryMapping",
        summary: "Forget a FINESS category's mapping: its lines are refused until mapped again",
        description:
          "Forgets a FINESS category's mapping: the registry lines of that category are refused until it " +
          "is mapped again. Administrators only.",
        params: FinessCategoryParamsSchema,
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteCategoryMapping(db, auditActor(request), request.params.code);
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/registry/mappings/places",
    {
      config: { access: ADMIN },
      schema: {
        tags,
        operationId: "listRegistryPlaceMappings",
        summary: "Which territory each département or commune of the region belongs to (administrators)",
        description:
          "Which territory each département or commune of the region belongs to, used to place imported " +
          "establishments. Administrators only.",
        response: { 200: Type.Array(PlaceMappingSchema), ...problems(401, 403) },
      },
    },
    async () => listPlaceMappings(db),
  );

  app.put(
    "/registry/mappings/places/:kind/:code",
    {
      config: { access: ADMIN },
      schema: {
        tags,
        operationId: "putRegistryPlaceMapping",
        summary: "Map a département or a commune (INSEE code) to a territory; the commune wins",
        description:
          "Maps a département or a commune (INSEE code) to a territory; a commune's mapping wins over its " +
          "département's. Administrators only.",
        params: PlaceMappingParamsSchema,
        body: PlaceMappingPutSchema,
        response: { 200: PlaceMappingSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) =>
      putPlaceMapping(
        db,
        auditActor(request),
        request.params.kind,
        request.params.code,
        request.body.territory,
      ),
  );

  app.delete(
    "/registry/mappings/places/:kind/:code",
    {
      config: { access: ADMIN },
      schema: {
        tags,
        operationId: "deleteRegistryPlaceMapping",
        summary: "Forget a département's or a commune's mapping",
        description:
          "Forgets a département's or a commune's mapping; establishments already placed keep their " +
          "territory. Administrators only.",
        params: PlaceMappingParamsSchema,
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deletePlaceMapping(db, auditActor(request), request.params.kind, request.params.code);
      return reply.code(204).send(null);
    },
  );
};

export default registryRoutes;
