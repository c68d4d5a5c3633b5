import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import type { TerritoryAdmin } from "@pris/domain";
import { type FormEvent, type ReactNode, useState } from "react";
import { api } from "../../../api/client.ts";
import { DataTable } from "../../../components/DataTable.tsx";
import { usePageTitle } from "../../../components/Layout.tsx";
import { LoadError } from "../../../components/LoadError.tsx";
import { TextField } from "../../../components/TextField.tsx";
import { countOf, formatNumber } from "../../../lib/format.ts";
import { useResource } from "../../../lib/use-resource.ts";
import { useSubmission } from "../../../lib/use-submission.ts";
import { formatShort } from "../../../lib/zoned-time.ts";
import { useApp } from "../../../session.tsx";
import { describeAdminProblem } from "./reference-common.ts";

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

interface RowState {
  editing: boolean;
  /** The name being typed; the territory's own until the first keystroke. */
  name?: string;
  busy: boolean;
  error: string | null;
}

const IDLE: RowState = { editing: false, busy: false, error: null };

/**
 * Each row's rename form and pending change, kept by territory code: a row's name and actions are two
 * cells of the table, and every row acts on its own (a refusal stays beside the territory it concerns).
 */
function useTerritoryRows(onChanged: () => void) {
  const [rows, setRows] = useState<Record<string, RowState>>({});
  const patch = (code: string, change: Partial<RowState>) =>
    setRows((r) => ({ ...r, [code]: { ...(r[code] ?? IDLE), ...change } }));
  const act = async (code: string, work: () => Promise<unknown>) => {
    patch(code, { busy: true, error: null });
    try {
      await work();
      patch(code, { editing: false });
      onChanged();
    } catch (err) {
      patch(code, { error: describeAdminProblem(err) });
    } finally {
      patch(code, { busy: false });
    }
  };
  return { row: (code: string) => rows[code] ?? IDLE, patch, act };
}

function territoryCells(
  t: TerritoryAdmin,
  { row, patch, act }: ReturnType<typeof useTerritoryRows>,
  timeZone: string,
): ReactNode[] {
  const { editing, name = t.name, busy, error } = row(t.code);
  return [
    <code key="code">{t.code}</code>,
    editing ? (
      <form
        key="name"
        onSubmit={(e) => {
          e.preventDefault();
          void act(t.code, () => api.patch(`/territories/${t.code}`, { name: name.trim() }));
        }}
      >
        <TextField
          id={`territory-rename-${t.code}`}
          label="Nouveau nom"
          value={name}
          onValue={(typed) => patch(t.code, { name: typed })}
          required
          maxLength={200}
        />
        <Button type="submit" size="small" disabled={busy}>
          Enregistrer
        </Button>{" "}
        <Button
          type="button"
          size="small"
          priority="tertiary"
          onClick={() => patch(t.code, { editing: false })}
        >
          Annuler
        </Button>
      </form>
    ) : (
      t.name
    ),
    formatNumber(t.activeEstablishments ?? 0),
    t.retiredAt ? (
      <Badge key="state" severity="warning" small>
        Retiré le {formatShort(t.retiredAt, timeZone)}
      </Badge>
    ) : (
      <Badge key="state" severity="success" small>
        En service
      </Badge>
    ),
    <div key="actions">
      {!editing && (
        <Button size="small" priority="tertiary" onClick={() => patch(t.code, { editing: true })}>
          Renommer
        </Button>
      )}{" "}
      {t.retiredAt ? (
        <Button
          size="small"
          priority="secondary"
          disabled={busy}
          onClick={() => void act(t.code, () => api.post(`/territories/${t.code}/restore`))}
        >
          Remettre en service
        </Button>
      ) : (
        <Button
          size="small"
          priority="secondary"
          disabled={busy}
          onClick={() => void act(t.code, () => api.post(`/territories/${t.code}/retire`))}
        >
          Retirer
        </Button>
      )}
      {error && (
        <p className="fr-error-text" role="alert">
          {error}
        </p>
      )}
    </div>,
  ];
}

/**
 * The region's territories: created, renamed, retired (refused while active establishments use one) and
 * put back in service. None is ever deleted.
 */
export function TerritoriesPage() {
  usePageTitle("Territoires");
  const { config } = useApp();
  const { state, reload } = useResource<TerritoryAdmin[]>("/territories?includeRetired=true");
  const rows = useTerritoryRows(reload);
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
          <>
            <p>{countOf(state.data.length, "territoire")}</p>
            <DataTable
              caption="Territoires"
              headers={["Code", "Nom", "Établissements actifs", "État", { label: "Actions", hidden: true }]}
              rows={state.data.map((t) => ({
                key: t.code,
                testId: `territory-${t.code}`,
                cells: territoryCells(t, rows, config.timeZone),
              }))}
            />
          </>
        ))}
    </main>
  );
}
