import { addOneMonth, clockState, computeClocks, formatInZone, yearInZone } from "@pris/domain";
import { describe, expect, test } from "vitest";

const REU = { timeZone: "Indian/Reunion", nationalPortalDueHours: 24 };
const PARIS = { timeZone: "Europe/Paris", nationalPortalDueHours: 24 };
const H = 3_600_000;

describe("which clocks apply", () => {
  const awareAt = new Date("2026-03-02T10:00:00Z");
  test("every incident: the national portal; with a breach: the CNIL; NIS2-subject: the three NIS2 steps", () => {
    const kinds = (breach: "yes" | "no" | "unknown", nis2: "essential" | "important" | "not_subject") =>
      computeClocks({ awareAt, personalDataBreach: breach, nis2Status: nis2 }, REU).map((c) => c.kind);
    expect(kinds("no", "not_subject")).toEqual(["national_portal"]);
    expect(kinds("unknown", "not_subject")).toEqual(["national_portal"]);
    expect(kinds("yes", "not_subject")).toEqual(["national_portal", "gdpr_cnil"]);
    expect(kinds("no", "important")).toEqual([
      "national_portal",
      "nis2_early_warning",
      "nis2_notification",
      "nis2_final_report",
    ]);
    expect(kinds("yes", "essential")).toHaveLength(5);
  });

  test("due times: portal per setting, CNIL 72 h, NIS2 24 h / 72 h / one month after the notification", () => {
    const clocks = computeClocks(
      { awareAt, personalDataBreach: "yes", nis2Status: "essential" },
      { ...REU, nationalPortalDueHours: 0 },
    );
    const due = Object.fromEntries(clocks.map((c) => [c.kind, c.dueAt.toISOString()]));
    expect(due).toEqual({
      national_portal: "2026-03-02T10:00:00.000Z",
      gdpr_cnil: "2026-03-05T10:00:00.000Z",
      nis2_early_warning: "2026-03-03T10:00:00.000Z",
      nis2_notification: "2026-03-05T10:00:00.000Z",
      nis2_final_report: "2026-04-05T10:00:00.000Z",
    });
    expect(clocks.find((c) => c.kind === "nis2_final_report")?.provisional).toBe(true);
  });

  test("the final report counts from the notification actually made", () => {
    const notified = new Date("2026-03-04T09:30:00Z");
    const [report] = computeClocks(
      { awareAt, personalDataBreach: "no", nis2Status: "essential", done: { nis2_notification: notified } },
      REU,
    ).filter((c) => c.kind === "nis2_final_report");
    expect(report).toMatchObject({
      startsAt: notified,
      dueAt: new Date("2026-04-04T09:30:00Z"),
      provisional: false,
    });
  });
});

describe("one month later, in the region's zone", () => {
  test("month ends clamp: 31 January → 28 February, or 29 in a leap year", () => {
    // 31 Jan 12:00 in Réunion (UTC+4) = 08:00 UTC.
    expect(addOneMonth(new Date("2027-01-31T08:00:00Z"), "Indian/Reunion").toISOString()).toBe(
      "2027-02-28T08:00:00.000Z",
    );
    expect(addOneMonth(new Date("2028-01-31T08:00:00Z"), "Indian/Reunion").toISOString()).toBe(
      "2028-02-29T08:00:00.000Z",
    );
    expect(addOneMonth(new Date("2026-03-31T08:00:00Z"), "Indian/Reunion").toISOString()).toBe(
      "2026-04-30T08:00:00.000Z",
    );
  });

  test("the calendar day depends on the zone: 30 Jan 22:00 UTC is already 31 January in Réunion", () => {
    const at = new Date("2027-01-30T22:00:00Z");
    // Réunion: 31 Jan 02:00 → clamped to 28 Feb 02:00 (UTC+4). Paris: 30 Jan 23:00 → 28 Feb 23:00 (UTC+1).
    expect(addOneMonth(at, "Indian/Reunion").toISOString()).toBe("2027-02-27T22:00:00.000Z");
    expect(addOneMonth(at, "Europe/Paris").toISOString()).toBe("2027-02-28T22:00:00.000Z");
  });

  test("across the spring DST change in Paris the wall-clock time is kept", () => {
    // 10 March 10:00 CET (UTC+1) → 10 April 10:00 CEST (UTC+2).
    expect(addOneMonth(new Date("2026-03-10T09:00:00Z"), "Europe/Paris").toISOString()).toBe(
      "2026-04-10T08:00:00.000Z",
    );
    // 10 October 10:00 CEST → 10 November 10:00 CET.
    expect(addOneMonth(new Date("2026-10-10T08:00:00Z"), "Europe/Paris").toISOString()).toBe(
      "2026-11-10T09:00:00.000Z",
    );
  });

  test("72 hours are 72 real hours even across a DST change", () => {
    const awareAt = new Date("2026-03-27T11:00:00Z"); // Friday 12:00 in Paris, before the change on Sunday
    const [, cnil] = computeClocks({ awareAt, personalDataBreach: "yes", nis2Status: "not_subject" }, PARIS);
    expect(cnil!.dueAt.getTime() - awareAt.getTime()).toBe(72 * H);
    expect(formatInZone(cnil!.dueAt, "Europe/Paris")).toBe("lundi 30 mars 2026 à 13:00");
  });
});

describe("clock states", () => {
  const startsAt = new Date("2026-05-01T00:00:00Z");
  const dueAt = new Date(startsAt.getTime() + 72 * H);
  const at = (hours: number) => new Date(startsAt.getTime() + hours * H);
  test("pending, due soon in the last quarter, overdue after", () => {
    expect(clockState({ startsAt, dueAt, doneAt: null }, at(1))).toBe("pending");
    expect(clockState({ startsAt, dueAt, doneAt: null }, at(53))).toBe("pending");
    expect(clockState({ startsAt, dueAt, doneAt: null }, at(55))).toBe("due_soon");
    expect(clockState({ startsAt, dueAt, doneAt: null }, at(72))).toBe("due_soon");
    expect(clockState({ startsAt, dueAt, doneAt: null }, at(72.01))).toBe("overdue");
  });
  test("done on time or late, whatever the time now", () => {
    expect(clockState({ startsAt, dueAt, doneAt: at(70) }, at(500))).toBe("done_on_time");
    expect(clockState({ startsAt, dueAt, doneAt: at(80) }, at(500))).toBe("done_late");
  });
  test("a clock due at once is overdue at once, due soon for its last hour at least", () => {
    expect(clockState({ startsAt, dueAt: startsAt, doneAt: null }, at(0.01))).toBe("overdue");
    expect(clockState({ startsAt, dueAt: at(2), doneAt: null }, at(1.5))).toBe("due_soon");
  });
});

describe("the year of a reference is the region's", () => {
  test("New Year's Eve 21:00 UTC is already next year in Réunion (UTC+4), not yet in Paris", () => {
    const at = new Date("2026-12-31T21:00:00Z");
    expect(yearInZone(at, "Indian/Reunion")).toBe(2027);
    expect(yearInZone(at, "Europe/Paris")).toBe(2026);
  });
});
