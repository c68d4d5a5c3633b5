import type { FieldError } from "./contracts/problem.ts";
import type { IncidentClosure } from "./contracts/workflow-contract.ts";
import type { Role } from "./directory.ts";
import { isRsitPair, RSIT_UNDETERMINED } from "./rsit.ts";

/**
 * Who works an incident (transitions, assignment, qualification, tasks, internal entries): the pole's
 * analysts always; task-force members once the crisis cell is open. Everyone else only reads. The same
 * people may be assigned the incident or own its tasks.
 */
export function mayWorkOnIncident(role: string, incident: { crisisCell: boolean }): boolean {
  return role === "analyst" || (role === "taskforce" && incident.crisisCell);
}

/** The establishment (its RSSIs and API keys) reads only the entries shared with it. */
export function seesInternalLog(role: Role | "api_key"): boolean {
  return role !== "rssi" && role !== "api_key";
}

/** The closing summary's rules beyond its shape: a final classification, not the intake placeholder. */
export function closureErrors(closure: IncidentClosure): FieldError[] {
  if (!isRsitPair(closure.rsitClass, closure.rsitType)) {
    return [{ field: "/closure/rsitType", message: `does not belong to the class ${closure.rsitClass}` }];
  }
  if (closure.rsitClass === RSIT_UNDETERMINED.class && closure.rsitType === RSIT_UNDETERMINED.type) {
    return [{ field: "/closure/rsitType", message: "must be the final classification, not undetermined" }];
  }
  return [];
}
