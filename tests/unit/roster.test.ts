import {
  formatWeekMinute,
  formatWeekSpan,
  instantOfWeekMinute,
  nextRotaChange,
  slotCovering,
  weekMinuteAt,
} from "@pris/domain";
import { describe, expect, test } from "vitest";

const DAY = 1440;

describe("the rota's week", () => {
  test("a minute of the week is the region's wall-clock time", () => {
    // Monday 7 December 2026, 08:30 in La Réunion (UTC+4) is 04:30 UTC.
    expect(weekMinuteAt(new Date("2026-12-07T04:30:00Z"), "Indian/Reunion")).toBe(8 * 60 + 30);
    // The same instant is Monday 05:30 in Paris (UTC+1 in winter).
    expect(weekMinuteAt(new Date("2026-12-07T04:30:00Z"), "Europe/Paris")).toBe(5 * 60 + 30);
    // Sunday 23:59 in Réunion.
    expect(weekMinuteAt(new Date("2026-12-13T19:59:00Z"), "Indian/Reunion")).toBe(7 * DAY - 1);
    // Summer time: Monday 6 July 2026, 09:00 in Paris is 07:00 UTC.
    expect(weekMinuteAt(new Date("2026-07-06T07:00:00Z"), "Europe/Paris")).toBe(9 * 60);
  });

  test("a minute of the week back to an instant, and 10080 as next Monday 00:00", () => {
    const at = new Date("2026-12-09T10:00:00Z");
    expect(instantOfWeekMinute(at, 8 * 60, "Indian/Reunion").toISOString()).toBe("2026-12-07T04:00:00.000Z");
    expect(instantOfWeekMinute(at, 7 * DAY, "Indian/Reunion").toISOString()).toBe("2026-12-13T20:00:00.000Z");
  });

  test("slots are half-open: the end minute belongs to the next one", () => {
    const slots = [
      { id: "day", startMinute: 480, endMinute: 1080 },
      { id: "night", startMinute: 1080, endMinute: 1920 },
    ];
    expect(slotCovering(slots, 479)).toBeUndefined();
    expect(slotCovering(slots, 480)?.id).toBe("day");
    expect(slotCovering(slots, 1079)?.id).toBe("day");
    expect(slotCovering(slots, 1080)?.id).toBe("night");
  });

  test("the next change: the end of the slot in force, a gap's end, or next week's first slot", () => {
    const zone = "Indian/Reunion";
    const slots = [
      { id: "day", startMinute: 480, endMinute: 1080 },
      { id: "night", startMinute: 1080, endMinute: 1920 },
    ];
    // Monday 10:00: the day slot ends at 18:00 and the night starts.
    const monday10 = new Date("2026-12-07T06:00:00Z");
    expect(nextRotaChange(slots, monday10, zone)).toEqual({
      at: new Date("2026-12-07T14:00:00Z"),
      slot: slots[1],
    });
    // Tuesday 07:00: the night ends at 08:00, then nobody.
    expect(nextRotaChange(slots, new Date("2026-12-08T03:00:00Z"), zone)).toEqual({
      at: new Date("2026-12-08T04:00:00Z"),
      slot: undefined,
    });
    // Wednesday: nobody until next Monday 08:00.
    expect(nextRotaChange(slots, new Date("2026-12-09T10:00:00Z"), zone)).toEqual({
      at: new Date("2026-12-14T04:00:00Z"),
      slot: slots[0],
    });
    expect(nextRotaChange([], monday10, zone)).toBeUndefined();
    expect(nextRotaChange([{ startMinute: 0, endMinute: 7 * DAY }], monday10, zone)).toBeUndefined();
  });

  test("reads in French, an end at midnight as the day's 24:00", () => {
    expect(formatWeekMinute(0)).toBe("lundi 00:00");
    expect(formatWeekMinute(DAY + 8 * 60 + 5)).toBe("mardi 08:05");
    expect(formatWeekSpan({ startMinute: 4 * DAY + 18 * 60, endMinute: 7 * DAY })).toBe(
      "vendredi 18:00 – dimanche 24:00",
    );
    expect(formatWeekSpan({ startMinute: 18 * 60, endMinute: DAY })).toBe("lundi 18:00 – lundi 24:00");
    expect(formatWeekSpan({ startMinute: 18 * 60, endMinute: DAY + 8 * 60 })).toBe(
      "lundi 18:00 – mardi 08:00",
    );
  });
});
