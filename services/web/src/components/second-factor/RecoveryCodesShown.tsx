import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";

/** The ten recovery codes, shown once: only their digests are kept. */
export function RecoveryCodesShown(props: { codes: string[]; onDone(): void }) {
  return (
    <section aria-labelledby="recovery-title">
      <h2 id="recovery-title" className="fr-h4">
        Vos codes de secours
      </h2>
      <Alert
        severity="warning"
        small
        description="Notez ces dix codes et gardez-les en lieu sûr, hors de cet appareil. Ils ne seront plus affichés. Chacun permet une seule connexion si vous perdez votre clé d'accès ou votre téléphone."
        className="fr-mb-3w"
      />
      <ol className="pris-recovery-codes" data-testid="recovery-codes">
        {props.codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <Button onClick={props.onDone}>J'ai noté mes codes</Button>
    </section>
  );
}
