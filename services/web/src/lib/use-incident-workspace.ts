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

async function readLog(id: string, signal?: AbortSignal): Promise<LogEntry[]> {
  const all: LogEntry[] = [];
  let after = 0;
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
 * verification). `reload` re-reads everything behind what is shown: the page never blanks.
 */
export function useIncidentWorkspace(id: string, pole: boolean) {
  const { expired } = useApp();
  const [state, setState] = useState<WorkspaceState>({ status: "loading" });
  const [refreshError, setRefreshError] = useState<string | null>(null);
  const generation = useRef(0);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      const mine = ++generation.current;
      const base = `/incidents/${encodeURIComponent(id)}`;
      try {
        const [incident, log, observables, tasks, verification] = await Promise.all([
          api.get<Incident>(base, { signal }),
          readLog(id, signal),
          api.get<ObservableList>(`${base}/observables`, { signal }).then((o) => o.items),
          pole
            ? api
                .get<{ items: Task[] }>(`${base}/tasks`, { signal })
                .then((t) => t.items)
                .catch(() => null)
            : Promise.resolve(null),
          pole
            ? api.get<LogVerification>(`${base}/log/verify`, { signal }).catch(() => null)
            : Promise.resolve(null),
        ]);
        if (mine !== generation.current) return;
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
    setState({ status: "loading" });
    void load(controller.signal);
    return () => controller.abort();
  }, [load]);

  const reload = useCallback(() => load(), [load]);
  return { state, reload, refreshError };
}
