import { useEffect, useState } from "react";

/** The current time, ticking every `intervalMs` (countdowns move on while the page stays open). */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

function duration(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes < 1) return "< 1 min";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    const rest = minutes % 60;
    return rest ? `${hours} h ${String(rest).padStart(2, "0")}` : `${hours} h`;
  }
  const days = Math.floor(hours / 24);
  const restH = hours % 24;
  return restH ? `${days} j ${restH} h` : `${days} j`;
}

/** "dans 2 h 15" or "dépassée de 35 min", for a deadline. */
export function countdown(dueAt: string | Date, now: number): { text: string; overdue: boolean } {
  const ms = new Date(dueAt).getTime() - now;
  return ms >= 0
    ? { text: `dans ${duration(ms)}`, overdue: false }
    : { text: `dépassée de ${duration(ms)}`, overdue: true };
}

/** A median time as people say it: "2 h 05", "3 j 4 h". */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return "—";
  return duration(seconds * 1000);
}
