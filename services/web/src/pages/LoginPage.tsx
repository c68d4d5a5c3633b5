import { Link, Navigate, useLocation, useNavigate } from "react-router";
import { usePageTitle } from "../components/Layout.tsx";
import { LoginForm } from "../components/LoginForm.tsx";
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
  const back = safeReturnPath(new URLSearchParams(location.search).get("retour"));

  if (auth.status === "authenticated") return <Navigate to={back} replace />;

  return (
    <div className="fr-container fr-my-6w pris-narrow pris-login">
      <h1 className="fr-h2">Connexion</h1>
      <p>
        Connectez-vous pour déclarer un incident cyber au pôle régional de {config.regionName} ou suivre vos
        signalements.
      </p>
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
        appelez directement le pôle si vous ne pouvez pas vous connecter.
      </p>
    </div>
  );
}
