import type { Incident } from "@pris/domain";
import { useCallback, useEffect, useState } from "react";
import { ApiError, api, describeError } from "../api/client.ts";
import { useApp } from "../session.tsx";

export type IncidentState =
  | { status: "loading" }
  | { status: "ready"; incident: Incident }
  | { status: "error"; message: string; retry(): void };

/** GET /incidents/:id; the page may hand over the incident it already has (right after declaring it). */
export function useIncident(id: string, given?: Incident): IncidentState {
  const { expired } = useApp();
  const [state, setState] = useState<IncidentState>(
    given ? { status: "ready", incident: given } : { status: "loading" },
  );
  const [attempt, setAttempt] = useState(0);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  // A given incident is shown at once and refreshed behind it (history state survives a reload,
  // so it may be hours old: clock states move on).
  useEffect(() => {
    const controller = new AbortController();
    if (!given || attempt > 0) setState({ status: "loading" });
    api
      .get<Incident>(`/incidents/${encodeURIComponent(id)}`, { signal: controller.signal })
      .then((incident) => setState({ status: "ready", incident }))
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) return expired();
        // Keep showing what we were given when only the refresh failed.
        if (given && attempt === 0) return;
        setState({ status: "error", message: describeError(err), retry });
      });
    return () => controller.abort();
  }, [id, given, attempt, expired, retry]);

  return state;
}
