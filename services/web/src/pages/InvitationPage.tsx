import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import {
  INVITATION_LINK_PROBLEMS,
  type InvitationLink,
  type InvitationLinkProblem,
  ROLE_LABELS,
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
  | { status: "ready"; link: InvitationLink }
  | { status: "refused"; message: string };

/** Why the link cannot be used, in the words the API gives for each reason. */
function linkRefusal(err: unknown): string | null {
  if (err instanceof ApiError && Object.hasOwn(INVITATION_LINK_PROBLEMS, err.problem.code)) {
    return INVITATION_LINK_PROBLEMS[err.problem.code as InvitationLinkProblem];
  }
  return null;
}

/**
 * The page an invitation's link opens, without login: who is invited, and the password they choose
 * (twice). Accepting creates the account and signs them in; they land on their role's home page.
 */
export function InvitationPage() {
  const { token = "" } = useParams();
  usePageTitle("Invitation à rejoindre PRIS");
  const { config, signedIn } = useApp();
  const navigate = useNavigate();
  const [state, setState] = useState<State>({ status: "loading" });
  const [password, setPassword] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const path = `/invitation-links/${encodeURIComponent(token)}`;

  useEffect(() => {
    api.get<InvitationLink>(path).then(
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
      const session = await api.post<Session | SignInWithSecondFactor>(`${path}/accept`, { password });
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
      else if (err instanceof ApiError && err.status === 409)
        setError("Un compte existe déjà avec cette adresse\u00a0: connectez-vous avec votre mot de passe.");
      else setError(passwordRefusal(err, "/password") ?? describeError(err));
    } finally {
      setBusy(false);
    }
  }

  if (state.status === "loading") return <p className="fr-container fr-my-4w">Chargement…</p>;
  if (state.status === "refused")
    return (
      <div className="fr-container fr-my-6w pris-narrow">
        <h1 className="fr-h3">Invitation à rejoindre PRIS</h1>
        <Alert severity="error" title="Lien inutilisable" description={state.message} className="fr-mb-3w" />
        <p>
          <Link to="/connexion" className="fr-link">
            Aller à la page de connexion
          </Link>
        </p>
      </div>
    );
  const { link } = state;
  const scope = link.establishmentName ?? (link.ghtName ? `les établissements du ${link.ghtName}` : null);
  return (
    <div className="fr-container fr-my-6w pris-narrow">
      <h1 className="fr-h3">Bienvenue dans PRIS, {link.displayName}</h1>
      <p>
        Vous êtes invité à rejoindre PRIS, le point de contact régional cyber santé de {config.regionName}, en
        tant que <strong>{ROLE_LABELS[link.role]}</strong>
        {scope ? (
          <>
            {" "}
            pour <strong>{scope}</strong>
          </>
        ) : null}
        .
      </p>
      <p>
        Votre identifiant&nbsp;: <strong>{link.email}</strong>
        <br />
        <span className="fr-text--sm pris-muted">
          Ce lien expire le {formatLong(link.expiresAt, config.timeZone)}.
        </span>
      </p>
      <form onSubmit={submit} noValidate>
        <input type="email" name="username" autoComplete="username" value={link.email} readOnly hidden />
        <NewPasswordFields
          idPrefix="invitation-password"
          label="Choisissez votre mot de passe"
          password={password}
          confirmation={confirmation}
          onPassword={setPassword}
          onConfirmation={setConfirmation}
          person={{ email: link.email, displayName: link.displayName }}
        />
        {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
        <Button type="submit" disabled={busy}>
          Activer mon compte
        </Button>
      </form>
    </div>
  );
}
