import { QUEUE_EVENTS, type QueueChangedEvent, type QueueDeclaredEvent } from "@pris/domain";
import { useEffect, useRef } from "react";
import { API_BASE } from "../api/client.ts";

export type QueueEvent =
  | { type: "declared"; data: QueueDeclaredEvent }
  | { type: "changed"; data: QueueChangedEvent }
  /** The stream (re)opened or the server may have missed notifications: re-read everything. */
  | { type: "resync" };

/**
 * The pole's live feed (server-sent events, authenticated by the session cookie). EventSource
 * reconnects by itself; every (re)connection is reported as a resync since nothing is replayed.
 */
export function useQueueEvents(enabled: boolean, onEvent: (event: QueueEvent) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;

  useEffect(() => {
    if (!enabled || typeof EventSource === "undefined") return;
    const source = new EventSource(`${API_BASE}/queue/events`, { withCredentials: true });
    const parse = (e: MessageEvent) => {
      try {
        return JSON.parse(e.data as string);
      } catch {
        return null;
      }
    };
    // What committed between the page's first read and the stream opening is only caught by a re-read.
    source.onopen = () => handler.current({ type: "resync" });
    source.addEventListener(QUEUE_EVENTS.declared, (e) => {
      const data = parse(e as MessageEvent);
      if (data?.id) handler.current({ type: "declared", data });
    });
    source.addEventListener(QUEUE_EVENTS.changed, (e) => {
      const data = parse(e as MessageEvent);
      if (data?.id) handler.current({ type: "changed", data });
    });
    source.addEventListener(QUEUE_EVENTS.resync, () => handler.current({ type: "resync" }));
    return () => source.close();
  }, [enabled]);
}

export const isPole = (role: string) => role === "analyst" || role === "taskforce";
