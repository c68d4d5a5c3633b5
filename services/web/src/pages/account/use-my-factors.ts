import { useCallback, useState } from "react";
import { ApiError } from "../../api/client.ts";
import {
  factorErrorMessage,
  type MyFactors,
  type Session,
} from "../../components/second-factor/second-factor-api.ts";
import { useResource } from "../../lib/use-resource.ts";
import { useApp } from "../../session.tsx";

/**
 * One's factors, and the changes to them: a change refused for want of a recent second-factor check asks
 * for one (`recheck`), then is made again.
 */
export function useMyFactors() {
  const { signedIn } = useApp();
  const resource = useResource<MyFactors>("/auth/second-factor");
  const [recheck, setRecheck] = useState<null | (() => Promise<unknown>)>(null);
  const [message, setMessage] = useState<{ kind: "success" | "error"; text: string } | null>(null);

  const attempt = useCallback(
    async (action: () => Promise<unknown>, success: string) => {
      setMessage(null);
      try {
        await action();
        setMessage({ kind: "success", text: success });
        resource.reload();
      } catch (err) {
        if (
          err instanceof ApiError &&
          err.status === 403 &&
          err.problem.code === "recent_second_factor_required"
        ) {
          setRecheck(() => async () => {
            await action();
            setMessage({ kind: "success", text: success });
          });
          return;
        }
        setMessage({ kind: "error", text: factorErrorMessage(err) });
      }
    },
    [resource],
  );

  /** The second factor was checked again: the session is renewed, and the refused change made. */
  const rechecked = useCallback(
    async (session: Session) => {
      signedIn(session);
      const pending = recheck;
      setRecheck(null);
      if (pending) {
        try {
          await pending();
        } catch (err) {
          setMessage({ kind: "error", text: factorErrorMessage(err) });
        }
      }
      resource.reload();
    },
    [recheck, resource, signedIn],
  );

  /** Asks for the second factor, then runs `then`. */
  const confirmThen = useCallback((then: () => Promise<unknown>) => setRecheck(() => then), []);

  return {
    ...resource,
    attempt,
    confirmThen,
    recheck: recheck !== null,
    rechecked,
    cancelRecheck: () => setRecheck(null),
    message,
    setMessage,
  };
}
