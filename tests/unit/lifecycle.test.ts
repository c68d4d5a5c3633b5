import {
  allowedActions,
  closureErrors,
  INCIDENT_ACTIONS,
  INCIDENT_STATUSES,
  type IncidentAction,
  type IncidentStatus,
  isOpen,
  mayWorkOnIncident,
  nextStatus,
  TERMINAL_STATUSES,
  WAITING_STATUSES,
  WORKING_STATUSES,
  type WorkingStatus,
} from "@pris/domain";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

/** The machine as the API applies it: the status and the working status a waiting incident returns to. */
interface State {
  status: IncidentStatus;
  previousStatus: WorkingStatus | null;
}

function step(state: State, action: IncidentAction): State | undefined {
  const to = nextStatus(state.status, action, { previousStatus: state.previousStatus });
  if (!to) return undefined;
  const waiting = (WAITING_STATUSES as readonly string[]).includes(to);
  return { status: to, previousStatus: waiting ? (state.status as WorkingStatus) : null };
}

const actions = fc.array(fc.constantFrom(...INCIDENT_ACTIONS), { minLength: 1, maxLength: 40 });
const working = new Set<string>(WORKING_STATUSES);

describe("the incident lifecycle", () => {
  test("every status reached by any sequence of actions is a known status", () => {
    fc.assert(
      fc.property(actions, (sequence) => {
        let state: State = { status: "new", previousStatus: null };
        for (const action of sequence) {
          const next = step(state, action);
          const allowed = allowedActions(state.status, { previousStatus: state.previousStatus });
          // The allowed list and the transition function never disagree.
          expect(allowed.includes(action)).toBe(next !== undefined);
          if (!next) continue;
          expect(INCIDENT_STATUSES).toContain(next.status);
          if (next.previousStatus) expect(working.has(next.previousStatus)).toBe(true);
          state = next;
        }
      }),
      { numRuns: 500 },
    );
  });

  test("terminal statuses allow only reopen (closed, rejected) or nothing (merged)", () => {
    expect(allowedActions("closed")).toEqual(["reopen"]);
    expect(allowedActions("rejected")).toEqual(["reopen"]);
    expect(allowedActions("merged")).toEqual([]);
    for (const status of TERMINAL_STATUSES) expect(isOpen(status)).toBe(false);
    for (const status of INCIDENT_STATUSES.filter(
      (s) => !(TERMINAL_STATUSES as readonly string[]).includes(s),
    )) {
      expect(isOpen(status)).toBe(true);
      expect(allowedActions(status)).not.toContain("reopen");
    }
    expect(nextStatus("closed", "reopen")).toBe("investigating");
  });

  test("resume returns to the working status the incident was waiting from", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...WORKING_STATUSES),
        fc.constantFrom("wait_establishment", "wait_third_party" as const),
        (from, wait) => {
          const waiting = step({ status: from, previousStatus: null }, wait)!;
          expect(waiting.status).toBe(
            wait === "wait_establishment" ? "waiting_establishment" : "waiting_third_party",
          );
          expect(allowedActions(waiting.status, { previousStatus: waiting.previousStatus })).toEqual([
            "resume",
            "merge",
          ]);
          expect(step(waiting, "resume")).toEqual({ status: from, previousStatus: null });
        },
      ),
    );
  });

  test("one can only wait from a working status, and never wait while waiting", () => {
    for (const status of INCIDENT_STATUSES) {
      expect(nextStatus(status, "wait_third_party") !== undefined).toBe(working.has(status));
    }
  });

  test("closed is reached only from investigation onwards, and every open status can still reach it", () => {
    for (const status of INCIDENT_STATUSES) {
      const reachable = new Set<IncidentStatus>();
      const queue: State[] = [{ status, previousStatus: working.has(status) ? null : "investigating" }];
      while (queue.length > 0) {
        const state = queue.shift()!;
        if (reachable.has(state.status)) continue;
        reachable.add(state.status);
        for (const action of INCIDENT_ACTIONS) {
          const next = step(state, action);
          if (next) queue.push(next);
        }
      }
      expect(reachable.has("closed"), status).toBe(status !== "merged");
    }
    expect(allowedActions("new")).not.toContain("close");
    expect(allowedActions("acknowledged")).not.toContain("close");
  });
});

describe("who works an incident, and how it is closed", () => {
  test("analysts always; the task force only on a crisis cell; nobody else", () => {
    expect(mayWorkOnIncident("analyst", { crisisCell: false })).toBe(true);
    expect(mayWorkOnIncident("taskforce", { crisisCell: false })).toBe(false);
    expect(mayWorkOnIncident("taskforce", { crisisCell: true })).toBe(true);
    for (const role of ["rssi", "api_key", "ars", "admin"]) {
      expect(mayWorkOnIncident(role, { crisisCell: true })).toBe(false);
    }
  });

  test("the closing classification is a real RSIT pair, not the intake placeholder", () => {
    const closure = { rootCause: "r", measures: "m", lessons: "l" };
    expect(closureErrors({ ...closure, rsitClass: "malicious-code", rsitType: "infected-system" })).toEqual(
      [],
    );
    expect(closureErrors({ ...closure, rsitClass: "malicious-code", rsitType: "spam" })).toHaveLength(1);
    expect(closureErrors({ ...closure, rsitClass: "other", rsitType: "undetermined" })).toHaveLength(1);
  });
});
