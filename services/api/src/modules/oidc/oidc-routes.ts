import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { servedOverHttps } from "@pris/config";
import { endProviderSessions, findIdentityAccount } from "@pris/db";
import type { Role } from "@pris/domain";
import {
  BackchannelLogoutBodySchema,
  SsoCallbackQuerySchema,
  SsoProviderParamsSchema,
  SsoStartQuerySchema,
} from "@pris/domain";
import type { FastifyReply, FastifyRequest } from "fastify";
import { jwtVerify } from "jose";
import type { Configuration } from "openid-client";
import Type from "typebox";
import { AppError, NotFoundError } from "../../errors.ts";
import { problems } from "../../http.ts";
import { secondFactorStep } from "../second-factor/second-factor-service.ts";
import { matchAccount, recordRefusal, type SsoClaims } from "./sso-accounts.ts";
import { type SsoRefusal, sendSsoRefusal } from "./sso-page.ts";
import { openid, type ProviderHandle, ssoProviders } from "./sso-providers.ts";

/** The sign-in in flight, bound to this browser: state, nonce and PKCE verifier, signed, for 10 minutes. */
const FLOW_COOKIE = "pris_sso";
const FLOW_SECONDS = 600;
const FLOW_PATH = "/api/v1/auth/oidc/";
interface FlowClaims {
  typ: "sso_flow";
  prv: string;
  st: string;
  no: string;
  cv: string;
  ret: string;
}

/** What our logout needs to end the provider's session too (RP-initiated logout): the provider and ID token. */
const LOGOUT_COOKIE = "pris_sso_logout";
interface LogoutClaims {
  typ: "sso_logout";
  prv: string;
  idt: string;
}

const BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout";

/** Where to go after signing in: only a path of this app, never another site. */
function safeReturnPath(value: string | undefined): string {
  return value?.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") ? value : "/";
}

const flowRefusal = (code: string, message: string): SsoRefusal => ({ status: 400, code, message });

/**
 * Single sign-on with OpenID Connect (authorization code, PKCE, state and nonce) for the providers of
 * OIDC_PROVIDERS, their back-channel logout, and the refusals as French pages with an audit entry.
 */
const oidcRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const providers = ssoProviders(app.config);
  const secure = servedOverHttps(app.config);

  // Logout tokens come form-encoded (Back-Channel Logout 1.0 §2.5); nothing else here takes a body.
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string", bodyLimit: 16_384 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  function providerOf(name: string): ProviderHandle {
    const handle = providers.get(name);
    if (!handle) throw new NotFoundError("Identity provider");
    return handle;
  }

  const actorOf = (request: FastifyRequest) => ({ requestId: String(request.id), ip: request.ip });

  async function refuse(
    request: FastifyRequest,
    reply: FastifyReply,
    handle: ProviderHandle,
    refusal: SsoRefusal,
    who: { userId: string | null; email: string | null; subject: string | null } = {
      userId: null,
      email: null,
      subject: null,
    },
  ) {
    await recordRefusal(app.database.db, handle.settings, refusal, who, actorOf(request));
    app.metrics.signInFailures.inc({ step: "sso" });
    request.log.info({ provider: handle.settings.name, code: refusal.code }, "single sign-on refused");
    return sendSsoRefusal(request, reply, refusal);
  }

  const unavailable = (handle: ProviderHandle): SsoRefusal => ({
    status: 503,
    code: "provider_unavailable",
    message: `${handle.settings.label} ne répond pas pour le moment. Réessayez dans quelques minutes, ou connectez-vous avec votre mot de passe.`,
  });

  app.get(
    "/auth/oidc/:provider/start",
    {
      config: { access: "public" },
      schema: {
        tags: ["auth"],
        operationId: "startSso",
        summary: "Sign in with an identity provider: redirects to it",
        description:
          "Starts the authorization code flow (PKCE S256, state, nonce); the flow is bound to the browser by a " +
          "short-lived signed HttpOnly cookie, and the provider sends the person back to the callback.",
        security: [],
        params: SsoProviderParamsSchema,
        querystring: SsoStartQuerySchema,
        response: { 302: Type.Null(), ...problems(400, 404, 503) },
      },
    },
    async (request, reply) => {
      const handle = providerOf(request.params.provider);
      let configuration: Configuration;
      try {
        configuration = await handle.configuration();
      } catch (err) {
        request.log.warn({ err, provider: handle.settings.name }, "identity provider discovery failed");
        return sendSsoRefusal(request, reply, unavailable(handle));
      }
      const client = await openid();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const parameters: Record<string, string> = {
        redirect_uri: handle.redirectUri,
        scope: handle.settings.scopes,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
        state,
        nonce,
      };
      if (handle.settings.acrValues) parameters.acr_values = handle.settings.acrValues;
      const flow: Omit<FlowClaims, "typ"> = {
        prv: handle.settings.name,
        st: state,
        no: nonce,
        cv: verifier,
        ret: safeReturnPath(request.query.retour),
      };
      const token = app.tokens.sign({ typ: "sso_flow", ...flow }, FLOW_SECONDS);
      // Lax, not Strict: the provider's redirect back is a cross-site navigation that must carry it.
      reply.setCookie(FLOW_COOKIE, token, {
        httpOnly: true,
        secure,
        sameSite: "lax",
        path: FLOW_PATH,
        maxAge: FLOW_SECONDS,
      });
      return reply.redirect(client.buildAuthorizationUrl(configuration, parameters).href, 302);
    },
  );

  app.get(
    "/auth/oidc/:provider/callback",
    {
      config: { access: "public" },
      schema: {
        tags: ["auth"],
        operationId: "ssoCallback",
        summary: "The identity provider's answer: signs the person in, or refuses with a French page",
        description:
          "Refused (French page for a browser, problem+json otherwise, audit entry auth.sso_refused): no flow " +
          "cookie, an expired or replayed callback, a mismatched state, an unverified e-mail, an unknown person, " +
          "a role this provider may not sign in. An account is linked on first use by its verified e-mail, then " +
          "found by the provider's subject; no account is ever created here.",
        security: [],
        params: SsoProviderParamsSchema,
        querystring: SsoCallbackQuerySchema,
        response: { 302: Type.Null(), ...problems(400, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const handle = providerOf(request.params.provider);
      const { settings } = handle;
      // Whatever happens next, this flow is spent: a second use of the same callback finds no cookie.
      const cookie = request.cookies[FLOW_COOKIE];
      reply.clearCookie(FLOW_COOKIE, { path: FLOW_PATH });
      let flow: FlowClaims | null = null;
      if (cookie) {
        try {
          const claims = app.tokens.verify<FlowClaims>(cookie);
          if (claims.typ === "sso_flow" && claims.prv === settings.name) flow = claims;
        } catch {
          flow = null;
        }
      }
      if (!flow)
        return refuse(
          request,
          reply,
          handle,
          flowRefusal(
            "sso_flow_missing",
            `Cette réponse de ${settings.label} ne correspond à aucune connexion en cours dans ce navigateur : elle a expiré (10 minutes), a déjà servi, ou n'a pas été demandée d'ici. Recommencez depuis la page de connexion.`,
          ),
        );
      if (request.query.state !== flow.st)
        return refuse(
          request,
          reply,
          handle,
          flowRefusal(
            "sso_state_mismatch",
            `La réponse de ${settings.label} ne correspond pas à la connexion commencée dans ce navigateur. Recommencez depuis la page de connexion.`,
          ),
        );
      if (request.query.error)
        return refuse(
          request,
          reply,
          handle,
          flowRefusal(
            "sso_provider_error",
            request.query.error === "access_denied"
              ? `La connexion avec ${settings.label} a été annulée. Vous pouvez recommencer, ou vous connecter avec votre mot de passe.`
              : `${settings.label} n'a pas pu vous authentifier (${request.query.error}). Recommencez, ou connectez-vous avec votre mot de passe.`,
          ),
        );

      let configuration: Configuration;
      try {
        configuration = await handle.configuration();
      } catch (err) {
        request.log.warn({ err, provider: settings.name }, "identity provider discovery failed");
        return sendSsoRefusal(request, reply, unavailable(handle));
      }
      const client = await openid();
      const currentUrl = new URL(handle.redirectUri);
      for (const [key, value] of Object.entries(request.query))
        if (typeof value === "string") currentUrl.searchParams.set(key, value);

      let claims: SsoClaims;
      let sid: string | null;
      let idTokenText: string | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
          pkceCodeVerifier: flow.cv,
          expectedState: flow.st,
          expectedNonce: flow.no,
          idTokenExpected: true,
        });
        const idToken = tokens.claims();
        idTokenText = tokens.id_token;
        if (!idToken) throw new Error("no ID token");
        let profile: Record<string, unknown> = idToken;
        if (configuration.serverMetadata().userinfo_endpoint) {
          profile = {
            ...idToken,
            ...(await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub)),
          };
        }
        claims = {
          subject: idToken.sub,
          email: typeof profile.email === "string" ? profile.email : null,
          emailVerified: profile.email_verified === true,
          acr: typeof idToken.acr === "string" ? idToken.acr : null,
        };
        sid = typeof idToken.sid === "string" ? idToken.sid : null;
      } catch (err) {
        // A replayed code (the provider refuses a second use), a wrong nonce, a bad signature…
        request.log.warn({ err, provider: settings.name }, "authorization code exchange failed");
        return refuse(
          request,
          reply,
          handle,
          flowRefusal(
            "sso_code_rejected",
            `La réponse de ${settings.label} n'a pas pu être vérifiée (déjà utilisée, expirée ou invalide). Recommencez depuis la page de connexion.`,
          ),
        );
      }

      const match = await matchAccount(app.database.db, settings, claims, {
        regionName: app.config.REGION_NAME,
        actor: actorOf(request),
      });
      if (!match.ok)
        return refuse(request, reply, handle, match.refusal, {
          userId: match.userId,
          email: claims.email,
          subject: claims.subject,
        });

      // A provider's strong level (acr among strongAcrValues) proves two factors. Otherwise a person whose
      // role requires a second factor, or who enrolled one, signs in with their password and that factor:
      // no path opens a session without it.
      const strong = claims.acr !== null && settings.strongAcrValues.includes(claims.acr);
      if (
        !strong &&
        (await secondFactorStep(app.database.db, { id: match.userId, role: match.role as Role }))
      )
        return refuse(
          request,
          reply,
          handle,
          {
            status: 403,
            code: "sso_second_factor_required",
            message: `Votre compte PRIS demande une double authentification, que ${settings.label} n'a pas garantie pour cette connexion. Connectez-vous avec votre adresse électronique et votre mot de passe, puis votre second facteur.`,
          },
          { userId: match.userId, email: claims.email, subject: claims.subject },
        );
      await app.issueSession(reply, match.userId, {
        request,
        amr: strong ? ["sso", "mfa"] : ["sso"],
        provider: settings.name,
        providerSid: sid,
        secondFactorPending: false,
      });
      if (idTokenText && configuration.serverMetadata().end_session_endpoint) {
        const logout = app.tokens.sign(
          { typ: "sso_logout", prv: settings.name, idt: idTokenText },
          app.config.SESSION_MAX_SECONDS,
        );
        reply.setCookie(LOGOUT_COOKIE, logout, {
          httpOnly: true,
          secure,
          sameSite: "strict",
          path: FLOW_PATH,
          maxAge: app.config.SESSION_MAX_SECONDS,
        });
      }
      return reply.redirect(flow.ret, 302);
    },
  );

  app.get(
    "/auth/oidc/end-session",
    {
      config: { access: "public" },
      schema: {
        tags: ["auth"],
        operationId: "ssoEndSession",
        summary: "After our logout: where to end the identity provider's session too (RP-initiated logout)",
        description:
          "The provider's end_session_endpoint URL (with id_token_hint and post_logout_redirect_uri " +
          "PUBLIC_URL/connexion) when this browser signed in by single sign-on with a provider offering one; " +
          "null otherwise. Forgets it either way.",
        security: [],
        response: { 200: Type.Object({ url: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request, reply) => {
      const cookie = request.cookies[LOGOUT_COOKIE];
      reply.clearCookie(LOGOUT_COOKIE, { path: FLOW_PATH });
      if (!cookie) return { url: null };
      try {
        const claims = app.tokens.verify<LogoutClaims>(cookie);
        const handle = claims.typ === "sso_logout" ? providers.get(claims.prv) : undefined;
        if (!handle) return { url: null };
        const configuration = await handle.configuration();
        if (!configuration.serverMetadata().end_session_endpoint) return { url: null };
        const client = await openid();
        const url = client.buildEndSessionUrl(configuration, {
          id_token_hint: claims.idt,
          post_logout_redirect_uri: new URL("/connexion", app.config.PUBLIC_URL).toString(),
          state: client.randomState(),
        });
        return { url: url.href };
      } catch (err) {
        request.log.warn({ err }, "no end-session URL for this browser");
        return { url: null };
      }
    },
  );

  app.post(
    "/auth/oidc/:provider/backchannel-logout",
    {
      config: { access: "public" },
      schema: {
        tags: ["auth"],
        operationId: "ssoBackchannelLogout",
        summary: "The identity provider ends the sessions it started (OpenID Connect Back-Channel Logout)",
        description:
          "The logout token is verified with the provider's published keys (issuer, audience, age, event, " +
          "no nonce); the sessions of its sid, or of its subject when it names no sid, end.",
        security: [],
        params: SsoProviderParamsSchema,
        body: BackchannelLogoutBodySchema,
        response: { 200: Type.Object({ ended: Type.Integer() }), ...problems(400, 404, 415) },
      },
    },
    async (request, reply) => {
      const handle = providerOf(request.params.provider);
      let payload: Record<string, unknown>;
      try {
        const configuration = await handle.configuration();
        ({ payload } = await jwtVerify(request.body.logout_token, await handle.keys(), {
          issuer: configuration.serverMetadata().issuer,
          audience: handle.settings.clientId,
          maxTokenAge: "5 minutes",
          requiredClaims: ["iat", "jti", "events"],
        }));
      } catch (err) {
        request.log.warn({ err, provider: handle.settings.name }, "logout token refused");
        throw new AppError(400, "invalid_logout_token", "Bad Request", "The logout token did not verify");
      }
      const events = payload.events as Record<string, unknown> | undefined;
      const sid = typeof payload.sid === "string" ? payload.sid : null;
      const sub = typeof payload.sub === "string" ? payload.sub : null;
      if (
        typeof events?.[BACKCHANNEL_EVENT] !== "object" ||
        payload.nonce !== undefined ||
        (sid === null && sub === null)
      ) {
        throw new AppError(400, "invalid_logout_token", "Bad Request", "Not a logout token");
      }
      const { db } = app.database;
      let ended = 0;
      if (sid) {
        ended = await endProviderSessions(db, handle.settings.name, { sid });
      } else if (sub) {
        const account = await findIdentityAccount(db, handle.settings.name, sub);
        if (account) ended = await endProviderSessions(db, handle.settings.name, { userId: account.userId });
      }
      app.forgetSessions();
      request.log.info({ provider: handle.settings.name, ended }, "back-channel logout");
      return reply.code(200).send({ ended });
    },
  );
};

export default oidcRoutes;
