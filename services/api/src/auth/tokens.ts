import type { Config } from "@pris/config";
import { createDecoder, createSigner, createVerifier, TokenError } from "fast-jwt";

/** Every token of the service carries these, and one without them is refused however well signed. */
const REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "typ"];

export type TokenRefusal = "invalid" | "expired" | "incomplete";

/** A token that did not pass: `incomplete` means genuinely signed but missing or wrong claims (audited). */
export class TokenRefused extends Error {
  constructor(
    readonly reason: TokenRefusal,
    readonly detail: string,
    /** The claims of an `incomplete` token (its signature was checked). */
    readonly claims?: Record<string, unknown>,
  ) {
    super(detail);
  }
}

export interface Tokens {
  /** HS256 under JWT_SECRET, with iss, aud, iat and exp (now + ttlSeconds). */
  sign(payload: Record<string, unknown>, ttlSeconds: number): string;
  /** The claims of a token signed by JWT_SECRET or one of JWT_PREVIOUS_SECRETS; throws TokenRefused. */
  verify<T extends { typ: string }>(token: string): T;
}

/** JWT_SECRET first, then the former ones still accepted during a rotation. */
export function serviceSecrets(config: Pick<Config, "JWT_SECRET" | "JWT_PREVIOUS_SECRETS">): string[] {
  return [config.JWT_SECRET, ...config.JWT_PREVIOUS_SECRETS.split(",").filter((s) => s !== "")];
}

/**
 * One of the service's signed links (bulletin acknowledgement, invitation, password reset), checked under
 * JWT_SECRET and then each former secret: the first that passes, with the secret it passed under; else
 * the most telling refusal (an expired genuine link says "expired", not "invalid").
 */
export function checkUnderAnySecret<T extends { ok: boolean; reason?: string }>(
  config: Pick<Config, "JWT_SECRET" | "JWT_PREVIOUS_SECRETS">,
  check: (secret: string) => T,
): T & { secret: string } {
  const results = serviceSecrets(config).map((secret) => ({ ...check(secret), secret }));
  return (
    results.find((r) => r.ok) ??
    results.find((r) => r.reason !== undefined && r.reason !== "invalid") ??
    results[0]!
  );
}

/**
 * The service's JWTs (session cookies, access tokens, single sign-on flow cookies), through fast-jwt: the
 * algorithm is pinned to HS256, exp/iat/iss/aud/typ are required, and several verification keys are tried
 * in order so that a key can be rotated without signing everyone out.
 */
export function createTokens(
  config: Pick<Config, "JWT_SECRET" | "JWT_PREVIOUS_SECRETS" | "JWT_ISSUER" | "JWT_AUDIENCE">,
): Tokens {
  const signer = createSigner({
    key: config.JWT_SECRET,
    algorithm: "HS256",
    iss: config.JWT_ISSUER,
    aud: config.JWT_AUDIENCE,
  });
  const verifiers = serviceSecrets(config).map((key) =>
    createVerifier({
      key,
      algorithms: ["HS256"],
      allowedIss: config.JWT_ISSUER,
      allowedAud: config.JWT_AUDIENCE,
      requiredClaims: REQUIRED_CLAIMS,
      // Verified tokens are remembered (until their exp, at most 10 minutes): a request's cookie is
      // checked once, not at every request.
      cache: 2000,
    }),
  );
  const decode = createDecoder();
  return {
    sign: (payload, ttlSeconds) => signer({ ...payload, exp: Math.floor(Date.now() / 1000) + ttlSeconds }),
    verify<T extends { typ: string }>(token: string): T {
      for (const verify of verifiers) {
        try {
          return verify(token) as T;
        } catch (err) {
          if (!(err instanceof TokenError)) throw err;
          if (err.code === TokenError.codes.invalidSignature) continue;
          if (err.code === TokenError.codes.expired) throw new TokenRefused("expired", err.message);
          if (
            err.code === TokenError.codes.missingRequiredClaim ||
            err.code === TokenError.codes.invalidClaimValue ||
            err.code === TokenError.codes.invalidClaimType
          )
            throw new TokenRefused("incomplete", err.message, decode(token) as Record<string, unknown>);
          throw new TokenRefused("invalid", err.message);
        }
      }
      throw new TokenRefused("invalid", "The token signature is invalid");
    },
  };
}
