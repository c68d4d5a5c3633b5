import type { OnCallNow, OnCallPerson, OnCallSlot, OnCallSlotCreate, OnCallSlotPatch } from "@pris/domain";
import { useCallback, useEffect, useState } from "react";
import { ApiError, api, describeError } from "../../../api/client.ts";
import { useApp } from "../../../session.tsx";

export interface RosterData {
  slots: OnCallSlot[];
  now: OnCallNow;
  candidates: OnCallPerson[];
}

export type RosterState =
  | { status: "loading" }
  | { status: "ready"; data: RosterData }
  | { status: "error"; message: string };

/** The rota, who is on duty now and who may be put on it; read again after every change. */
export function useRoster() {
  const { expired } = useApp();
  const [state, setState] = useState<RosterState>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: attempt re-runs the queries on demand
  useEffect(() => {
    const controller = new AbortController();
    const signal = controller.signal;
    Promise.all([
      api.get<{ slots: OnCallSlot[] }>("/on-call/slots", { signal }),
      api.get<OnCallNow>("/on-call/now", { signal }),
      api.get<OnCallPerson[]>("/on-call/candidates", { signal }),
    ]).then(
      ([rota, now, candidates]) =>
        setState({ status: "ready", data: { slots: rota.slots, now, candidates } }),
      (err: unknown) => {
        if (signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) return expired();
        setState({ status: "error", message: describeError(err) });
      },
    );
    return () => controller.abort();
  }, [attempt, expired]);

  const reload = useCallback(() => setAttempt((a) => a + 1), []);
  const create = useCallback(
    async (body: OnCallSlotCreate) => {
      await api.post<OnCallSlot>("/on-call/slots", body);
      reload();
    },
    [reload],
  );
  const update = useCallback(
    async (id: string, body: OnCallSlotPatch) => {
      await api.patch<OnCallSlot>(`/on-call/slots/${id}`, body);
      reload();
    },
    [reload],
  );
  const remove = useCallback(
    async (id: string) => {
      await api.delete<void>(`/on-call/slots/${id}`);
      reload();
    },
    [reload],
  );
  return { state, reload, create, update, remove };
}
