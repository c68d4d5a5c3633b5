import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { useEffect, useState } from "react";
import { api, describeProblem } from "../../../api/client.ts";
import { SelectField } from "../../../components/SelectField.tsx";

interface Candidate {
  establishmentId: string;
  finess: string;
  establishmentName: string;
  territory: string;
  email: string;
  displayName: string;
}

type Step =
  | { kind: "idle" }
  | { kind: "counted"; count: number; items: Candidate[] }
  | { kind: "confirm"; count: number; items: Candidate[] }
  | { kind: "sent"; count: number };

const SHOWN = 50;

/**
 * Invites, in one go, the RSSI of every establishment whose imported contacts give an address and that
 * has no RSSI account nor invitation yet: counted first, then sent after a confirmation.
 */
export function BulkInvitation({ onSent }: { onSent(): void }) {
  const [territories, setTerritories] = useState<{ code: string; name: string }[]>([]);
  const [territory, setTerritory] = useState("");
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api
      .get<{ code: string; name: string; retiredAt: string | null }[]>("/territories")
      .then((rows) => setTerritories(rows.filter((t) => !t.retiredAt)))
      .catch(() => setTerritories([]));
  }, []);

  const query = territory ? `?territory=${encodeURIComponent(territory)}` : "";

  async function count() {
    setBusy(true);
    setError(null);
    try {
      const preview = await api.get<{ count: number; items: Candidate[] }>(`/invitations/bulk${query}`);
      setStep({ kind: "counted", ...preview });
    } catch (err) {
      setError(describeProblem(err));
    } finally {
      setBusy(false);
    }
  }

  async function send() {
    setBusy(true);
    setError(null);
    try {
      const result = await api.post<{ count: number }>("/invitations/bulk", territory ? { territory } : {});
      setStep({ kind: "sent", count: result.count });
      onSent();
    } catch (err) {
      setError(describeProblem(err));
    } finally {
      setBusy(false);
    }
  }

  const plural = (n: number) => (n > 1 ? "s" : "");
  return (
    <section className="fr-mt-6w">
      <h2 className="fr-h4">Invitation groupée des RSSI</h2>
      <p>
        Invite le RSSI de chaque établissement actif dont les contacts importés donnent une adresse, et qui
        n'a encore ni compte RSSI ni invitation en attente.
      </p>
      <div className="pris-filters">
        <SelectField
          id="bulk-territory"
          label="Territoire"
          value={territory}
          options={[["", "Toute la région"], ...territories.map((t) => [t.code, t.name] as const)]}
          onChange={(value) => {
            setTerritory(value);
            setStep({ kind: "idle" });
          }}
        />
        <Button priority="secondary" disabled={busy} onClick={() => void count()}>
          Compter les invitations
        </Button>
      </div>
      {error && <Alert severity="error" small description={error} className="fr-my-2w" />}
      {(step.kind === "counted" || step.kind === "confirm") && (
        <div className="fr-mt-2w" aria-live="polite">
          <p className="fr-text--bold">
            {step.count === 0
              ? "Aucun RSSI à inviter\u00a0: chaque établissement a déjà un compte, une invitation, ou pas d'adresse."
              : `${step.count.toLocaleString("fr-FR")} invitation${plural(step.count)} à envoyer.`}
          </p>
          {step.count > 0 && (
            <details className="fr-mb-2w">
              <summary>Voir la liste</summary>
              <ul>
                {step.items.slice(0, SHOWN).map((c) => (
                  <li key={c.establishmentId}>
                    {c.establishmentName} ({c.finess}) — {c.displayName} &lt;{c.email}&gt;
                  </li>
                ))}
              </ul>
              {step.count > SHOWN && <p>… et {(step.count - SHOWN).toLocaleString("fr-FR")} autres.</p>}
            </details>
          )}
          {step.kind === "counted" && step.count > 0 && (
            <Button disabled={busy} onClick={() => setStep({ ...step, kind: "confirm" })}>
              Envoyer les {step.count.toLocaleString("fr-FR")} invitation{plural(step.count)}
            </Button>
          )}
          {step.kind === "confirm" && (
            <Alert
              severity="warning"
              title="Confirmer l'envoi"
              description={
                <>
                  <span className="fr-mb-2w" style={{ display: "block" }}>
                    {step.count.toLocaleString("fr-FR")} courriel{plural(step.count)} d'invitation vont partir
                    maintenant.
                  </span>
                  <Button disabled={busy} onClick={() => void send()} className="fr-mr-2w">
                    Confirmer l'envoi
                  </Button>
                  <Button priority="secondary" onClick={() => setStep({ ...step, kind: "counted" })}>
                    Ne pas envoyer
                  </Button>
                </>
              }
            />
          )}
        </div>
      )}
      {step.kind === "sent" && (
        <Alert
          severity="success"
          small
          className="fr-mt-2w"
          description={`${step.count.toLocaleString("fr-FR")} invitation${plural(step.count)} envoyée${plural(step.count)}. Le suivi des courriels apparaît dans la liste.`}
        />
      )}
    </section>
  );
}
