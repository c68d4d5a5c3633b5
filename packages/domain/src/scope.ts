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

/** Who sees the whole directory of establishments (others see their own). */
export function seesWholeDirectory(role: Role | "api_key"): boolean {
  return role === "admin" || role === "analyst" || role === "taskforce" || role === "ars";
}
