import { DateTime } from "luxon";

/**
 * The pole's weekly on-call rota. A slot is a span of minutes of the week, counted from Monday 00:00
 * in the region's zone (0–10080): wall-clock time, so that a night slot "22:00–08:00" stays one at the
 * change to summer time in a Europe/Paris region (it lasts an hour less that night, as the people on it
 * expect).
 */
export const MINUTES_PER_DAY = 1440;
export const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

export const WEEKDAY_NAMES = [
  "lundi",
  "mardi",
  "mercredi",
  "jeudi",
  "vendredi",
  "samedi",
  "dimanche",
] as const;

/** The minute of the week the region's clocks show at an instant (Monday 00:00 = 0). */
export function weekMinuteAt(at: Date, timeZone: string): number {
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  return (local.weekday - 1) * MINUTES_PER_DAY + local.hour * 60 + local.minute;
}

/**
 * The instant at which the region's clocks show minute `weekMinute` of the week that contains `at`
 * (10080 is the next Monday 00:00). In the hour skipped when clocks go forward, the first minute after
 * it; in the hour repeated in autumn, the first occurrence.
 */
export function instantOfWeekMinute(at: Date, weekMinute: number, timeZone: string): Date {
  const monday = DateTime.fromJSDate(at, { zone: timeZone }).startOf("week");
  const day = Math.floor(weekMinute / MINUTES_PER_DAY);
  const minuteOfDay = weekMinute % MINUTES_PER_DAY;
  return monday
    .plus({ days: day })
    .set({ hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 })
    .toJSDate();
}

export interface WeekSpan {
  startMinute: number;
  endMinute: number;
}

/** The slot covering a minute of the week, if any (slots never overlap). */
export function slotCovering<S extends WeekSpan>(slots: readonly S[], weekMinute: number): S | undefined {
  return slots.find((s) => s.startMinute <= weekMinute && weekMinute < s.endMinute);
}

/**
 * When who is on duty next changes after `at`, and the slot in force from then (undefined: a gap, nobody
 * on the rota). Undefined when the rota is empty, or one slot covers the whole week.
 */
export function nextRotaChange<S extends WeekSpan>(
  slots: readonly S[],
  at: Date,
  timeZone: string,
): { at: Date; slot: S | undefined } | undefined {
  const now = weekMinuteAt(at, timeZone);
  const bounds = new Set<number>();
  for (const s of slots) {
    bounds.add(s.startMinute);
    bounds.add(s.endMinute % MINUTES_PER_WEEK);
  }
  const current = slotCovering(slots, now);
  // Bounds ahead in this week first, then next week's (a boundary equal to now is next week's).
  const ordered = [...bounds].sort((a, b) => a - b);
  const candidates = [
    ...ordered.filter((m) => m > now).map((m) => ({ m, week: 0 })),
    ...ordered.filter((m) => m <= now).map((m) => ({ m, week: 1 })),
  ];
  for (const { m, week } of candidates) {
    const next = slotCovering(slots, m);
    // Two adjacent slots with the same people still make a change: the rota names slots, not people.
    if (next === current && next !== undefined) continue;
    if (next === undefined && current === undefined) continue;
    const base = week === 0 ? at : DateTime.fromJSDate(at, { zone: timeZone }).plus({ weeks: 1 }).toJSDate();
    return { at: instantOfWeekMinute(base, m, timeZone), slot: next };
  }
  return undefined;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** "08:00" for a minute of the day; 1440 reads "24:00" (the end of a day). */
export function formatMinuteOfDay(minuteOfDay: number): string {
  return `${pad(Math.floor(minuteOfDay / 60))}:${pad(minuteOfDay % 60)}`;
}

/** "lundi 08:00" for a start; an end at midnight reads as the previous day's "24:00". */
export function formatWeekMinute(weekMinute: number, asEnd = false): string {
  const m = asEnd && weekMinute > 0 && weekMinute % MINUTES_PER_DAY === 0 ? weekMinute - 1 : weekMinute;
  const day = Math.floor(m / MINUTES_PER_DAY) % 7;
  const minuteOfDay = asEnd && m !== weekMinute ? MINUTES_PER_DAY : weekMinute % MINUTES_PER_DAY;
  return `${WEEKDAY_NAMES[day]} ${formatMinuteOfDay(minuteOfDay)}`;
}

/** "lundi 08:00 – mardi 08:00". */
export function formatWeekSpan(span: WeekSpan): string {
  return `${formatWeekMinute(span.startMinute)} – ${formatWeekMinute(span.endMinute, true)}`;
}
