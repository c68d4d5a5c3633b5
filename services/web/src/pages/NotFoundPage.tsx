import { Button } from "@codegouvfr/react-dsfr/Button";
import { usePageTitle } from "../components/Layout.tsx";

export function NotFoundPage() {
  usePageTitle("Page introuvable");
  return (
    <div className="fr-container fr-my-6w pris-narrow">
      <h1 className="fr-h2">Page introuvable</h1>
      <p>La page que vous cherchez n'existe pas ou a été déplacée.</p>
      <Button linkProps={{ to: "/" }}>Retour à l'accueil</Button>
    </div>
  );
}
