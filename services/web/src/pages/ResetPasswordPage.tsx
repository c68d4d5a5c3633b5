import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { PASSWORD_RESET_LINK_PROBLEMS, type PasswordResetLink } from "@pris/domain";
import { Link, useParams } from "react-router";
import { usePageTitle } from "../components/Layout.tsx";
import { NewPasswordFields } from "../components/NewPasswordFields.tsx";
import { useLinkPassword } from "../lib/use-link-password.ts";
import { formatLong } from "../lib/zoned-time.ts";
import { useApp } from "../session.tsx";

/**
 * The page a reset link opens, without login: the new password, with the meter. Setting it ends every
 * session of the person and signs them in here.
 */
export function ResetPasswordPage() {
  const { token = "" } = useParams();
  usePageTitle("Nouveau mot de passe");
  const { config } = useApp();
  const { state, password, setPassword, confirmation, setConfirmation, error, busy, submit } =
    useLinkPassword<PasswordResetLink>({
      path: `/auth/password-reset/${encodeURIComponent(token)}`,
      submitPath: `/auth/password-reset/${encodeURIComponent(token)}`,
      problems: PASSWORD_RESET_LINK_PROBLEMS,
    });

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
