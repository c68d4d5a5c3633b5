import helmet from "@fastify/helmet";
import { servedOverHttps } from "@pris/config";
import fp from "fastify-plugin";

/**
 * react-dsfr writes one style element, `:root { color-scheme: light; }` or `dark`, when the colour scheme
 * is set: these two texts, by their hashes, and no other inline style.
 */
const DSFR_COLOR_SCHEME_STYLES = [
  "'sha256-HzhUjVBe6Oi2wcxUM7bmy2Rp9VdLMHYDdYr9MalNmOY='",
  "'sha256-xVQ4mcypV0CvOtZpQgVcKpcoNvdUkR9BrwZBrtBbU+w='",
];

/**
 * The headers of a service that holds health data, on the API and the web app alike.
 *
 * - Content-Security-Policy: scripts from the app's own origin only (the built app has no inline
 *   script), styles too but for react-dsfr's colour-scheme element (React's `style` props go through the
 *   CSSOM, which CSP allows), DSFR's icons as data: images, no plug-ins, no framing at all, forms posting
 *   only here.
 * - Referrer-Policy no-referrer: acknowledgement links carry their token in the URL.
 * - HSTS only when browsers reach the service over https (see servedOverHttps): over plain http it would
 *   be ignored, and on a developer's localhost it would stick to every other local service.
 * - Cache-Control no-store on every API answer: nearly all of them carry tokens, incidents, names or
 *   phone numbers, and the few that do not are too small to be worth an exception. The web app's files
 *   keep their own caching (web.ts).
 */
export default fp(
  async (app) => {
    const https = servedOverHttps(app.config);
    await app.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          scriptSrcAttr: ["'none'"],
          styleSrc: ["'self'", ...DSFR_COLOR_SCHEME_STYLES],
          imgSrc: ["'self'", "data:"],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          upgradeInsecureRequests: https ? [] : null,
        },
      },
      strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      referrerPolicy: { policy: "no-referrer" },
      frameguard: { action: "deny" },
    });
    app.addHook("onSend", async (request, reply) => {
      if (request.url.startsWith("/api/")) reply.header("cache-control", "no-store");
    });
  },
  { name: "security-headers", dependencies: ["infra"] },
);
