import { useEffect } from "react";

/** How often an open incident page re-reads what it shows while in view. */
export const POLL_MS = 10_000;

/** Re-reads every `everyMs` while the page is in view (not in a background tab). */
export function usePolling(reload: () => unknown, everyMs: number) {
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void reload();
    }, everyMs);
    return () => clearInterval(timer);
  }, [reload, everyMs]);
}
