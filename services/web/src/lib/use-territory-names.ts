import { useCallback, useEffect, useState } from "react";
import { api } from "../api/client.ts";

/**
 * The region's territories by name: a territory's code is a key, not something to show. Until the list
 * has loaded (or if it cannot be read), nothing is shown rather than the code.
 */
export function useTerritoryNames(): (code: string) => string {
  const [names, setNames] = useState<Map<string, string> | null>(null);
  useEffect(() => {
    api
      .get<{ code: string; name: string }[]>("/territories")
      .then((list) => setNames(new Map(list.map((t) => [t.code, t.name]))))
      .catch(() => setNames(new Map()));
  }, []);
  return useCallback((code: string) => names?.get(code) ?? "", [names]);
}
