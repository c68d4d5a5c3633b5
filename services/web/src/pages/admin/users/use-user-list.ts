import type { UserPage } from "@pris/domain";
import { useCallback, useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { api } from "../../../api/client.ts";
import { describeUserProblem } from "./user-problems.ts";

/** The list's filters live in the address, so that coming back from a user finds the list as it was left. */
export const FILTER_KEYS = ["q", "role", "active", "ghtId", "establishmentId", "establishmentName"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export function useUserList() {
  const [params, setParams] = useSearchParams();
  const [page, setPage] = useState<UserPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const latest = useRef(0);

  const query = params.toString();
  const apiQuery = useCallback(
    (cursor: string | null) => {
      const q = new URLSearchParams({ limit: "50" });
      for (const key of FILTER_KEYS) {
        const value = params.get(key);
        if (value && key !== "establishmentName") q.set(key, value);
      }
      if (cursor) q.set("cursor", cursor);
      return `/users?${q}`;
    },
    [params],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: the address's query is what is listed
  useEffect(() => {
    const request = ++latest.current;
    setLoading(true);
    api
      .get<UserPage>(apiQuery(null))
      .then((p) => {
        if (request !== latest.current) return;
        setPage(p);
        setError(null);
      })
      .catch((err: unknown) => request === latest.current && setError(describeUserProblem(err)))
      .finally(() => request === latest.current && setLoading(false));
  }, [query]);

  const more = useCallback(() => {
    if (!page?.nextCursor) return;
    const request = latest.current;
    setLoading(true);
    api
      .get<UserPage>(apiQuery(page.nextCursor))
      .then((p) => {
        if (request !== latest.current) return;
        setPage((old) => (old ? { ...p, items: [...old.items, ...p.items] } : p));
      })
      .catch((err: unknown) => setError(describeUserProblem(err)))
      .finally(() => setLoading(false));
  }, [page, apiQuery]);

  const setFilters = useCallback(
    (changes: Partial<Record<FilterKey, string | null>>) => {
      setParams(
        (old) => {
          const next = new URLSearchParams(old);
          for (const [key, value] of Object.entries(changes)) {
            if (value) next.set(key, value);
            else next.delete(key);
          }
          return next;
        },
        { replace: true },
      );
    },
    [setParams],
  );

  const filter = (key: FilterKey) => params.get(key) ?? "";
  return { page, error, loading, more, filter, setFilters };
}
