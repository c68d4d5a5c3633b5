import type { DeclarationChannel } from "./contracts/incident-contract.ts";
import type { FieldError } from "./contracts/problem.ts";
import type { Role } from "./directory.ts";

/**
 * Who reads which incidents, before issue-specific rules refine it:
 * the pole's analysts see all; an RSSI (or an establishment's API key) sees their establishments';
 * the task force and the ARS see the major ones they are mobilised on — P1, or with a crisis cell
 * opened by escalation (it stays open, and visible to them, if the severity is later lowered); the
 * administrator, who manages the directory, sees none.
 */
export type IncidentVisibility = "all" | "establishments" | "major" | "none";

export function incidentVisibility(role: Role | "api_key"): IncidentVisibility {
  switch (role) {
    case "analyst":
      return "all";
    case "rssi":
    case "api_key":
      return "establishments";
    case "taskforce":
    case "ars":
      return "major";
    case "admin":
      return "none";
  }
}

/** Who may declare: for their own establishments, or the pole on behalf of any (a call at 3 a.m.). */
export function mayDeclare(role: Role | "api_key"): "own" | "any" | false {
  if (role === "rssi" || role === "api_key") return "own";
  if (role === "analyst") return "any";
  return false;
}

/**
 * The channel a declaration is recorded with. An API key declares through the API and an RSSI through the
 * form, whatever they say; only the pole, declaring on behalf of an establishment, says how it was told
 * (a call by default). The mailbox intake records 'email' itself, without a caller.
 */
export function declarationChannel(
  role: Role | "api_key",
  requested: DeclarationChannel | undefined,
): { ok: true; channel: DeclarationChannel } | { ok: false; error: FieldError } {
  const allowed: readonly DeclarationChannel[] =
    role === "api_key" ? ["api"] : role === "analyst" ? ["phone", "email"] : ["form"];
  if (requested === undefined) return { ok: true, channel: allowed[0]! };
  if (allowed.includes(requested)) return { ok: true, channel: requested };
  return {
    ok: false,
    error: {
      field: "/channel",
      message:
        role === "analyst"
          ? "must be phone or email for a declaration on behalf of an establishment"
          : `must be ${allowed[0]} (or absent) for your declarations`,
    },
  };
}

/** Who sees the whole directory of establishments (others see their own). */
export function seesWholeDirectory(role: Role | "api_key"): boolean {
  return role === "admin" || role === "analyst" || role === "taskforce" || role === "ars";
}
