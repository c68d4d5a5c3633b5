import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";

/** A list that could not be read: what went wrong, in French, and a way to try again. */
export function LoadError({ title, message, retry }: { title: string; message: string; retry(): void }) {
  return (
    <>
      <Alert severity="error" title={title} description={message} className="fr-mb-2w" />
      <Button onClick={retry} iconId="fr-icon-refresh-line">
        Réessayer
      </Button>
    </>
  );
}
