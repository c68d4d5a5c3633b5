import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import {
  PASSWORD_RESET_LINK_PROBLEMS,
  type PasswordResetLink,
  type PasswordResetLinkProblem,
  type Session,
  type SignInWithSecondFactor,
} from "@pris/domain";
import { type FormEvent, useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError, api, describeError } from "../api/client.ts";
import { usePageTitle } from "../components/Layout.tsx";
import { NewPasswordFields, passwordRefusal } from "../components/NewPasswordFields.tsx";
import { formatLong } from "../lib/zoned-time.ts";
import { useApp } from "../session.tsx";

type State =
  | { status: "loading" }
  | { status: "ready"; link: PasswordResetLink }
  | { status: "refused"; message: string };

/** Why the link cannot be used (invalid, expired, used), in the words the API gives for each reason. */
function linkRefusal(err: unknown): string | null {
  if (err instanceof ApiError && Object.hasOwn(PASSWORD_RESET_LINK_PROBLEMS, err.problem.code)) {
    return PASSWORD_RESET_LINK_PROBLEMS[err.problem.code as PasswordResetLinkProblem];
  }
  return null;
}

/**
 * The page a reset link opens, without login: the new password, with the meter. Setting it ends every
 * session of the person and signs them in here.
 */
export function ResetPasswordPage() {
  const { token = "" } = useParams();
  usePageTitle("Nouveau mot de passe");
  const { config, signedIn } = useApp();
  const navigate = useNavigate();
  const [state, setState] = useState<State>({ status: "loading" });
  const [password, setPassword] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const path = `/auth/password-reset/${encodeURIComponent(token)}`;

  useEffect(() => {
    api.get<PasswordResetLink>(path).then(
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
      const session = await api.post<Session | SignInWithSecondFactor>(path, { password });
      // The account owes a second factor: the login asks for it (no session is opened here).
      if ("signIn" in session) {
        navigate("/connexion?motif=second-facteur", { replace: true });
        return;
      }
      signedIn(session);
      navigate("/", { replace: true });
    } catch (err) {
      const refusal = linkRefusal(err);
      if (refusal) setState({ status: "refused", message: refusal });
      else setError(passwordRefusal(err, "/password") ?? describeError(err));
    } finally {
      setBusy(false);
    }
  }

  if (state.status === "loading") return <p className="fr-container fr-my-4w">Chargement…</p>;
  if (state.status === "refused")
    return (
      <div className="fr-container fr-my-6w pris-narrow">
        <h1 className="fr-h3">Nouveau mot de passe</h1>
        <Alert severity="error" title="Lien inutilisable" description={state.message} className="fr-mb-3w" />
        <ul className="fr-links-group">
          <li>
            <Link to="/mot-de-passe-oublie" className="fr-link">
              Demander un nouveau lien
            </Link>
          </li>
          <li>
            <Link to="/connexion" className="fr-link">
              Aller à la page de connexion
            </Link>
          </li>
        </ul>
      </div>
    );
  const { link } = state;
  return (
    <div className="fr-container fr-my-6w pris-narrow">
      <h1 className="fr-h3">Choisissez un nouveau mot de passe</h1>
      <p>
        Compte&nbsp;: <strong>{link.email}</strong>
        <br />
        <span className="fr-text--sm pris-muted">
          Ce lien expire le {formatLong(link.expiresAt, config.timeZone)}. Une fois le mot de passe changé,
          toutes vos sessions ouvertes seront fermées.
        </span>
      </p>
      <form onSubmit={submit} noValidate>
        <input type="email" name="username" autoComplete="username" value={link.email} readOnly hidden />
        <NewPasswordFields
          idPrefix="reset-password"
          label="Nouveau mot de passe"
          password={password}
          confirmation={confirmation}
          onPassword={setPassword}
          onConfirmation={setConfirmation}
          person={{ email: link.email, displayName: link.displayName }}
        />
        {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
        <Button type="submit" disabled={busy}>
          Enregistrer et me connecter
        </Button>
      </form>
    </div>
  );
}
