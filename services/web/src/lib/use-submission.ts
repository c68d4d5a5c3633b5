import { useCallback, useState } from "react";
import { describeProblem } from "../api/client.ts";

/**
 * What every small form of the incident page does around its request: busy while it runs, the API's
 * problem in French when it fails, nothing left over when it succeeds.
 */
export function useSubmission() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(describeProblem(err));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}
