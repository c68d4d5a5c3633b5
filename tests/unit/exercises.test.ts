import {
  exerciseDueReminder,
  isDigestDay,
  isSubject,
  joiningStatus,
  overdueActionReminderDue,
  PARTICIPATION_STATUSES,
  parseObligationRule,
  participantRemovable,
  participationTransition,
  reminderKey,
  retexReviewedKey,
  statusAfterActions,
  unplannedReminderDue,
} from "@pris/domain";
import { describe, expect, test } from "vitest";

const all = parseObligationRule("*", "subject");
const facts = { category: "ch" as const, smallStructure: false, activeFrom: null, activeUntil: null };

describe("who owes an exercise in a year", () => {
  test("categories and small structures as configured", () => {
    expect(isSubject(facts, 2025, all)).toBe(true);
    const hospitals = parseObligationRule("chu,ch", "exempt");
    expect(isSubject({ ...facts, category: "ehpad" }, 2025, hospitals)).toBe(false);
    expect(isSubject({ ...facts, smallStructure: true }, 2025, hospitals)).toBe(false);
    expect(isSubject({ ...facts, smallStructure: true }, 2025, all)).toBe(true);
    expect(() => parseObligationRule("ch,hopital", "subject")).toThrow(/hopital/);
  });

  test("joining by 30 June owes that year; later, the year after", () => {
    expect(isSubject({ ...facts, activeFrom: "2025-06-30" }, 2025, all)).toBe(true);
    expect(isSubject({ ...facts, activeFrom: "2025-07-01" }, 2025, all)).toBe(false);
    expect(isSubject({ ...facts, activeFrom: "2025-07-01" }, 2026, all)).toBe(true);
  });

  test("leaving before 31 December owes nothing for that year", () => {
    expect(isSubject({ ...facts, activeUntil: "2025-12-30" }, 2025, all)).toBe(false);
    expect(isSubject({ ...facts, activeUntil: "2025-12-31" }, 2025, all)).toBe(true);
    expect(isSubject({ ...facts, activeUntil: "2025-03-01" }, 2024, all)).toBe(true);
  });
});

describe("a participation's status flow", () => {
  test("planned → held → RETEX submitted → validated; sent back; cancelled from planned only", () => {
    expect(participationTransition("planned", "hold")).toBe("held");
    expect(participationTransition("held", "submit_retex")).toBe("retex_submitted");
    expect(participationTransition("retex_submitted", "validate_retex")).toBe("validated");
    expect(participationTransition("retex_submitted", "return_retex")).toBe("held");
    expect(participationTransition("planned", "cancel")).toBe("cancelled");
    expect(participationTransition("held", "cancel")).toBeUndefined();
    expect(participationTransition("planned", "submit_retex")).toBeUndefined();
  });

  test("actions closed follows the actions once validated", () => {
    expect(statusAfterActions("validated", [])).toBe("actions_closed");
    expect(statusAfterActions("validated", [{ status: "done" }, { status: "open" }])).toBe("validated");
    expect(statusAfterActions("validated", [{ status: "done" }, { status: "dropped" }])).toBe(
      "actions_closed",
    );
    expect(statusAfterActions("actions_closed", [{ status: "in_progress" }])).toBe("validated");
    expect(statusAfterActions("held", [])).toBe("held");
  });
});

describe("reminder days", () => {
  test("30, 7 and 1 days before, across a year's end", () => {
    expect(exerciseDueReminder("2026-01-30", "2025-12-31")).toBe("exercise-due-30");
    expect(exerciseDueReminder("2026-01-01", "2025-12-31")).toBe("exercise-due-1");
    expect(exerciseDueReminder("2026-01-07", "2025-12-31")).toBe("exercise-due-7");
    expect(exerciseDueReminder("2026-01-08", "2025-12-31")).toBeUndefined();
  });

  test("unplanned on the day and fortnightly; overdue actions the day after and weekly; digest on Mondays", () => {
    expect(unplannedReminderDue("03-31", "2026-03-30")).toBe(false);
    expect(unplannedReminderDue("03-31", "2026-03-31")).toBe(true);
    expect(unplannedReminderDue("03-31", "2026-04-14")).toBe(true);
    expect(unplannedReminderDue("03-31", "2026-04-15")).toBe(false);
    expect(overdueActionReminderDue("2026-05-01", "2026-05-01")).toBe(false);
    expect(overdueActionReminderDue("2026-05-01", "2026-05-02")).toBe(true);
    expect(overdueActionReminderDue("2026-05-01", "2026-05-09")).toBe(true);
    expect(overdueActionReminderDue("2026-05-01", "2026-05-10")).toBe(false);
    expect(isDigestDay("2026-11-23")).toBe(true);
    expect(isDigestDay("2026-11-22")).toBe(false);
  });

  test("the key is kind, object, day and person", () => {
    expect(reminderKey("exercise-due-7", "p1", "2026-11-22", "u1")).toBe("exercise-due-7:p1:2026-11-22:u1");
  });
});

describe("participants after creation", () => {
  test("a newcomer starts where the exercise is; a cancelled one takes no one", () => {
    expect(joiningStatus("planned")).toBe("planned");
    expect(joiningStatus("held")).toBe("held");
    expect(joiningStatus("cancelled")).toBeUndefined();
  });

  test("a participant leaves only before its RETEX reaches the ARS", () => {
    expect(PARTICIPATION_STATUSES.filter(participantRemovable)).toEqual(["planned", "held"]);
  });

  test("one e-mail per decision and person", () => {
    expect(retexReviewedKey("o1", "u1")).toBe("retex-reviewed:o1:u1");
    expect(retexReviewedKey("o2", "u1")).not.toBe(retexReviewedKey("o1", "u1"));
  });
});
