import { useCallback, useEffect, useState } from "react";
import { ApiError, api, describeError } from "../api/client.ts";
import { useApp } from "../session.tsx";

export type Resource<T> =
  | { status: "loading" }
  | { status: "ready"; data: T }
  | { status: "error"; message: string };

/**
 * One GET, read again when the path changes or on demand; a 401 signs out. `set` replaces the data with
 * what a write answered, so that a page shows the server's state without reading it twice.
 */
export function useResource<T>(path: string | null, forbidden = "Cette page ne vous est pas accessible.") {
  const { expired } = useApp();
  const [state, setState] = useState<Resource<T>>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: attempt re-runs the query on demand
  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    setState((s) => (s.status === "ready" ? s : { status: "loading" }));
    api
      .get<T>(path, { signal: controller.signal })
      .then((data) => setState({ status: "ready", data }))
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) return expired();
        setState({
          status: "error",
          message: err instanceof ApiError && err.status === 403 ? forbidden : describeError(err),
        });
      });
    return () => controller.abort();
  }, [path, attempt, expired, forbidden]);
  const reload = useCallback(() => setAttempt((a) => a + 1), []);
  const set = useCallback((data: T) => setState({ status: "ready", data }), []);
  return { state, reload, set };
}
