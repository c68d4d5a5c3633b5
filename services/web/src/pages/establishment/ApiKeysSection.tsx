import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import type { ApiKeyCreatedSchema, ApiKeySchema } from "@pris/domain";
import { type FormEvent, useState } from "react";
import type { Static } from "typebox";
import { api } from "../../api/client.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { LoadError } from "../../components/LoadError.tsx";
import { TextField } from "../../components/TextField.tsx";
import { useResource } from "../../lib/use-resource.ts";
import { useSubmission } from "../../lib/use-submission.ts";
import { formatShort } from "../../lib/zoned-time.ts";
import { useApp } from "../../session.tsx";
import { describeSelfServiceProblem } from "./self-service-text.ts";

type ApiKey = Static<typeof ApiKeySchema>;
type ApiKeyCreated = Static<typeof ApiKeyCreatedSchema>;

/** The key just created, shown this once, with a way to copy it. */
function NewKey({ created, onDone }: { created: ApiKeyCreated; onDone(): void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied(true);
    } catch {
      // No clipboard (a page not served over HTTPS): the key stays selectable on the page.
      setCopied(false);
    }
  };
  return (
    <Alert
      severity="warning"
      title={`Clé « ${created.name} » créée`}
      className="fr-mb-2w"
      description={
        <>
          <p>Copiez-la maintenant et conservez-la dans votre outil : elle ne sera plus jamais affichée.</p>
          <p>
            <code data-testid="new-api-key" className="pris-secret">
              {created.key}
            </code>
          </p>
          <Button
            size="small"
            iconId="fr-icon-clipboard-line"
            onClick={() => void copy()}
            className="fr-mr-2w"
          >
            {copied ? "Clé copiée" : "Copier la clé"}
          </Button>
          <Button size="small" priority="secondary" onClick={onDone}>
            J'ai conservé la clé
          </Button>
        </>
      }
    />
  );
}

/** The establishment's API keys: declaring from its own tools (SIEM, ticketing) without a person's password. */
export function ApiKeysSection({ establishmentId }: { establishmentId: string }) {
  const { config } = useApp();
  const { state, reload } = useResource<ApiKey[]>(`/establishments/${establishmentId}/api-keys`);
  const [name, setName] = useState("");
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const { busy, error, setError, run } = useSubmission(describeSelfServiceProblem);

  const create = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setError("Indiquez à quoi servira la clé.");
    void run(async () => {
      const key = await api.post<ApiKeyCreated>(`/establishments/${establishmentId}/api-keys`, {
        name: name.trim(),
      });
      setCreated(key);
      setName("");
      reload();
    });
  };

  const revoke = (key: ApiKey) =>
    void run(async () => {
      await api.delete<void>(`/establishments/${establishmentId}/api-keys/${key.id}`);
      setConfirming(null);
      if (created?.id === key.id) setCreated(null);
      reload();
    });

  return (
    <section className="pris-section" aria-labelledby="keys-title">
      <h2 id="keys-title" className="fr-h4">
        Clés d'API
      </h2>
      <p className="fr-text--sm">
        Une clé permet à un outil de l'établissement de déclarer et de suivre ses incidents par l'API.
        Révoquez sans attendre une clé perdue ou qui ne sert plus.
      </p>
      {created && <NewKey created={created} onDone={() => setCreated(null)} />}
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {state.status === "loading" && <p>Chargement…</p>}
      {state.status === "error" && (
        <LoadError title="Les clés n'ont pas pu être lues" message={state.message} retry={reload} />
      )}
      {state.status === "ready" &&
        (state.data.length === 0 ? (
          <p>Aucune clé.</p>
        ) : (
          <DataTable
            caption="Clés d'API"
            headers={["Nom", "Début de la clé", "Créée le", "Dernière utilisation", "État"]}
            rows={state.data.map((k) => ({
              key: k.id,
              cells: [
                k.name,
                <code key="prefix">{k.prefix}…</code>,
                formatShort(k.createdAt, config.timeZone),
                k.lastUsedAt ? formatShort(k.lastUsedAt, config.timeZone) : "Jamais",
                <div key="state">
                  {k.revokedAt ? (
                    `Révoquée le ${formatShort(k.revokedAt, config.timeZone)}`
                  ) : confirming === k.id ? (
                    <>
                      <Button size="small" disabled={busy} onClick={() => revoke(k)} className="fr-mr-1w">
                        Confirmer la révocation
                      </Button>
                      <Button size="small" priority="secondary" onClick={() => setConfirming(null)}>
                        Annuler
                      </Button>
                    </>
                  ) : (
                    <>
                      <span className="fr-mr-1w">Active</span>
                      <Button
                        size="small"
                        priority="tertiary"
                        title={`Révoquer ${k.name}`}
                        onClick={() => setConfirming(k.id)}
                      >
                        Révoquer
                      </Button>
                    </>
                  )}
                </div>,
              ],
            }))}
          />
        ))}
      <form onSubmit={create} aria-label="Créer une clé">
        <div className="fr-grid-row fr-grid-row--gutters">
          <div className="fr-col-12 fr-col-md-8">
            <TextField
              id="api-key-name"
              label="Nom de la nouvelle clé"
              hint="À quoi elle sert, par exemple « SIEM de la DSI »"
              value={name}
              onValue={setName}
              maxLength={200}
            />
          </div>
          <div className="fr-col-12 fr-col-md-4 fr-mt-md-6w">
            <Button type="submit" disabled={busy}>
              Créer une clé
            </Button>
          </div>
        </div>
      </form>
    </section>
  );
}
