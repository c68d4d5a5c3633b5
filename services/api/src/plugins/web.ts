import { existsSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import fp from "fastify-plugin";
import { sendProblem } from "./errors.ts";

/**
 * Serves the built web app at / with a fallback to index.html for its client-side routes. The build
 * writes a brotli and a gzip copy beside each text file (services/web/vite.config.ts): a browser that
 * accepts one gets it (Content-Encoding, Vary: Accept-Encoding), any other the file itself.
 */
export default fp(
  async (app) => {
    const root = path.resolve(app.config.WEB_DIST_DIR);
    const hasWeb = existsSync(path.join(root, "index.html"));
    if (hasWeb) {
      await app.register(fastifyStatic, {
        root,
        wildcard: false,
        index: ["index.html"],
        preCompressed: true,
        // Hashed build files never change; the page that names them must always be fresh.
        setHeaders: (reply, file) => {
          reply.header(
            "cache-control",
            file.includes(`${path.sep}assets${path.sep}`)
              ? "public, max-age=31536000, immutable"
              : "no-cache",
          );
        },
      });
    } else {
      app.log.warn({ root }, "web app not built: / serves nothing (run pnpm build:web)");
    }
    app.setNotFoundHandler((request, reply) => {
      const accept = request.headers.accept ?? "";
      if (
        hasWeb &&
        request.method === "GET" &&
        !request.url.startsWith("/api/") &&
        accept.includes("text/html")
      ) {
        return reply.type("text/html").header("cache-control", "no-cache").sendFile("index.html");
      }
      return sendProblem(request, reply, 404, "not_found", "No route answers this method and path");
    });
  },
  { name: "web", dependencies: ["infra"] },
);
