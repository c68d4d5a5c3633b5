/**
 * What "new" means for shared RETEX, without a table: this browser remembers, per account, when its user
 * last looked at the list (the newest RETEX then shown). Before the first visit, the last 30 days count
 * as new. Another browser keeps its own marker: at worst a RETEX is announced once more there.
 */
const FIRST_VISIT_WINDOW_MS = 30 * 24 * 3600 * 1000;

const key = (userId: string) => `pris.retex.seenAt.${userId}`;

export function retexSeenSince(userId: string, now = Date.now()): string {
  try {
    const stored = window.localStorage.getItem(key(userId));
    if (stored && !Number.isNaN(Date.parse(stored))) return stored;
  } catch {
    // Storage refused (private mode, quota): fall back to the window.
  }
  return new Date(now - FIRST_VISIT_WINDOW_MS).toISOString();
}

/** The list was seen up to this RETEX (its sharing instant); never moves the marker back. */
export function markRetexSeen(userId: string, sharedAt: string): void {
  try {
    const stored = window.localStorage.getItem(key(userId));
    if (stored && Date.parse(stored) >= Date.parse(sharedAt)) return;
    window.localStorage.setItem(key(userId), sharedAt);
  } catch {
    // Nothing to remember then.
  }
}
