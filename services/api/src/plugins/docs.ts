import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { docsEnabled } from "@pris/config";
import fp from "fastify-plugin";

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: "3.1.0",
        info: {
          title: "PRIS API",
          description:
            "Regional single point of contact for cyber incidents in health care. Errors are RFC 9457 problem+json.",
          version: "1.0.0",
        },
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
      transform: ({ schema, url, route }) => {
        const access = route.config?.access;
        if (access === undefined) return { schema, url };
        return {
          schema: {
            ...schema,
            "x-access": access,
            ...(access === "public" ? { security: [] } : {}),
          } as typeof schema,
          url,
        };
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
