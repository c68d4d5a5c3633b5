import { useCallback, useState } from "react";
import { describeProblem } from "../api/client.ts";

/**
 * What every small form of the incident page does around its request: busy while it runs, the API's
 * problem in French when it fails, nothing left over when it succeeds. `describe` words the failure
 * (the API's problem by default; a page may pass its own, as the exercise pages do).
 */
export function useSubmission(describe: (err: unknown) => string = describeProblem) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (work: () => Promise<void>) => {
      setBusy(true);
      setError(null);
      try {
        await work();
      } catch (err) {
        setError(describe(err));
      } finally {
        setBusy(false);
      }
    },
    [describe],
  );
  return { busy, error, setError, run };
}
