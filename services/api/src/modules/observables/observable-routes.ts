import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  IdParamsSchema,
  ObservableListSchema,
  ObservablesAddedSchema,
  ObservablesAddSchema,
  StixBundleSchema,
} from "@pris/domain";
import { ANY_PRINCIPAL, CONTRIBUTORS, requirePrincipal } from "../../auth/principal.ts";
import { problems } from "../../http.ts";
import { addObservables, exportStix, listObservables } from "./observable-service.ts";

const observableRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const { config } = app;

  app.post(
    "/incidents/:id/observables",
    {
      config: { access: CONTRIBUTORS },
      schema: {
        tags: ["observables"],
        operationId: "addObservables",
        summary: "Add observables (IOCs) to an incident, normalised; values it already has are ignored",
        description:
          "For the pole and the establishment's own incidents. 201 when something was added, 200 when every " +
          "value was already there. A value that is not of its type → 400 naming /observables/<i>/value.",
        params: IdParamsSchema,
        body: ObservablesAddSchema,
        response: {
          200: ObservablesAddedSchema,
          201: ObservablesAddedSchema,
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const result = await addObservables(
        db,
        requirePrincipal(request.principal),
        request.params.id,
        request.body,
      );
      return reply.code(result.added.length > 0 ? 201 : 200).send(result);
    },
  );

  app.get(
    "/incidents/:id/observables",
    {
      config: { access: ANY_PRINCIPAL, accessTrace: "incident" },
      schema: {
        tags: ["observables"],
        operationId: "listObservables",
        summary: "An incident's observables with their matches across the region",
        description:
          "Analysts see the other incidents sharing each observable (same value, or overlapping addresses " +
          "and CIDR ranges) with their reference and establishment, and the declared products and suppliers " +
          "it names. Everyone else sees only seenElsewhere: whether an incident of another establishment has it.",
        params: IdParamsSchema,
        response: { 200: ObservableListSchema, ...problems(400, 401, 404) },
      },
    },
    async (request) => listObservables(db, requirePrincipal(request.principal), request.params.id),
  );

  app.get(
    "/incidents/:id/observables/stix",
    {
      config: { access: ANY_PRINCIPAL, accessTrace: "incident" },
      schema: {
        tags: ["observables"],
        operationId: "exportObservablesStix",
        summary: "An incident's observables as a STIX 2.1 bundle marked with its TLP 2.0 label",
        description:
          "SCO ids are UUIDv5 of their ID-contributing properties (STIX 2.1 §2.9); the same incident gives " +
          "the same bundle. TLP:RED incidents are exported only to the pole and the declaring establishment.",
        params: IdParamsSchema,
        produces: ["application/stix+json;version=2.1"],
        response: { 200: StixBundleSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const bundle = await exportStix(
        db,
        requirePrincipal(request.principal),
        request.params.id,
        config.REGION_NAME,
      );
      return reply.type("application/stix+json;version=2.1").send(bundle);
    },
  );
};

export default observableRoutes;
