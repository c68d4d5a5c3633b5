import type { Session, SignInWithSecondFactor } from "@pris/domain";
import { type FormEvent, useEffect, useState } from "react";
import { useNavigate } from "react-router";
import { ApiError, api, describeError } from "../api/client.ts";
import { passwordRefusal } from "../components/NewPasswordFields.tsx";
import { useApp } from "../session.tsx";

export type LinkState<L> =
  | { status: "loading" }
  | { status: "ready"; link: L }
  | { status: "refused"; message: string };

/**
 * A page opened from an e-mailed link that sets a password (an invitation, a reset): the link checked
 * first, the password typed twice, then sent. Signed in on success — or sent to the login when the
 * account owes a second factor. `problems` are the API's French words for a link that no longer works;
 * `conflict` what to say of a 409, if the route has one.
 */
export function useLinkPassword<L>(options: {
  path: string;
  submitPath: string;
  problems: Readonly<Record<string, string>>;
  conflict?: string;
}) {
  const { path, submitPath, problems, conflict } = options;
  const { signedIn } = useApp();
  const navigate = useNavigate();
  const [state, setState] = useState<LinkState<L>>({ status: "loading" });
  const [password, setPassword] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const linkRefusal = (err: unknown): string | null =>
    err instanceof ApiError && Object.hasOwn(problems, err.problem.code) ? problems[err.problem.code]! : null;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the problems table is a constant of the page
  useEffect(() => {
    api.get<L>(path).then(
      (link) => setState({ status: "ready", link }),
      (err: unknown) => setState({ status: "refused", message: linkRefusal(err) ?? describeError(err) }),
    );
  }, [path]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (password !== confirmation) {
      setError("Les deux mots de passe ne sont pas identiques.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post<Session | SignInWithSecondFactor>(submitPath, { password });
      // The account owes a second factor: the login asks for it (no session is opened here).
      if ("signIn" in answer) {
        navigate("/connexion?motif=second-facteur", { replace: true });
        return;
      }
      signedIn(answer);
      navigate("/", { replace: true });
    } catch (err) {
      const refusal = linkRefusal(err);
      if (refusal) setState({ status: "refused", message: refusal });
      else if (conflict && err instanceof ApiError && err.status === 409) setError(conflict);
      else setError(passwordRefusal(err, "/password") ?? describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return { state, password, setPassword, confirmation, setConfirmation, error, busy, submit };
}
