import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import type { TerritoryAdmin } from "@pris/domain";
import { type FormEvent, useState } from "react";
import { api } from "../../../api/client.ts";
import { usePageTitle } from "../../../components/Layout.tsx";
import { LoadError } from "../../../components/LoadError.tsx";
import { TextField } from "../../../components/TextField.tsx";
import { countOf } from "../../../lib/format.ts";
import { useResource } from "../../../lib/use-resource.ts";
import { useSubmission } from "../../../lib/use-submission.ts";
import { formatShort } from "../../../lib/zoned-time.ts";
import { useApp } from "../../../session.tsx";
import { describeAdminProblem, frenchNumber } from "./reference-common.ts";

function CreateForm({ onCreated }: { onCreated(): void }) {
  const [code, setCode] = useState("");
  const [name, setName] = useState("");
  const { busy, error, run } = useSubmission(describeAdminProblem);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api.post("/territories", { code: code.trim(), name: name.trim() });
      setCode("");
      setName("");
      onCreated();
    });
  };
  return (
    <form onSubmit={submit} className="pris-narrow fr-mb-4w" aria-labelledby="territory-new">
      <h2 id="territory-new" className="fr-h4">
        Nouveau territoire
      </h2>
      <TextField
        id="territory-code"
        label="Code"
        hint="En minuscules, sans espace (ex. : nord, sud-ouest) ; il ne change plus ensuite."
        value={code}
        onValue={setCode}
        required
        maxLength={50}
        pattern="[a-z0-9][a-z0-9_\-]*"
      />
      <TextField id="territory-name" label="Nom" value={name} onValue={setName} required maxLength={200} />
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      <Button type="submit" disabled={busy} iconId="fr-icon-add-line">
        Créer le territoire
      </Button>
    </form>
  );
}

function TerritoryRow({ t, onChanged }: { t: TerritoryAdmin; onChanged(): void }) {
  const { config } = useApp();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(t.name);
  const { busy, error, run } = useSubmission(describeAdminProblem);
  const act = (work: () => Promise<unknown>) =>
    void run(async () => {
      await work();
      setEditing(false);
      onChanged();
    });
  return (
    <tr data-testid={`territory-${t.code}`}>
      <td>
        <code>{t.code}</code>
      </td>
      <td>
        {editing ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              act(() => api.patch(`/territories/${t.code}`, { name: name.trim() }));
            }}
          >
            <TextField
              id={`territory-rename-${t.code}`}
              label="Nouveau nom"
              value={name}
              onValue={setName}
              required
              maxLength={200}
            />
            <Button type="submit" size="small" disabled={busy}>
              Enregistrer
            </Button>{" "}
            <Button type="button" size="small" priority="tertiary" onClick={() => setEditing(false)}>
              Annuler
            </Button>
          </form>
        ) : (
          t.name
        )}
      </td>
      <td>{frenchNumber(t.activeEstablishments ?? 0)}</td>
      <td>
        {t.retiredAt ? (
          <Badge severity="warning" small>
            Retiré le {formatShort(t.retiredAt, config.timeZone)}
          </Badge>
        ) : (
          <Badge severity="success" small>
            En service
          </Badge>
        )}
      </td>
      <td>
        {!editing && (
          <Button size="small" priority="tertiary" onClick={() => setEditing(true)}>
            Renommer
          </Button>
        )}{" "}
        {t.retiredAt ? (
          <Button
            size="small"
            priority="secondary"
            disabled={busy}
            onClick={() => act(() => api.post(`/territories/${t.code}/restore`))}
          >
            Remettre en service
          </Button>
        ) : (
          <Button
            size="small"
            priority="secondary"
            disabled={busy}
            onClick={() => act(() => api.post(`/territories/${t.code}/retire`))}
          >
            Retirer
          </Button>
        )}
        {error && (
          <p className="fr-error-text" role="alert">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}

/**
 * The region's territories: created, renamed, retired (refused while active establishments use one) and
 * put back in service. None is ever deleted.
 */
export function TerritoriesPage() {
  usePageTitle("Territoires");
  const { state, reload } = useResource<TerritoryAdmin[]>("/territories?includeRetired=true");
  return (
    <main className="fr-container fr-my-6w">
      <h1>Territoires</h1>
      <p className="pris-muted">
        Les territoires découpent la région (micro-régions, départements) : chaque établissement en a un, et
        les statistiques, les exercices et les bulletins s'en servent. Un territoire retiré n'accueille plus
        de nouvel établissement et disparaît des listes de choix ; il n'est jamais supprimé.
      </p>
      <CreateForm onCreated={reload} />
      {state.status === "loading" && <p>Chargement…</p>}
      {state.status === "error" && (
        <LoadError title="Territoires indisponibles" message={state.message} retry={reload} />
      )}
      {state.status === "ready" &&
        (state.data.length === 0 ? (
          <p>Aucun territoire : créez le premier ci-dessus.</p>
        ) : (
          <div className="fr-table">
            <table>
              <caption>{countOf(state.data.length, "territoire")}</caption>
              <thead>
                <tr>
                  <th scope="col">Code</th>
                  <th scope="col">Nom</th>
                  <th scope="col">Établissements actifs</th>
                  <th scope="col">État</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {state.data.map((t) => (
                  <TerritoryRow key={t.code} t={t} onChanged={reload} />
                ))}
              </tbody>
            </table>
          </div>
        ))}
    </main>
  );
}
