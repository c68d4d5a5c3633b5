import type { Invitation, InvitationStatus } from "@pris/domain";
import { useCallback, useEffect, useState } from "react";
import { ApiError, api, describeError } from "../../../api/client.ts";
import { useApp } from "../../../session.tsx";

interface InvitationPage {
  items: Invitation[];
  total: number;
  nextCursor: string | null;
}

export interface ListFilters {
  status: InvitationStatus | "";
  q: string;
}

export type ListState =
  | { status: "loading" }
  | { status: "ready"; items: Invitation[]; total: number; nextCursor: string | null; more: boolean }
  | { status: "error"; message: string };

const PAGE_SIZE = 25;

/**
 * The invitations the caller manages, newest first, a page at a time; `replace` puts back one
 * invitation as a write answered it (re-sent, cancelled) without reading the list again.
 */
export function useInvitationList(filters: ListFilters) {
  const { expired } = useApp();
  const [state, setState] = useState<ListState>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [moreError, setMoreError] = useState<string | null>(null);

  const query = useCallback(
    (cursor?: string) => {
      const sp = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (filters.status) sp.set("status", filters.status);
      if (filters.q) sp.set("q", filters.q);
      if (cursor) sp.set("cursor", cursor);
      return `/invitations?${sp}`;
    },
    [filters.status, filters.q],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: attempt re-runs the query on demand
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => (s.status === "ready" ? s : { status: "loading" }));
    api
      .get<InvitationPage>(query(), { signal: controller.signal })
      .then((page) => setState({ status: "ready", ...page, more: false }))
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) return expired();
        setState({
          status: "error",
          message:
            err instanceof ApiError && err.status === 403
              ? "Seuls l'administrateur, les analystes du pôle et le RSSI d'un GHT peuvent inviter."
              : describeError(err),
        });
      });
    return () => controller.abort();
  }, [query, expired, attempt]);

  async function loadMore() {
    if (state.status !== "ready" || !state.nextCursor) return;
    setMoreError(null);
    setState({ ...state, more: true });
    try {
      const page = await api.get<InvitationPage>(query(state.nextCursor));
      setState({
        status: "ready",
        items: [...state.items, ...page.items],
        total: page.total,
        nextCursor: page.nextCursor,
        more: false,
      });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return expired();
      setMoreError(describeError(err));
      setState({ ...state, more: false });
    }
  }

  const replace = useCallback((invitation: Invitation) => {
    setState((s) =>
      s.status === "ready"
        ? { ...s, items: s.items.map((i) => (i.id === invitation.id ? invitation : i)) }
        : s,
    );
  }, []);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { state, loadMore, moreError, replace, reload };
}
