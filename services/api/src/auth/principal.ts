import type { Role } from "@pris/domain";
import { ForbiddenError, UnauthorizedError } from "../errors.ts";

export type Principal =
  | {
      kind: "user";
      id: string;
      role: Role;
      displayName: string;
      ghtId: string | null;
      /** Establishments this user acts for (an RSSI's own, or their GHT's members); empty for other roles. */
      establishmentIds: string[];
      via: "cookie" | "bearer";
    }
  | {
      kind: "api_key";
      id: string;
      name: string;
      role: "api_key";
      establishmentIds: [string];
    };

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function requirePrincipal(principal: Principal | null): Principal {
  if (!principal) throw new UnauthorizedError();
  return principal;
}

/** For routes reserved to some roles of signed-in people (API keys never pass). */
export function requireUser(principal: Principal | null, roles?: readonly Role[]) {
  const p = requirePrincipal(principal);
  if (p.kind !== "user" || (roles && !roles.includes(p.role))) throw new ForbiddenError();
  return p;
}

/** A key that identifies who acts, for Idempotency-Key records and rate limits. */
export function principalKey(p: Principal): string {
  return `${p.kind}:${p.id}`;
}
