import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { docsEnabled } from "@pris/config";
import fp from "fastify-plugin";
import { openapiComponents } from "./openapi-components.ts";

/** The document's sections, in the order a reader meets them. */
export const OPENAPI_TAGS = [
  {
    name: "system",
    description: "Liveness, readiness and the public configuration the web app starts from.",
  },
  {
    name: "auth",
    description: "Signing in and out (password, single sign-on), one's sessions, password change and reset.",
  },
  {
    name: "second-factor",
    description:
      "Second factors (passkeys, authenticator application, recovery codes) and the roles requiring one.",
  },
  {
    name: "directory",
    description:
      "Territories, GHTs, establishments with their contacts, products and suppliers, users and API keys.",
  },
  {
    name: "incidents",
    description:
      "Declaring an incident, reading it within one's scope, qualifying, assigning it, its lifecycle.",
  },
  {
    name: "queue",
    description: "The analysts' queue of open incidents, most urgent first, and its live updates.",
  },
  { name: "main courante", description: "The incident's hash-chained log (main courante), and its tasks." },
  {
    name: "clocks",
    description:
      "The regulatory notifications an incident owes (national portal, CNIL, NIS2) and what was notified.",
  },
  {
    name: "observables",
    description: "Indicators of compromise on incidents, their matches across the region, their STIX export.",
  },
  {
    name: "intake",
    description:
      "The pole's mailbox as an entrance: the messages it set aside (unknown sender, failed authentication, " +
      "forged reference, too large), for analysts to attach to an establishment or discard.",
  },
  { name: "stats", description: "Incident statistics for the ARS and the pole." },
  {
    name: "exercises",
    description: "Crisis exercises: planning, participation, RETEX, its review and sharing.",
  },
  {
    name: "bulletins",
    description: "Alert bulletins to the network, their sending, and their acknowledgements.",
  },
  {
    name: "evidence",
    description: "Proof for auditors: the main courantes' signed daily checkpoints, and who read what.",
  },
  {
    name: "evidence files",
    description:
      "Files handed over on an incident: streamed, scanned by ClamAV, chained in the main courante, served only clean.",
  },
  {
    name: "registry",
    description: "Importing the FINESS registry of establishments, and mapping its categories and places.",
  },
  { name: "roster", description: "The pole's weekly on-call rota, and who is on duty now." },
  { name: "audit", description: "The administration trail: who changed what, when, before and after." },
  {
    name: "administration",
    description: "What the region's first day needs, for the administrators setting it up.",
  },
  {
    name: "invitations",
    description: "Inviting people by e-mail, one or in bulk, and the links they follow.",
  },
];

/** Shared problem answers, by status: `#/components/responses/<name>`. */
const PROBLEM_RESPONSES: Record<string, { name: string; description: string }> = {
  "400": {
    name: "BadRequest",
    description: "The request is malformed or a field is invalid (named in `errors`).",
  },
  "401": { name: "Unauthorized", description: "No valid session, token or API key." },
  "403": { name: "Forbidden", description: "The caller's role or scope does not allow this." },
  "404": { name: "NotFound", description: "No such resource, or not within the caller's scope." },
  "405": { name: "MethodNotAllowed", description: "The method is not allowed on this resource." },
  "406": { name: "NotAcceptable", description: "None of the accepted media types can be produced." },
  "409": { name: "Conflict", description: "The resource's current state does not allow this (see `code`)." },
  "410": { name: "Gone", description: "The resource existed but is no longer available." },
  "412": { name: "PreconditionFailed", description: "The resource changed since it was read (If-Match)." },
  "413": { name: "PayloadTooLarge", description: "The request body is too large." },
  "415": { name: "UnsupportedMediaType", description: "The request body's media type is not accepted." },
  "422": {
    name: "UnprocessableContent",
    description: "The request is well formed but breaks a rule (see `code`).",
  },
  "428": {
    name: "PreconditionRequired",
    description: "The request must say which version it changes (If-Match).",
  },
  "429": {
    name: "TooManyRequests",
    description: "Too many attempts: retry after the time given in Retry-After.",
  },
  "500": {
    name: "InternalServerError",
    description: "An unexpected error; the request id identifies it in the logs.",
  },
  "502": { name: "BadGateway", description: "A service the API depends on answered wrongly." },
  "503": {
    name: "ServiceUnavailable",
    description: "A service the API depends on is unavailable; retry later.",
  },
};

type Responses = Record<string, Record<string, unknown>>;

/** What a success says when its route gives no description (@fastify/swagger's own: "Default Response"). */
const SUCCESS_DESCRIPTIONS: Record<string, string> = {
  "200": "OK",
  "201": "Created",
  "202": "Accepted",
  "204": "No content",
  "302": "Found: the Location header says where to go next",
};

/**
 * Errors are sent as RFC 9457 problem+json (plugins/errors.ts): every answer whose schema is the
 * Problem schema says so, and refers to the shared response for its status.
 */
function problemResponses(paths: Record<string, Record<string, { responses?: Responses }>>) {
  const used: Record<string, unknown> = {};
  for (const methods of Object.values(paths)) {
    for (const operation of Object.values(methods)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (response.description === "Default Response" && SUCCESS_DESCRIPTIONS[status]) {
          response.description = SUCCESS_DESCRIPTIONS[status];
        }
        const content = response.content as Record<string, { schema?: { $ref?: string } }> | undefined;
        // A route that produces another media type (CSV, HTML...) still fails in problem+json.
        const schemas = Object.values(content ?? {}).map((media) => media.schema?.$ref);
        if (schemas.length === 0 || !schemas.every((ref) => ref === "#/components/schemas/Problem")) continue;
        const shared = PROBLEM_RESPONSES[status] ?? {
          name: `Problem${status}`,
          description: "An error, as problem+json.",
        };
        used[shared.name] = {
          description: shared.description,
          content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
        };
        (operation.responses as Responses)[status] = { $ref: `#/components/responses/${shared.name}` };
      }
    }
  }
  return Object.fromEntries(Object.entries(used).sort(([a], [b]) => a.localeCompare(b)));
}

export default fp(
  async (app) => {
    const components = openapiComponents();
    await app.register(swagger, {
      openapi: {
        openapi: "3.1.0",
        info: {
          title: "PRIS API",
          description:
            "Regional single point of contact for cyber incidents in health care. Errors are RFC 9457 problem+json.",
          version: "1.0.0",
          contact: { name: "PRIS", url: app.config.PUBLIC_URL },
        },
        tags: OPENAPI_TAGS,
        servers: [{ url: app.config.PUBLIC_URL }],
        components: {
          securitySchemes: {
            bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
            apiKey: {
              type: "apiKey",
              in: "header",
              name: "Authorization",
              description: "`ApiKey pris_<prefix>_<secret>`",
            },
            session: { type: "apiKey", in: "cookie", name: "pris_session" },
          },
        },
        security: [{ bearer: [] }, { apiKey: [] }, { session: [] }],
      },
      // Who may call each operation, from the route's own access rule: readers of the document (and
      // the fuzz tests) learn it from the same place the server enforces it.
      // The contract schemas a route uses are named (see openapi-components.ts).
      transform: ({ schema, url, route }) => {
        const marked = schema
          ? (components.mark(schema as Record<string, unknown>) as typeof schema)
          : schema;
        const access = route.config?.access;
        if (access === undefined) return { schema: marked, url };
        return {
          schema: {
            ...marked,
            "x-access": access,
            ...(access === "public" ? { security: [] } : {}),
          } as typeof schema,
          url,
        };
      },
      transformObject: (documentObject) => {
        const document = components.resolveMarks(
          (documentObject as { openapiObject: Record<string, unknown> }).openapiObject,
        ) as Record<string, unknown> & {
          paths: Parameters<typeof problemResponses>[0];
          components: Record<string, unknown>;
        };
        document.components.schemas = {
          ...(document.components.schemas as Record<string, unknown>),
          ...components.resolveMarks(components.schemas()),
        };
        document.components.responses = problemResponses(document.paths);
        return document;
      },
    });
    // The document stays built (app.swagger()); only its pages are served, and not in production unless
    // asked: they list every route and schema to whoever finds them.
    if (docsEnabled(app.config)) {
      await app.register(swaggerUi, {
        routePrefix: "/docs",
        // Swagger UI sets style attributes as it renders: its pages alone may use them.
        transformStaticCSP: (header) =>
          header.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
      });
    }
  },
  { name: "docs", dependencies: ["infra"] },
);
