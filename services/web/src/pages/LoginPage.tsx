import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Link, Navigate, useLocation, useNavigate } from "react-router";
import { usePageTitle } from "../components/Layout.tsx";
import { LoginForm } from "../components/LoginForm.tsx";
import { PolePhoneLink } from "../components/PolePhone.tsx";
import { useApp } from "../session.tsx";

/** Where to go after login: only a path of this app, never another site. */
function safeReturnPath(value: string | null): string {
  return value?.startsWith("/") && !value.startsWith("//") ? value : "/";
}

export function LoginPage() {
  usePageTitle("Connexion");
  const { config, auth, signedIn } = useApp();
  const navigate = useNavigate();
  const location = useLocation();
  const query = new URLSearchParams(location.search);
  const back = safeReturnPath(query.get("retour"));
  const passwordJustSet = query.get("motif") === "second-facteur";

  const sso = config.ssoProviders ?? [];

  if (auth.status === "authenticated") return <Navigate to={back} replace />;

  return (
    <div className="fr-container fr-my-6w pris-narrow pris-login">
      <h1 className="fr-h2">Connexion</h1>
      <p>
        Connectez-vous pour déclarer un incident cyber au pôle régional de {config.regionName} ou suivre vos
        signalements.
      </p>
      {passwordJustSet && (
        <Alert
          severity="success"
          small
          className="fr-mb-3w"
          description="Votre mot de passe est enregistré. Connectez-vous avec lui : votre compte demande aussi un second facteur (clé d'accès ou code), que la connexion vous fera donner ou enregistrer."
        />
      )}
      {sso.length > 0 && (
        <section aria-labelledby="sso-title" className="fr-mb-4w">
          <h2 id="sso-title" className="fr-h5">
            Avec votre compte professionnel
          </h2>
          <ul className="fr-btns-group">
            {sso.map((p) => (
              <li key={p.name}>
                {/* A full navigation, not the app's router: the provider's page is another site. */}
                <a
                  className="fr-btn fr-btn--secondary"
                  href={`/api/v1/auth/oidc/${encodeURIComponent(p.name)}/start?retour=${encodeURIComponent(back)}`}
                >
                  Se connecter avec {p.label}
                </a>
              </li>
            ))}
          </ul>
          <h2 className="fr-h5">Ou avec votre mot de passe</h2>
        </section>
      )}
      <LoginForm
        autoFocus
        onSuccess={(session) => {
          signedIn(session);
          navigate(back, { replace: true });
        }}
      />
      <p className="fr-mt-3w">
        <Link to="/mot-de-passe-oublie" className="fr-link">
          Mot de passe oublié&nbsp;?
        </Link>
      </p>
      <p className="fr-text--sm fr-mt-4w pris-muted">
        Compte bloqué ou adresse changée&nbsp;? Contactez le pôle régional cyber. En cas d'attaque en cours,
        si vous ne pouvez pas vous connecter, appelez directement le pôle
        {config.poleEmergencyPhone ? (
          <>
            {" "}
            au <PolePhoneLink />
          </>
        ) : null}
        .
      </p>
    </div>
  );
}
