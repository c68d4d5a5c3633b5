import { type ObligationRule, parseObligationRule } from "@pris/domain";
import { type AnyColumn, inArray, type SQL, sql } from "drizzle-orm";
import type { Principal } from "../../auth/principal.ts";
import { ForbiddenError } from "../../errors.ts";

/**
 * Exercises are the business of RSSIs (their establishments'), the ARS and the pole (the region's).
 * The task force and the administrator have nothing to do here; API keys neither (403).
 */
export const EXERCISE_ROLES = ["rssi", "analyst", "ars"] as const;
/** The regional view: completion, recurring findings, the regional exercise. */
export const REGIONAL_ROLES = ["analyst", "ars"] as const;
/** Validating or sending back a RETEX is the ARS's decision. */
export const VALIDATOR_ROLES = ["ars"] as const;

export type ExercisePrincipal = Extract<Principal, { kind: "user" }>;

export function seesRegion(p: ExercisePrincipal): boolean {
  return (REGIONAL_ROLES as readonly string[]).includes(p.role);
}

/** Narrows a query of participations to the caller's establishments; undefined for the region's roles. */
export function participationScope(p: ExercisePrincipal, establishmentId: AnyColumn): SQL | undefined {
  if (seesRegion(p)) return undefined;
  return p.establishmentIds.length > 0 ? inArray(establishmentId, p.establishmentIds) : sql`false`;
}

export function mayActFor(p: ExercisePrincipal, establishmentId: string): boolean {
  return seesRegion(p) || p.establishmentIds.includes(establishmentId);
}

export function requireValidator(p: ExercisePrincipal): void {
  if (!(VALIDATOR_ROLES as readonly string[]).includes(p.role)) {
    throw new ForbiddenError("Only the ARS validates or sends back a RETEX");
  }
}

export function obligationRule(config: {
  EXERCISE_SUBJECT_CATEGORIES: string;
  EXERCISE_SMALL_STRUCTURES: "subject" | "exempt";
}): ObligationRule {
  return parseObligationRule(config.EXERCISE_SUBJECT_CATEGORIES, config.EXERCISE_SMALL_STRUCTURES);
}
