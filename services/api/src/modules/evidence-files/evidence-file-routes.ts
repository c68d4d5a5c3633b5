import multipart from "@fastify/multipart";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { clamdTarget, createEvidenceStorage } from "@pris/db";
import {
  EvidenceFileListSchema,
  EvidenceFileParamsSchema,
  EvidenceFileSchema,
  IdParamsSchema,
} from "@pris/domain";
import Type from "typebox";
import { ANY_PRINCIPAL, requirePrincipal, WORKERS } from "../../auth/principal.ts";
import { AppError, ValidationError } from "../../errors.ts";
import { problems } from "../../http.ts";
import {
  checkUpload,
  contentDisposition,
  type EvidenceDeps,
  listEvidence,
  openEvidence,
  rescanEvidence,
  tooLargeError,
  uploadEvidence,
} from "./evidence-file-service.ts";

/**
 * What busboy throws on a body that is not the multipart it announced (cut short, a broken part header)
 * is the client's doing: a 400, not a 500. Errors that already carry a client status pass as they are.
 */
function malformedUpload(err: unknown): never {
  const status = (err as { statusCode?: number }).statusCode;
  if (err instanceof AppError || (status !== undefined && status >= 400 && status < 500)) throw err;
  throw new AppError(
    400,
    "malformed_upload",
    "Requête invalide",
    "Le corps multipart est mal formé ou incomplet : renvoyez le fichier.",
  );
}

/** Files handed over on an incident: upload (streamed, chained; scanned by the worker), list, download. */
const evidenceFileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app;
  const deps: EvidenceDeps = {
    db: app.database.db,
    storage: await createEvidenceStorage(config),
    clamd: clamdTarget(config),
    clamdTimeoutMs: config.CLAMD_TIMEOUT_MS,
    maxBytes: config.EVIDENCE_MAX_BYTES,
  };
  // One more byte than allowed reaches the service, which refuses it: busboy's own cut is silent.
  await app.register(multipart, {
    limits: {
      fileSize: config.EVIDENCE_MAX_BYTES + 1,
      files: 1,
      fields: 2,
      parts: 3,
      fieldSize: 1024,
      headerPairs: 100,
    },
  });
  const tags = ["evidence files"];

  app.post(
    "/incidents/:id/evidence",
    {
      config: { access: ANY_PRINCIPAL },
      schema: {
        tags,
        operationId: "uploadEvidenceFile",
        summary:
          "Hand a file over on an incident: stored, chained in the main courante, then scanned by ClamAV",
        description:
          "multipart/form-data with one file in the field `file` (a screenshot, a log, a suspicious attachment). " +
          "The file is streamed (never held whole), its SHA-256, size and type told from its bytes are written, " +
          "with who and when, into the main courante's hash chain. It is answered `pending`: the worker then " +
          "scans it with ClamAV, and `scanStatus` (GET …/evidence) becomes clean (downloadable) or infected or " +
          "unscannable (quarantined, the pole told); a pending file is never served. " +
          "The establishment (RSSI, API key) and the pole. Files over EVIDENCE_MAX_BYTES get 413.",
        consumes: ["multipart/form-data"],
        params: IdParamsSchema,
        response: { 201: EvidenceFileSchema, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request.principal);
      await checkUpload(deps.db, principal, request.params.id);
      if (!request.isMultipart()) {
        throw new AppError(
          415,
          "unsupported_media_type",
          "Type de contenu non pris en charge",
          "Envoyez le fichier en multipart/form-data, dans le champ « file ».",
        );
      }
      const part = await request.file().catch(malformedUpload);
      if (part?.fieldname !== "file") {
        part?.file.resume();
        throw new ValidationError(
          [{ field: "/file", message: "est requis : un fichier dans le champ « file »" }],
          "La requête ne contient pas de fichier dans le champ « file ».",
        );
      }
      part.file.on("limit", () => part.file.destroy(tooLargeError(deps.maxBytes)));
      async function* chunks() {
        try {
          for await (const chunk of part!.file) yield chunk as Buffer;
        } catch (err) {
          malformedUpload(err);
        }
        if (part!.file.truncated) throw tooLargeError(deps.maxBytes);
      }
      const created = await uploadEvidence(deps, principal, request.params.id, {
        fileName: part.filename,
        declaredType: part.mimetype,
        file: chunks(),
      });
      return reply.code(201).send(created);
    },
  );

  app.get(
    "/incidents/:id/evidence",
    {
      config: { access: ANY_PRINCIPAL, accessTrace: "incident" },
      schema: {
        tags,
        operationId: "listEvidenceFiles",
        summary: "The files handed over on an incident, oldest first, with their scan verdict",
        description:
          "Every file handed over on the incident, with its SHA-256, size, detected type, uploader, time, " +
          "scan verdict and its entry in the main courante. Whoever reads the incident.",
        params: IdParamsSchema,
        response: { 200: EvidenceFileListSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => listEvidence(deps.db, requirePrincipal(request.principal), request.params.id),
  );

  app.get(
    "/incidents/:id/evidence/:fileId/content",
    {
      config: { access: ANY_PRINCIPAL, accessTrace: "incident" },
      schema: {
        tags,
        operationId: "downloadEvidenceFile",
        summary: "Download a file scanned clean (as an attachment; every download is traced)",
        description:
          "The file's bytes, as an attachment (Content-Disposition with its name, RFC 5987), typed " +
          "application/octet-stream unless a plain image, with X-Content-Type-Options: nosniff. Only a file " +
          "ClamAV found clean: a quarantined or not yet scanned one gets 409. Under TLP:AMBER+STRICT and " +
          "TLP:RED only the establishment and the pole may download (403). A file whose bytes were purged " +
          "at the end of the retention period (RETENTION_CLOSED_DAYS after the incident's closure) gets 410. " +
          "Every download is traced.",
        params: EvidenceFileParamsSchema,
        produces: ["application/octet-stream"],
        response: {
          200: Type.Unsafe<unknown>({ type: "string", format: "binary", description: "The file's bytes" }),
          ...problems(400, 401, 403, 404, 409, 410),
        },
      },
    },
    async (request, reply) => {
      const file = await openEvidence(
        deps,
        requirePrincipal(request.principal),
        request.params.id,
        request.params.fileId,
      );
      return reply
        .type(file.contentType)
        .header("content-length", String(file.sizeBytes))
        .header("content-disposition", contentDisposition(file.name))
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", "default-src 'none'; sandbox")
        .header("cache-control", "private, no-store")
        .header("repr-digest", `sha-256=:${Buffer.from(file.sha256, "hex").toString("base64")}:`)
        .send(file.body);
    },
  );

  app.post(
    "/incidents/:id/evidence/:fileId/scan",
    {
      config: { access: WORKERS },
      schema: {
        tags,
        operationId: "rescanEvidenceFile",
        summary:
          "Scan a file again: unscannable once clamd is back, or still waiting for the worker (the pole)",
        description:
          "Reads the stored file back, checks its SHA-256 against the one the main courante holds and scans " +
          "it with ClamAV again; the verdict is a new entry of the main courante. Only for a file not scanned " +
          "or unscannable: an infected file stays infected, a clean one needs nothing (409); a purged one is " +
          "gone (410). The pole.",
        params: EvidenceFileParamsSchema,
        response: { 200: EvidenceFileSchema, ...problems(400, 401, 403, 404, 409, 410) },
      },
    },
    async (request) =>
      rescanEvidence(deps, requirePrincipal(request.principal), request.params.id, request.params.fileId),
  );
};

export default evidenceFileRoutes;
