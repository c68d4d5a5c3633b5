/**
 * Wall-clock times of the region (Indian/Reunion, Europe/Paris…), whatever the zone of the device:
 * a phone set to Paris time must still read and enter Réunion times for a Réunion incident.
 * The <input type="datetime-local"> value ("2026-03-02T14:05") is a wall time in the region's zone.
 */

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    partsFormatters.set(timeZone, f);
  }
  return f;
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTimeOf(date: Date, timeZone: string): WallTime {
  const get = (parts: Intl.DateTimeFormatPart[], type: Intl.DateTimeFormatPartTypes) =>
    Number(parts.find((p) => p.type === type)?.value ?? "0");
  const parts = partsFormatter(timeZone).formatToParts(date);
  return {
    year: get(parts, "year"),
    month: get(parts, "month"),
    day: get(parts, "day"),
    hour: get(parts, "hour") % 24,
    minute: get(parts, "minute"),
    second: get(parts, "second"),
  };
}

/** How far the zone is ahead of UTC at that instant, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  const w = wallTimeOf(new Date(instant), timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - (instant - (((instant % 1000) + 1000) % 1000));
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** "2026-03-02T14:05" as the region's clocks showed it at that instant. */
export function toZonedInputValue(date: Date, timeZone: string): string {
  const w = wallTimeOf(date, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

const LOCAL_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * The instant at which the region's clocks showed this wall time, or null if the text is not one.
 * In the hour skipped when clocks go forward the time is read with the offset in force before the
 * change (02:30 on a spring-forward night becomes 03:30); in the hour repeated in autumn, the first
 * occurrence is taken.
 */
export function fromZonedInputValue(value: string, timeZone: string): Date | null {
  const m = LOCAL_PATTERN.exec(value.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((s) => Number(s ?? "0")) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(wall).getUTCDate() !== day) return null; // 31 February and the like
  // Offsets either side of the instant: two candidates cover both sides of a DST change.
  const before = wall - offsetAt(wall - 86_400_000, timeZone);
  const after = wall - offsetAt(wall + 86_400_000, timeZone);
  const candidates = [before, after].filter((t) => toMinuteKey(t, timeZone) === toMinuteKey(wall, "UTC"));
  if (candidates.length > 0) return new Date(Math.min(...candidates));
  return new Date(before);
}

function toMinuteKey(instant: number, timeZone: string): string {
  const w = wallTimeOf(new Date(instant), timeZone);
  return `${w.year}-${w.month}-${w.day} ${w.hour}:${w.minute}:${w.second}`;
}

const displayFormatters = new Map<string, Intl.DateTimeFormat>();

function displayFormatter(key: string, timeZone: string, options: Intl.DateTimeFormatOptions) {
  const id = `${key}|${timeZone}`;
  let f = displayFormatters.get(id);
  if (!f) {
    f = new Intl.DateTimeFormat("fr-FR", { ...options, timeZone });
    displayFormatters.set(id, f);
  }
  return f;
}

/** "lundi 2 mars 2026 à 14:05" in the region's zone. */
export function formatLong(iso: string | Date, timeZone: string): string {
  return displayFormatter("long", timeZone, { dateStyle: "full", timeStyle: "short" }).format(new Date(iso));
}

/** "02/03/2026 14:05" in the region's zone. */
export function formatShort(iso: string | Date, timeZone: string): string {
  return displayFormatter("short", timeZone, { dateStyle: "short", timeStyle: "short" }).format(
    new Date(iso),
  );
}

const relative = new Intl.RelativeTimeFormat("fr-FR", { style: "short", numeric: "always" });

/**
 * "à l'instant", "il y a 3 min", "il y a 5 h", then "le 02/03/2026 14:05" in the region's zone once a day
 * has passed: how long ago something last happened, as a person reads it at a glance.
 */
export function formatSince(iso: string | Date, now: number, timeZone: string): string {
  const seconds = Math.max(0, (now - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return "à l'instant";
  if (seconds < 3600) return relative.format(-Math.floor(seconds / 60), "minute");
  if (seconds < 86_400) return relative.format(-Math.floor(seconds / 3600), "hour");
  return `le ${formatShort(iso, timeZone)}`;
}
