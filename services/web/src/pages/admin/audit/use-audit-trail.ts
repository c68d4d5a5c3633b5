import type { AuditPage } from "@pris/domain";
import { useCallback, useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { API_BASE, api, describeError } from "../../../api/client.ts";
import { fromZonedInputValue } from "../../../lib/zoned-time.ts";

export const AUDIT_PATH = "/administration/journal";

/**
 * The trail's filters, kept in the address (a user's page links to its history): who acted, what kind of
 * object, which one, actions starting with, a period of days in the region's zone, text in the label.
 * `actorLabel` and `objectLabel` only name the person and the object in the page; the API is asked by id.
 */
export const AUDIT_FILTERS = [
  "actorUserId",
  "actorLabel",
  "objectKind",
  "objectId",
  "objectLabel",
  "action",
  "from",
  "to",
  "q",
] as const;
export type AuditFilter = (typeof AUDIT_FILTERS)[number];

/** The API's query for these filters: days become instants of the region (the "to" day included). */
export function auditQuery(params: URLSearchParams, timeZone: string): URLSearchParams {
  const q = new URLSearchParams();
  for (const key of ["actorUserId", "objectKind", "objectId", "action", "q"] as const) {
    const value = params.get(key)?.trim();
    if (value) q.set(key, value);
  }
  const from = params.get("from") ? fromZonedInputValue(`${params.get("from")}T00:00`, timeZone) : null;
  if (from) q.set("from", from.toISOString());
  const to = params.get("to") ? fromZonedInputValue(`${params.get("to")}T00:00`, timeZone) : null;
  if (to) q.set("to", new Date(to.getTime() + 86_400_000).toISOString());
  return q;
}

export function useAuditTrail(timeZone: string) {
  const [params, setParams] = useSearchParams();
  const [page, setPage] = useState<AuditPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const latest = useRef(0);
  const query = auditQuery(params, timeZone);
  const queryText = query.toString();

  const load = useCallback(
    (cursor: string | null) => {
      const request = cursor ? latest.current : ++latest.current;
      const q = new URLSearchParams(queryText);
      q.set("limit", "50");
      if (cursor) q.set("cursor", cursor);
      setLoading(true);
      api
        .get<AuditPage>(`/audit?${q}`)
        .then((p) => {
          if (request !== latest.current) return;
          setError(null);
          setPage((old) => (cursor && old ? { ...p, items: [...old.items, ...p.items] } : p));
        })
        .catch((err: unknown) => request === latest.current && setError(describeError(err)))
        .finally(() => request === latest.current && setLoading(false));
    },
    [queryText],
  );

  useEffect(() => load(null), [load]);

  const setFilters = useCallback(
    (changes: Partial<Record<AuditFilter, string | null>>) =>
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
      ),
    [setParams],
  );

  return {
    page,
    error,
    loading,
    more: () => page?.nextCursor && load(page.nextCursor),
    filter: (key: AuditFilter) => params.get(key) ?? "",
    setFilters,
    csvHref: `${API_BASE}/audit.csv${queryText ? `?${queryText}` : ""}`,
  };
}
