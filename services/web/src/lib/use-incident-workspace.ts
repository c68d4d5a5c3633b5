import type { Incident, LogEntry, LogVerification, ObservableList, Task } from "@pris/domain";
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, describeError } from "../api/client.ts";
import { useApp } from "../session.tsx";

export interface Workspace {
  incident: Incident;
  log: LogEntry[];
  observables: ObservableList["items"];
  /** The pole only. */
  tasks: Task[] | null;
  verification: LogVerification | null;
}

export type WorkspaceState =
  | { status: "loading" }
  | { status: "ready"; data: Workspace }
  | { status: "error"; message: string };

/** The main courante's entries after `after` (entries never change once written). */
async function readLog(id: string, after: number, signal?: AbortSignal): Promise<LogEntry[]> {
  const all: LogEntry[] = [];
  for (;;) {
    const page = await api.get<{ items: LogEntry[]; nextAfterSeq: number | null }>(
      `/incidents/${encodeURIComponent(id)}/log?limit=500&afterSeq=${after}`,
      { signal },
    );
    all.push(...page.items);
    if (page.nextAfterSeq === null || page.items.length === 0) return all;
    after = page.nextAfterSeq;
  }
}

/**
 * An incident with its main courante and observables (and, for the pole, its tasks and the chain's
 * verification). `reload` re-reads what is shown behind it, so the page never blanks: the incident,
 * observables and tasks, and only the log entries written since (they are append-only); the chain is
 * verified again only when it grew, not at every poll (the server re-hashes the whole chain).
 */
export function useIncidentWorkspace(id: string, pole: boolean) {
  const { expired } = useApp();
  const [state, setState] = useState<WorkspaceState>({ status: "loading" });
  const [refreshError, setRefreshError] = useState<string | null>(null);
  const generation = useRef(0);
  const shown = useRef<{ log: LogEntry[]; verification: LogVerification | null }>({
    log: [],
    verification: null,
  });

  const load = useCallback(
    async (signal?: AbortSignal) => {
      const mine = ++generation.current;
      const base = `/incidents/${encodeURIComponent(id)}`;
      try {
        const known = shown.current.log;
        const [incident, added, observables, tasks] = await Promise.all([
          api.get<Incident>(base, { signal }),
          readLog(id, known.at(-1)?.seq ?? 0, signal),
          api.get<ObservableList>(`${base}/observables`, { signal }).then((o) => o.items),
          pole
            ? api
                .get<{ items: Task[] }>(`${base}/tasks`, { signal })
                .then((t) => t.items)
                .catch(() => null)
            : Promise.resolve(null),
        ]);
        const log = added.length > 0 ? [...known, ...added] : known;
        const verification =
          pole && (added.length > 0 || !shown.current.verification)
            ? await api.get<LogVerification>(`${base}/log/verify`, { signal }).catch(() => null)
            : shown.current.verification;
        if (mine !== generation.current) return;
        shown.current = { log, verification };
        setRefreshError(null);
        setState({ status: "ready", data: { incident, log, observables, tasks, verification } });
      } catch (err) {
        if (signal?.aborted || mine !== generation.current) return;
        if (err instanceof ApiError && err.status === 401) return expired();
        const message = describeError(err);
        setState((s) => {
          if (s.status === "ready") {
            setRefreshError(message);
            return s;
          }
          return { status: "error", message };
        });
      }
    },
    [id, pole, expired],
  );

  useEffect(() => {
    const controller = new AbortController();
    shown.current = { log: [], verification: null };
    setState({ status: "loading" });
    void load(controller.signal);
    return () => controller.abort();
  }, [load]);

  const reload = useCallback(() => load(), [load]);
  return { state, reload, refreshError };
}
