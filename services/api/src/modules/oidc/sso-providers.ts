import { type Config, type OidcProvider, readOidcProviders } from "@pris/config";
import { createRemoteJWKSet } from "jose";
import type { Configuration } from "openid-client";

/** openid-client, loaded by the first sign-in through a provider (as @simplewebauthn/server). */
export const openid = () => import("openid-client");

export interface ProviderHandle {
  settings: OidcProvider;
  /** Discovered once, on first use; a failed discovery is tried again at the next sign-in. */
  configuration(): Promise<Configuration>;
  /** The provider's signing keys, for its logout tokens (fetched and cached by jose). */
  keys(): Promise<ReturnType<typeof createRemoteJWKSet>>;
  redirectUri: string;
  backchannelLogoutUri: string;
}

/** The configured OpenID Connect providers (OIDC_PROVIDERS), each with its discovered metadata. */
export function ssoProviders(config: Config): Map<string, ProviderHandle> {
  const handles = new Map<string, ProviderHandle>();
  for (const settings of readOidcProviders(config).providers) {
    let discovered: Promise<Configuration> | undefined;
    let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
    const issuer = new URL(settings.issuer);
    const configuration = () => {
      discovered ??= openid()
        .then((client) =>
          client.discovery(
            issuer,
            settings.clientId,
            undefined,
            client.ClientSecretPost(settings.clientSecret),
            {
              // Only a loopback issuer passes validation over http (never in production): see readOidcProviders.
              execute: issuer.protocol === "http:" ? [client.allowInsecureRequests] : [],
              timeout: 10,
            },
          ),
        )
        .catch((err: unknown) => {
          discovered = undefined;
          throw err;
        });
      return discovered;
    };
    const base = `/api/v1/auth/oidc/${settings.name}`;
    handles.set(settings.name, {
      settings,
      configuration,
      async keys() {
        if (jwks) return jwks;
        const uri = (await configuration()).serverMetadata().jwks_uri;
        if (!uri) throw new Error(`provider ${settings.name} publishes no jwks_uri`);
        jwks = createRemoteJWKSet(new URL(uri));
        return jwks;
      },
      redirectUri: new URL(`${base}/callback`, config.PUBLIC_URL).toString(),
      backchannelLogoutUri: new URL(`${base}/backchannel-logout`, config.PUBLIC_URL).toString(),
    });
  }
  return handles;
}
