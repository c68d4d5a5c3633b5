import { Button } from "@codegouvfr/react-dsfr/Button";
import type { Bulletin } from "@pris/domain";
import { useNavigate } from "react-router";
import { api } from "../../api/client.ts";
import { useSubmission } from "../../lib/use-submission.ts";

/** From an incident, a contagion alert pre-filled (anonymised, its observables, TLP:GREEN) to edit and publish. */
export function ContagionBulletinButton({ incidentId }: { incidentId: string }) {
  const navigate = useNavigate();
  const { busy, error, run } = useSubmission();
  return (
    <>
      <Button
        className="fr-mt-2w"
        priority="secondary"
        iconId="fr-icon-alarm-warning-line"
        disabled={busy}
        onClick={() =>
          run(async () => {
            const draft = await api.post<Bulletin>(`/incidents/${incidentId}/bulletin`);
            navigate(`/bulletins/${draft.id}/modifier`);
          })
        }
      >
        Alerter le réseau (bulletin de contagion)
      </Button>
      {error && <p className="fr-error-text">{error}</p>}
    </>
  );
}
