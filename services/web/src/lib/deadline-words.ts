import type { ClockKind, ClockView } from "@pris/domain";
import { countdown } from "./countdown.ts";

/**
 * Deadlines as a person says them in French, in the region's zone: "aujourd'hui à 15 h 10",
 * "demain à 9 h", "le lundi 7 décembre à 9 h 10", the year only when it is not this one. Hours are
 * written "9 h 10" like the countdowns of the queue and the incident page ("dans 2 h 15").
 */

const formats = new Map<string, Intl.DateTimeFormat>();

function format(key: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const id = `${key}|${timeZone}`;
  let f = formats.get(id);
  if (!f) {
    f = new Intl.DateTimeFormat("fr-FR", { ...options, timeZone });
    formats.set(id, f);
  }
  return f;
}

function parts(f: Intl.DateTimeFormat, at: Date): Partial<Record<Intl.DateTimeFormatPartTypes, string>> {
  return Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
}

/** Days between the calendar days of two instants, as the region's clocks show them. */
function dayNumber(at: Date, timeZone: string): number {
  const p = parts(format("ymd", timeZone, { year: "numeric", month: "numeric", day: "numeric" }), at);
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day)) / 86_400_000;
}

/** "9 h 10", "14 h", "0 h 05". */
export function formatHour(at: Date, timeZone: string): string {
  const p = parts(format("hm", timeZone, { hour: "numeric", minute: "2-digit", hourCycle: "h23" }), at);
  const hour = Number(p.hour) % 24;
  return p.minute === "00" ? `${hour} h` : `${hour} h ${p.minute}`;
}

/**
 * "aujourd'hui à 9 h 10", "demain à 9 h 10", "hier à 9 h 10", or "le lundi 7 décembre à 9 h 10"
 * ("le vendredi 1er janvier 2027 à 9 h" in another year).
 */
export function formatWhen(iso: string | Date, timeZone: string, now: Date | number): string {
  const at = new Date(iso);
  const today = new Date(now);
  const time = formatHour(at, timeZone);
  const days = dayNumber(at, timeZone) - dayNumber(today, timeZone);
  if (days === 0) return `aujourd'hui à ${time}`;
  if (days === 1) return `demain à ${time}`;
  if (days === -1) return `hier à ${time}`;
  const long = format("day", timeZone, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  const p = parts(long, at);
  const thisYear = parts(long, today).year;
  const day = p.day === "1" ? "1er" : p.day;
  return `le ${p.weekday} ${day} ${p.month}${p.year === thisYear ? "" : ` ${p.year}`} à ${time}`;
}

/** What to do, as the confirmation page says it, per regulatory clock. */
export const CLOCK_TODO: Record<ClockKind, string> = {
  national_portal: "À faire tout de suite",
  gdpr_cnil: "À faire dans les 72 heures",
  nis2_early_warning: "À faire dans les 24 heures",
  nis2_notification: "À faire dans les 72 heures",
  nis2_final_report: "À faire dans le mois qui suit la notification",
};

/**
 * One clock in a sentence, split so that the page can set the date in bold:
 * "À faire tout de suite, au plus tard | demain à 9 h 10 | (dans 23 h 50)."
 */
export function clockSentence(
  clock: Pick<ClockView, "kind" | "dueAt" | "doneAt" | "provisional">,
  timeZone: string,
  now: Date | number,
): { lead: string; when: string; tail: string } {
  if (clock.doneAt) return { lead: "Fait", when: formatWhen(clock.doneAt, timeZone, now), tail: "." };
  const todo = CLOCK_TODO[clock.kind];
  const when = formatWhen(clock.dueAt, timeZone, now);
  const left = countdown(clock.dueAt, new Date(now).getTime());
  if (left.overdue) {
    return { lead: "À faire tout de suite : l'échéance était", when, tail: ` (${left.text}).` };
  }
  return {
    lead: `${todo}, au plus tard`,
    when,
    tail: clock.provisional ? " (date provisoire)." : ` (${left.text}).`,
  };
}
