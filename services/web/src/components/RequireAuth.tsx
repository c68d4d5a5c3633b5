import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Navigate, Outlet, useLocation } from "react-router";
import { useApp } from "../session.tsx";

/** Pages behind a session: the login page otherwise, coming back here afterwards. */
export function RequireAuth() {
  const { auth, reloadSession } = useApp();
  const location = useLocation();
  if (auth.status === "loading") {
    return (
      <p className="fr-container fr-my-6w" aria-live="polite">
        Chargement…
      </p>
    );
  }
  if (auth.status === "unreachable") {
    return (
      <div className="fr-container fr-my-6w pris-narrow">
        <Alert
          severity="warning"
          title="Service injoignable"
          description="Impossible de vérifier votre connexion au service. Vérifiez votre réseau (Wi-Fi ou données mobiles). Une déclaration en cours reste conservée sur cet appareil."
          className="fr-mb-3w"
        />
        <Button iconId="fr-icon-refresh-line" onClick={() => void reloadSession()}>
          Réessayer
        </Button>
      </div>
    );
  }
  if (auth.status === "anonymous") {
    const back = `${location.pathname}${location.search}`;
    return (
      <Navigate to={back === "/" ? "/connexion" : `/connexion?retour=${encodeURIComponent(back)}`} replace />
    );
  }
  return <Outlet />;
}
