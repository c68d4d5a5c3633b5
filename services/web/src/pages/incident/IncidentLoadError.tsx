import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";

/** The incident could not be read: say so, offer to try again or go back to the list. */
export function IncidentLoadError({ message, retry }: { message: string; retry(): void }) {
  return (
    <div className="fr-container fr-my-6w pris-narrow">
      <Alert severity="error" title="Signalement indisponible" description={message} className="fr-mb-3w" />
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <Button onClick={retry} iconId="fr-icon-refresh-line">
            Réessayer
          </Button>
        </li>
        <li>
          <Button priority="secondary" linkProps={{ to: "/incidents" }}>
            Mes signalements
          </Button>
        </li>
      </ul>
    </div>
  );
}
