import { ROLES, type Role } from "@pris/domain";
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

/**
 * Who may call a route, declared once on the route (`config.access`) and checked by the auth plugin
 * when the request arrives, before its body is read or validated: a role that may not call a route is
 * told so whatever it sends. "public": no credentials read (sign-in, acknowledgement links);
 * "optional": credentials checked when given, none required; otherwise the principals' roles allowed.
 * Services keep their own finer checks (a row's state, the caller's scope).
 */
export type Access = "public" | "optional" | readonly Principal["role"][];

/** Every signed-in person, whatever the role. */
export const PEOPLE: readonly Role[] = ROLES;
/** People and establishments' API keys. */
export const ANY_PRINCIPAL: readonly Principal["role"][] = [...ROLES, "api_key"];

/** The regional cyber pole, who work incidents (the task force once its crisis cell is open). */
export const WORKERS: readonly Role[] = ["analyst", "taskforce"];
/** The declaring establishment (its RSSIs and API keys) and the pole: observables, regulator clocks. */
export const CONTRIBUTORS: readonly Principal["role"][] = ["analyst", "rssi", "api_key"];

declare module "fastify" {
  interface FastifyContextConfig {
    access?: Access;
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
