import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import fastifyCookie from "@fastify/cookie";
import { servedOverHttps } from "@pris/config";
import {
  type AuthMethod,
  apiKeys,
  createSession,
  establishments,
  prepareSessionCheck,
  type SessionCheck,
  touchSession,
  users,
  writeAudit,
} from "@pris/db";
import type { Role } from "@pris/domain";
import { and, eq, isNull, or, sql } from "drizzle-orm";
import type { FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { apiKeyMatches, parseApiKey } from "../auth/api-keys.ts";
import type { Access, Principal } from "../auth/principal.ts";
import { createTokens, TokenRefused, type Tokens } from "../auth/tokens.ts";
import { AppError, ForbiddenError, UnauthorizedError } from "../errors.ts";

export const SESSION_COOKIE = "pris_session";
export const CSRF_HEADER = "x-csrf-token";

/** The session cookie: the session's id (its row is the truth) and the CSRF token bound to it. */
interface SessionClaims {
  typ: "session";
  sub: string;
  sid: string;
  csrf: string;
}
/** A short-lived bearer token: it carries the session's id, and dies with it. */
interface AccessClaims {
  typ: "access";
  sub: string;
  sid: string;
}

/** How a session starts: who proved what, from where. */
export interface NewSession {
  request: FastifyRequest;
  amr: AuthMethod[];
  /** The second factor is owed: only the routes marked `secondFactor: "pending"` answer until it is given. */
  secondFactorPending: boolean;
  /** Single sign-on: the provider and its session id, for its logout. */
  provider?: string;
  providerSid?: string | null;
}

/** The session a request came with (cookie or bearer token), as its row says now. */
export interface RequestSession {
  id: string;
  pending: boolean;
  amr: AuthMethod[];
  /** When a second factor was last checked in this session. */
  secondFactorAt: Date | null;
}

declare module "fastify" {
  interface FastifyInstance {
    tokens: Tokens;
    /** Opens a session (its row, then the cookie carrying its id); returns its id and CSRF token. */
    issueSession(
      reply: FastifyReply,
      userId: string,
      start: NewSession,
    ): Promise<{ csrf: string; id: string }>;
    issueAccessToken(userId: string, sessionId: string): string;
    resolveUser(
      userId: string,
      via: "cookie" | "bearer",
    ): Promise<Extract<Principal, { kind: "user" }> | null>;
    clearSession(reply: FastifyReply): void;
    /** Ended sessions are refused at once by this process (others believe a session alive ≤ 1 s). */
    forgetSessions(): void;
  }
  interface FastifyRequest {
    /** The CSRF token bound to the session cookie that authenticated this request. */
    sessionCsrf: string | null;
    /** The session of this request, when a cookie or a bearer token carried one. */
    session: RequestSession | null;
  }
  interface FastifyContextConfig {
    /** "pending": the route answers a session still waiting for its second factor (the others refuse it). */
    secondFactor?: "pending";
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A process believes a session alive this long without reading its row again. */
const BELIEVED_ALIVE_MS = 1000;
/** last_seen_at (the idle limit) is written at most this often per session and process. */
const TOUCH_EVERY_MS = 60_000;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export default fp(
  async (app) => {
    const { config } = app;
    await app.register(fastifyCookie);
    app.decorate("tokens", createTokens(config));

    const secure = servedOverHttps(config);
    const idleMs = config.SESSION_IDLE_SECONDS * 1000;

    function setSessionCookie(reply: FastifyReply, token: string, session: Pick<SessionCheck, "expiresAt">) {
      const left = Math.floor((session.expiresAt.getTime() - Date.now()) / 1000);
      reply.setCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        secure,
        sameSite: "strict",
        path: "/",
        maxAge: Math.max(1, Math.min(config.SESSION_IDLE_SECONDS, left)),
      });
    }

    app.decorate("issueSession", async (reply: FastifyReply, userId: string, start: NewSession) => {
      const session = await createSession(app.database.db, {
        userId,
        expiresAt: new Date(Date.now() + config.SESSION_MAX_SECONDS * 1000),
        ip: start.request.ip,
        userAgent: start.request.headers["user-agent"]?.slice(0, 500) ?? null,
        amr: start.amr,
        secondFactorPending: start.secondFactorPending,
        provider: start.provider ?? null,
        providerSid: start.providerSid ?? null,
      });
      const csrf = randomBytes(24).toString("base64url");
      const token = app.tokens.sign(
        { typ: "session", sub: userId, sid: session.id, csrf } satisfies SessionClaims,
        config.SESSION_MAX_SECONDS,
      );
      setSessionCookie(reply, token, session);
      return { csrf, id: session.id };
    });
    app.decorate("issueAccessToken", (userId: string, sessionId: string) =>
      app.tokens.sign(
        { typ: "access", sub: userId, sid: sessionId } satisfies AccessClaims,
        config.ACCESS_TOKEN_TTL_SECONDS,
      ),
    );
    app.decorate("clearSession", (reply: FastifyReply) => {
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
    });

    app.decorateRequest("principal", null);
    app.decorateRequest("sessionCsrf", null);
    app.decorateRequest("session", null);

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

    // Sessions: PostgreSQL is the truth, read by primary key at every request; a process believes a row
    // for at most a second, so an ended session is refused everywhere within a second (at once here).
    const checkSession = prepareSessionCheck(app.database.db);
    const believed = new Map<string, { row: SessionCheck; until: number }>();
    app.decorate("forgetSessions", () => believed.clear());

    async function sessionRow(id: string): Promise<SessionCheck | undefined> {
      const now = Date.now();
      const known = believed.get(id);
      if (known && known.until > now) return known.row;
      const row = await checkSession(id);
      if (row) {
        if (believed.size >= 10_000) believed.clear();
        believed.set(id, { row, until: now + BELIEVED_ALIVE_MS });
      }
      return row;
    }

    const alive = (row: SessionCheck, now: number) =>
      row.endedAt === null && row.expiresAt.getTime() > now && row.lastSeenAt.getTime() + idleMs > now;

    /**
     * The person behind a session token's claims, when its session is alive and they are still active;
     * sets request.session. Records the use (the idle limit) at most once a minute, off the request's path.
     */
    async function sessionPrincipal(
      request: FastifyRequest,
      claims: { sub: string; sid: string },
      via: "cookie" | "bearer",
    ): Promise<{
      principal: Extract<Principal, { kind: "user" }>;
      row: SessionCheck;
      touched: boolean;
    } | null> {
      const row = await sessionRow(claims.sid);
      const now = Date.now();
      if (!row || row.userId !== claims.sub || !alive(row, now)) return null;
      const principal = await userPrincipal(row.userId, via);
      if (!principal) return null;
      request.session = {
        id: row.id,
        pending: row.secondFactorPending,
        amr: row.amr,
        secondFactorAt: row.secondFactorAt,
      };
      const touched = now - row.lastSeenAt.getTime() > TOUCH_EVERY_MS;
      if (touched) {
        row.lastSeenAt = new Date(now);
        touchSession(app.database.db, row.id, row.lastSeenAt).catch((err: unknown) =>
          app.log.warn({ err }, "could not record a session's use"),
        );
      }
      return { principal, row, touched };
    }

    /**
     * A token's claims, or null. A genuinely signed token that lacks a claim (exp, iss, aud, typ, sub, sid) or
     * carries a wrong one is refused too, and leaves an audit entry: only this service could have signed it.
     */
    function tokenClaims<T extends { typ: string; sub: string; sid: string }>(
      request: FastifyRequest,
      token: string,
      typ: T["typ"],
    ): T | null {
      let claims: T;
      try {
        claims = app.tokens.verify<T>(token);
      } catch (err) {
        if (err instanceof TokenRefused && err.reason === "incomplete")
          auditRefusedToken(request, token, err.detail, err.claims?.sub);
        return null;
      }
      if (claims.typ !== typ) return null;
      if (typeof claims.sub !== "string" || typeof claims.sid !== "string" || !UUID.test(claims.sid)) {
        auditRefusedToken(request, token, "The sub or sid claim is missing", claims.sub);
        return null;
      }
      return claims;
    }

    /**
     * A token signed with the service's secret but incomplete: recorded against its person when it names
     * one, else against the token itself (the start of its SHA-256, so that the same token, presented
     * again, groups in the trail without the trail holding it).
     */
    function auditRefusedToken(request: FastifyRequest, token: string, detail: string, sub?: unknown) {
      request.log.warn({ detail }, "a signed token was refused");
      const userId = typeof sub === "string" && UUID.test(sub) ? sub : null;
      const target = userId
        ? { objectKind: "user" as const, objectId: userId, objectLabel: "jeton d'une personne" }
        : {
            objectKind: "token" as const,
            objectId: createHash("sha256").update(token).digest("hex").slice(0, 16),
            objectLabel: "jeton sans personne",
          };
      writeAudit(
        app.database.db,
        { userId: null, label: "système", requestId: request.id, ip: request.ip },
        { action: "auth.token_refused", ...target, after: { detail } },
      ).catch((err: unknown) => app.log.warn({ err }, "could not audit a refused token"));
    }

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

    function requireFactorGiven(request: FastifyRequest) {
      if (request.session?.pending && request.routeOptions.config.secondFactor !== "pending") {
        throw new UnauthorizedError("Give your second factor first", "second_factor_required");
      }
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
          const claims = tokenClaims<AccessClaims>(request, value, "access");
          if (!claims) throw new UnauthorizedError("Invalid or expired access token", "invalid_token");
          const found = await sessionPrincipal(request, claims, "bearer");
          if (!found)
            throw new UnauthorizedError("The session has ended or the user is disabled", "invalid_token");
          request.principal = found.principal;
          requireFactorGiven(request);
          return;
        }
        throw new UnauthorizedError("Use 'Bearer <token>' or 'ApiKey <key>'", "invalid_credentials");
      }
      const cookie = request.cookies[SESSION_COOKIE];
      if (!cookie) return;
      const claims = tokenClaims<SessionClaims>(request, cookie, "session");
      const found =
        claims && typeof claims.csrf === "string" && (await sessionPrincipal(request, claims, "cookie"));
      if (!claims || !found) {
        request.session = null;
        app.clearSession(reply);
        return;
      }
      request.principal = found.principal;
      request.sessionCsrf = claims.csrf;
      requireFactorGiven(request);
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
      // The cookie's life slides with use (the idle limit), never past the session's absolute limit.
      if (found.touched) setSessionCookie(reply, cookie, found.row);
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
