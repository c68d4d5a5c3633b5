import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import type { User } from "@pris/domain";
import { useState } from "react";
import { api } from "../../../api/client.ts";
import { useSubmission } from "../../../lib/use-submission.ts";
import { describeUserProblem } from "./user-problems.ts";

/** A person who lost their passkey, phone and recovery codes: the administrator removes their factors. */
export function SecondFactorReset({ user, onDone }: { user: User; onDone(): void }) {
  const [confirming, setConfirming] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const { busy, error, run } = useSubmission(describeUserProblem);
  return (
    <section className="fr-mt-6w pris-narrow">
      <h2 className="fr-h4">Double authentification</h2>
      <p>
        Si {user.displayName} a perdu sa clé d'accès, son application d'authentification et ses codes de
        secours, retirez ses seconds facteurs : ses sessions sont fermées et il en enregistrera de nouveaux à
        sa prochaine connexion. Vérifiez son identité par un autre moyen avant de le faire.
      </p>
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {notice && <Alert severity="success" small description={notice} className="fr-mb-2w" />}
      {confirming ? (
        <ul className="fr-btns-group fr-btns-group--inline">
          <li>
            <Button
              disabled={busy}
              onClick={() =>
                void run(async () => {
                  await api.post(`/users/${user.id}/second-factor/reset`);
                  setConfirming(false);
                  setNotice("Seconds facteurs retirés et sessions fermées.");
                  onDone();
                })
              }
            >
              Confirmer la réinitialisation
            </Button>
          </li>
          <li>
            <Button priority="secondary" onClick={() => setConfirming(false)}>
              Annuler
            </Button>
          </li>
        </ul>
      ) : (
        <Button priority="secondary" onClick={() => setConfirming(true)}>
          Réinitialiser la double authentification
        </Button>
      )}
    </section>
  );
}
