import { randomBytes, timingSafeEqual } from "node:crypto";
import fastifyCookie from "@fastify/cookie";
import fastifyJwt from "@fastify/jwt";
import { servedOverHttps } from "@pris/config";
import { type AuthMethod, apiKeys, establishments, users } from "@pris/db";
import type { Role } from "@pris/domain";
import { and, eq, isNull, or, sql } from "drizzle-orm";
import type { FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { apiKeyMatches, parseApiKey } from "../auth/api-keys.ts";
import type { Access, Principal } from "../auth/principal.ts";
import { AppError, ForbiddenError, UnauthorizedError } from "../errors.ts";

export const SESSION_COOKIE = "pris_session";
export const CSRF_HEADER = "x-csrf-token";

interface SessionClaims {
  sub: string;
  typ: "session";
  csrf: string;
  /** When the session started (seconds): it never outlives SESSION_MAX_SECONDS. */
  sst: number;
  /** Second-factor state (see SessionFactorState); absent on sessions that never had one. */
  sfp?: boolean;
  amr?: AuthMethod[];
  sfa?: number;
  iat: number;
  exp: number;
}
interface AccessClaims {
  sub: string;
  typ: "access";
  iat: number;
  exp: number;
}

declare module "fastify" {
  interface FastifyInstance {
    issueSession(
      reply: FastifyReply,
      userId: string,
      started?: number,
      csrf?: string,
      factors?: SessionFactorState,
    ): { csrf: string };
    issueAccessToken(userId: string): string;
    resolveUser(
      userId: string,
      via: "cookie" | "bearer",
    ): Promise<Extract<Principal, { kind: "user" }> | null>;
    clearSession(reply: FastifyReply): void;
  }
  interface FastifyRequest {
    /** The CSRF token bound to the session cookie that authenticated this request. */
    sessionCsrf: string | null;
    /** The cookie session's second-factor state, when a session cookie authenticated this request. */
    sessionFactors: SessionFactorState | null;
  }
  interface FastifyContextConfig {
    /** "pending": the route answers a session still waiting for its second factor (the others refuse it). */
    secondFactor?: "pending";
  }
}

/**
 * What a session proved: `pending` until the second factor is given, the methods (amr), and when a
 * second factor was last checked (seconds), for the changes that need a recent one.
 */
export interface SessionFactorState {
  pending: boolean;
  amr: AuthMethod[];
  checkedAt?: number;
  /** When the session started (seconds), kept when the session is re-issued with new factors. */
  started?: number;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** A session cookie is re-issued at most this often, sliding its idle expiry. */
const RENEW_AFTER_SECONDS = 60;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export default fp(
  async (app) => {
    const { config } = app;
    await app.register(fastifyCookie);
    await app.register(fastifyJwt, {
      secret: config.JWT_SECRET,
      sign: { algorithm: "HS256", iss: config.JWT_ISSUER, aud: config.JWT_AUDIENCE },
      verify: { algorithms: ["HS256"], allowedIss: config.JWT_ISSUER, allowedAud: config.JWT_AUDIENCE },
    });

    const secure = servedOverHttps(config);
    app.decorate(
      "issueSession",
      (
        reply: FastifyReply,
        userId: string,
        started?: number,
        csrf?: string,
        factors?: SessionFactorState,
      ) => {
        const now = Math.floor(Date.now() / 1000);
        const sst = started ?? now;
        const token = csrf ?? randomBytes(24).toString("base64url");
        const ttl = Math.max(
          1,
          Math.min(config.SESSION_IDLE_SECONDS, sst + config.SESSION_MAX_SECONDS - now),
        );
        const second = factors ? { sfp: factors.pending, amr: factors.amr, sfa: factors.checkedAt } : {};
        const jwt = app.jwt.sign(
          { sub: userId, typ: "session", csrf: token, sst, ...second },
          { expiresIn: ttl },
        );
        reply.setCookie(SESSION_COOKIE, jwt, {
          httpOnly: true,
          secure,
          sameSite: "strict",
          path: "/",
          maxAge: ttl,
        });
        return { csrf: token };
      },
    );
    app.decorate("issueAccessToken", (userId: string) =>
      app.jwt.sign({ sub: userId, typ: "access" }, { expiresIn: config.ACCESS_TOKEN_TTL_SECONDS }),
    );
    app.decorate("clearSession", (reply: FastifyReply) => {
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
    });

    app.decorateRequest("principal", null);
    app.decorateRequest("sessionCsrf", null);
    app.decorateRequest("sessionFactors", null);

    /** Who a user is now: read at every request (through the directory cache), never trusted from a token. */
    async function loadUser(userId: string) {
      const { db } = app.database;
      const [user] = await db
        .select({
          id: users.id,
          role: users.role,
          displayName: users.displayName,
          establishmentId: users.establishmentId,
          ghtId: users.ghtId,
        })
        .from(users)
        .where(and(eq(users.id, userId), eq(users.active, true)));
      if (!user) return undefined;
      let establishmentIds: string[] = [];
      if (user.role === "rssi") {
        const rows = await db
          .select({ id: establishments.id })
          .from(establishments)
          .where(
            or(
              user.establishmentId ? eq(establishments.id, user.establishmentId) : sql`false`,
              user.ghtId ? eq(establishments.ghtId, user.ghtId) : sql`false`,
            ),
          );
        establishmentIds = rows.map((r) => r.id);
      }
      return { ...user, role: user.role as Role, establishmentIds };
    }

    async function userPrincipal(
      userId: string,
      via: "cookie" | "bearer",
    ): Promise<Extract<Principal, { kind: "user" }> | null> {
      const user = await app.directoryCache.get(`user:${userId}`, () => loadUser(userId));
      if (!user) return null;
      return {
        kind: "user",
        id: user.id,
        role: user.role,
        displayName: user.displayName,
        ghtId: user.ghtId,
        establishmentIds: user.establishmentIds,
        via,
      };
    }

    app.decorate("resolveUser", userPrincipal);

    /** When this process last recorded each key's use. */
    const lastUseRecorded = new Map<string, number>();

    // Prepared once: every machine declaration starts with this lookup.
    const apiKeyByPrefix = app.database.db
      .select({
        id: apiKeys.id,
        name: apiKeys.name,
        establishmentId: apiKeys.establishmentId,
        secretHash: apiKeys.secretHash,
      })
      .from(apiKeys)
      .innerJoin(establishments, eq(establishments.id, apiKeys.establishmentId))
      .where(
        and(
          eq(apiKeys.prefix, sql.placeholder("prefix")),
          isNull(apiKeys.revokedAt),
          eq(establishments.active, true),
        ),
      )
      .prepare("api_key_by_prefix");

    async function apiKeyPrincipal(key: string): Promise<Principal | null> {
      const parsed = parseApiKey(key);
      if (!parsed) return null;
      const { db } = app.database;
      const row = await app.directoryCache.get(`api-key:${parsed.prefix}`, async () => {
        const [found] = await apiKeyByPrefix.execute({ prefix: parsed.prefix });
        return found;
      });
      if (!row || !apiKeyMatches(key, row.secretHash)) return null;
      const now = Date.now();
      if (now - (lastUseRecorded.get(row.id) ?? 0) > 60_000) {
        // At most once a minute per key and process, off the request's path: every write to the key's
        // row also queues behind the declarations holding it (their foreign keys lock it).
        lastUseRecorded.set(row.id, now);
        db.update(apiKeys)
          .set({ lastUsedAt: new Date(now) })
          .where(eq(apiKeys.id, row.id))
          .catch((err: unknown) => app.log.warn({ err }, "could not record API key use"));
      }
      return {
        kind: "api_key",
        id: row.id,
        name: row.name,
        role: "api_key",
        establishmentIds: [row.establishmentId],
      };
    }

    async function authenticate(request: FastifyRequest, reply: FastifyReply) {
      const header = request.headers.authorization;
      if (header) {
        const [scheme, value] = header.split(/\s+/, 2);
        if (scheme?.toLowerCase() === "apikey" && value) {
          request.principal = await apiKeyPrincipal(value);
          if (!request.principal)
            throw new UnauthorizedError("Invalid or revoked API key", "invalid_credentials");
          return;
        }
        if (scheme?.toLowerCase() === "bearer" && value) {
          let claims: AccessClaims;
          try {
            claims = app.jwt.verify<AccessClaims>(value);
          } catch {
            throw new UnauthorizedError("Invalid or expired access token", "invalid_token");
          }
          if (claims.typ !== "access") throw new UnauthorizedError("Not an access token", "invalid_token");
          request.principal = await userPrincipal(claims.sub, "bearer");
          if (!request.principal) throw new UnauthorizedError("Unknown or disabled user", "invalid_token");
          return;
        }
        throw new UnauthorizedError("Use 'Bearer <token>' or 'ApiKey <key>'", "invalid_credentials");
      }
      const cookie = request.cookies[SESSION_COOKIE];
      if (!cookie) return;
      let claims: SessionClaims;
      try {
        claims = app.jwt.verify<SessionClaims>(cookie);
      } catch {
        app.clearSession(reply);
        return;
      }
      if (claims.typ !== "session") return;
      request.principal = await userPrincipal(claims.sub, "cookie");
      if (!request.principal) {
        app.clearSession(reply);
        return;
      }
      request.sessionCsrf = claims.csrf;
      const factors: SessionFactorState = {
        pending: claims.sfp === true,
        amr: claims.amr ?? ["pwd"],
        checkedAt: claims.sfa,
        started: claims.sst,
      };
      request.sessionFactors = factors;
      if (factors.pending && request.routeOptions.config.secondFactor !== "pending") {
        throw new UnauthorizedError("Give your second factor first", "second_factor_required");
      }
      if (!SAFE_METHODS.has(request.method)) {
        const sent = request.headers[CSRF_HEADER];
        if (typeof sent !== "string" || !sameSecret(sent, claims.csrf)) {
          throw new AppError(
            403,
            "csrf_failed",
            "Forbidden",
            `Send the session's CSRF token in the ${CSRF_HEADER} header`,
          );
        }
      }
      if (Date.now() / 1000 - claims.iat > RENEW_AFTER_SECONDS)
        app.issueSession(reply, claims.sub, claims.sst, claims.csrf, factors);
    }

    // Every API route says who may call it: a route added without saying fails at start, not in use.
    app.addHook("onRoute", (route) => {
      if (route.url.startsWith("/api/") && route.config?.access === undefined) {
        throw new Error(`Route ${route.method} ${route.url} declares no config.access`);
      }
    });

    // Authentication and the route's roles come first, before the body is parsed or validated: a role
    // that may not call a route learns nothing of its schema.
    app.addHook("onRequest", async (request, reply) => {
      const access: Access | undefined = request.routeOptions.config.access;
      // Routes outside the API (the web app, the docs, probes) and public API routes read no
      // credentials: a stale cookie sent along must not stand in the way of signing in.
      if (access === undefined || access === "public") return;
      await authenticate(request, reply);
      if (access === "optional") return;
      const principal = request.principal;
      if (!principal) throw new UnauthorizedError();
      if (!access.includes(principal.role)) throw new ForbiddenError();
    });
  },
  { name: "auth", dependencies: ["infra"] },
);
