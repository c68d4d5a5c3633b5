import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { INVITATION_LINK_PROBLEMS, type InvitationLink, ROLE_LABELS } from "@pris/domain";
import { Link, useParams } from "react-router";
import { usePageTitle } from "../components/Layout.tsx";
import { NewPasswordFields } from "../components/NewPasswordFields.tsx";
import { useLinkPassword } from "../lib/use-link-password.ts";
import { formatLong } from "../lib/zoned-time.ts";
import { useApp } from "../session.tsx";

/**
 * The page an invitation's link opens, without login: who is invited, and the password they choose
 * (twice). Accepting creates the account and signs them in; they land on their role's home page.
 */
export function InvitationPage() {
  const { token = "" } = useParams();
  usePageTitle("Invitation à rejoindre PRIS");
  const { config } = useApp();
  const { state, password, setPassword, confirmation, setConfirmation, error, busy, submit } =
    useLinkPassword<InvitationLink>({
      path: `/invitation-links/${encodeURIComponent(token)}`,
      submitPath: `/invitation-links/${encodeURIComponent(token)}/accept`,
      problems: INVITATION_LINK_PROBLEMS,
      conflict: "Un compte existe déjà avec cette adresse\u00a0: connectez-vous avec votre mot de passe.",
    });

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
