import http from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type Configuration } from "oidc-provider";

/** A person at the test identity provider; the login typed on its page is their subject. */
export interface ProviderAccount {
  email: string;
  emailVerified: boolean;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  provider: Provider;
  accounts: Map<string, ProviderAccount>;
  /** Ends the person's session at the provider and notifies us, as its logout does (back-channel). */
  backchannelLogout(subject: string, sid: string): Promise<void>;
  close(): Promise<void>;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function formBody(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/**
 * A real OpenID provider (the `oidc-provider` package, certified OP) on the loopback interface and an
 * ephemeral port, with one confidential client whose callback is `redirectUri`. Its sign-in page asks for
 * a login (the account's subject) and, optionally, the level it asserts (acr); consent is implied.
 */
export async function startOidcProvider(options: {
  redirectUri: string;
  backchannelLogoutUri: string;
}): Promise<TestOidcProvider> {
  const accounts = new Map<string, ProviderAccount>();
  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  let provider!: Provider;

  const server = http.createServer((req, res) => {
    const match = /^\/interaction\/([\w-]+)$/.exec(req.url ?? "");
    if (!match) return handler(req, res);
    void (async () => {
      try {
        if (req.method === "GET") {
          const details = await provider.interactionDetails(req, res);
          res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
          res.end(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Fournisseur de test</title></head>
<body><h1>Fournisseur d'identité de test</h1>
<form method="post" action="/interaction/${escapeHtml(details.uid)}">
<label>Identifiant <input name="login" autocomplete="off"></label>
<label>Niveau <select name="acr"><option value="">(aucun)</option><option>eidas1</option><option>eidas2</option></select></label>
<button type="submit">Valider</button>
</form></body></html>`);
          return;
        }
        const body = await formBody(req);
        const login = body.get("login") ?? "";
        const acr = body.get("acr") || undefined;
        await provider.interactionFinished(
          req,
          res,
          accounts.has(login)
            ? { login: { accountId: login, ...(acr ? { acr } : {}) } }
            : { error: "access_denied", error_description: "unknown login" },
          { mergeWithLastSubmission: false },
        );
      } catch (err) {
        res.writeHead(500, { "content-type": "text/plain" }).end(String(err));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = "pris";
  const clientSecret = "test-client-secret-0123456789abcdef";

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        response_types: ["code"],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: "client_secret_post",
        backchannel_logout_uri: options.backchannelLogoutUri,
        backchannel_logout_session_required: true,
        post_logout_redirect_uris: [new URL("/connexion", options.redirectUri).toString()],
      },
    ],
    claims: {
      acr: null,
      auth_time: null,
      sid: null,
      openid: ["sub"],
      email: ["email", "email_verified"],
    },
    // The provider's guard against requests to special-use addresses would refuse our loopback API.
    fetch: (url, init) => {
      const { dispatcher: _guard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      return fetch(url, rest);
    },
    acrValues: ["eidas1", "eidas2"],
    cookies: { keys: ["test-cookie-key-0123456789abcdef"] },
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
    },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, email: account.email, email_verified: account.emailVerified };
        },
      };
    },
    // A first-party client: the person's consent is implied.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client!.clientId,
        accountId: ctx.oidc.session!.accountId!,
      });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  };
  provider = new Provider(issuer, configuration);
  handler = provider.callback();

  return {
    issuer,
    clientId,
    clientSecret,
    provider,
    accounts,
    async backchannelLogout(subject, sid) {
      const client = await provider.Client.find(clientId);
      if (!client) throw new Error("test client missing");
      // A method of the package's Client the type definitions leave out.
      await (
        client as unknown as { backchannelLogout(sub: string, sid: string): Promise<void> }
      ).backchannelLogout(subject, sid);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
