import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { declarationSettings, establishments } from "@pris/db";
import {
  declarationChannel,
  IdParamsSchema,
  IncidentDeclarationSchema,
  IncidentListQuerySchema,
  IncidentPageSchema,
  IncidentSchema,
  mayDeclare,
  normalizeDeclaration,
} from "@pris/domain";
import { eq, sql } from "drizzle-orm";
import Type from "typebox";
import { ANY_PRINCIPAL, principalKey, requirePrincipal } from "../../auth/principal.ts";
import { ForbiddenError, ValidationError } from "../../errors.ts";
import { problems } from "../../http.ts";
import { checkKey, requestFingerprint } from "./idempotency.ts";
import {
  declareIncident,
  getIncident,
  listIncidents,
  resolveDeclaringEstablishment,
} from "./incident-service.ts";

const incidentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const { config } = app;
  // Prepared once; through the directory cache, most declarations do not read it at all.
  const establishmentById = db
    .select()
    .from(establishments)
    .where(eq(establishments.id, sql.placeholder("id")))
    .prepare("establishment_by_id");
  const findEstablishment = (id: string) =>
    app.directoryCache.get(`establishment:${id}`, async () => (await establishmentById.execute({ id }))[0]);
  const settings = declarationSettings(config);

  app.post(
    "/incidents",
    {
      config: { access: ANY_PRINCIPAL },
      schema: {
        tags: ["incidents"],
        operationId: "declareIncident",
        summary: "Declare a cyber incident",
        description:
          "Stored in one transaction with its first log entry and the alert to the pole. Send an Idempotency-Key: " +
          "the same key and body replays the first answer (no second incident); another body → 422; " +
          "while the first is in flight → 409. Unknown fields are rejected (400) rather than silently dropped. " +
          "The channel is recorded: 'api' for an API key, 'form' for an RSSI, and for an analyst declaring on " +
          "behalf of an establishment 'phone' (default) or 'email' as the body says.",
        headers: Type.Object({
          "idempotency-key": Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
        }),
        body: IncidentDeclarationSchema,
        response: {
          201: IncidentSchema,
          ...problems(400, 401, 403, 409, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request.principal);
      if (!mayDeclare(principal.role)) throw new ForbiddenError("Your role does not declare incidents");
      const now = new Date();
      const normalized = normalizeDeclaration(request.body, now);
      const channel = declarationChannel(principal.role, request.body.channel);
      if (!normalized.ok || !channel.ok) {
        throw new ValidationError([
          ...(normalized.ok ? [] : normalized.errors),
          ...(channel.ok ? [] : [channel.error]),
        ]);
      }
      const establishment = await resolveDeclaringEstablishment(
        findEstablishment,
        principal,
        request.body.establishmentId,
      );

      const key = checkKey(request.headers["idempotency-key"]);
      const idempotency = key
        ? {
            claim: {
              principal: principalKey(principal),
              key,
              fingerprint: requestFingerprint("POST", "/api/v1/incidents", request.body),
            },
            ttlHours: config.IDEMPOTENCY_TTL_HOURS,
          }
        : undefined;
      const result = await declareIncident(
        db,
        settings,
        principal,
        establishment,
        normalized.value,
        channel.channel,
        idempotency,
        now,
      );
      if (result.replayed) {
        return reply
          .code(result.status as 201)
          .header("idempotent-replayed", "true")
          .send(result.body as never);
      }
      const { incident } = result;
      request.log.info({ incidentId: incident.id, reference: incident.reference }, "incident declared");
      return reply.code(201).header("location", `/api/v1/incidents/${incident.id}`).send(incident);
    },
  );

  app.get(
    "/incidents",
    {
      config: { access: ANY_PRINCIPAL },
      schema: {
        tags: ["incidents"],
        operationId: "listIncidents",
        summary: "Incidents in the caller's scope, newest first",
        description:
          "The incidents the caller may see, newest first, filtered by status, severity, establishment, " +
          "declaration dates or a text search, and paged with `cursor`. An RSSI or an API key sees only " +
          "its establishments' incidents.",
        querystring: IncidentListQuerySchema,
        response: { 200: IncidentPageSchema, ...problems(400, 401) },
      },
    },
    async (request) => listIncidents(db, requirePrincipal(request.principal), request.query),
  );

  app.get(
    "/incidents/:id",
    {
      config: { access: ANY_PRINCIPAL, accessTrace: "incident" },
      schema: {
        tags: ["incidents"],
        operationId: "getIncident",
        summary: "One incident with its clocks, if in the caller's scope",
        description:
          "An incident with its declaration, qualification, running clocks and the actions the caller may " +
          "take next (`allowedActions`). Outside the caller's scope it answers 404.",
        params: IdParamsSchema,
        response: { 200: IncidentSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => getIncident(db, requirePrincipal(request.principal), request.params.id),
  );
};

export default incidentRoutes;
