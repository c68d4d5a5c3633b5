import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
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
    });
    await app.register(swaggerUi, { routePrefix: "/docs" });
  },
  { name: "docs", dependencies: ["infra"] },
);
