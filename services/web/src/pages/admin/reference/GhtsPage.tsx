import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { CATEGORIES, type GhtDetail } from "@pris/domain";
import { type FormEvent, useState } from "react";
import { Link, Route, Routes, useParams } from "react-router";
import { api } from "../../../api/client.ts";
import { DataTable } from "../../../components/DataTable.tsx";
import { usePageTitle } from "../../../components/Layout.tsx";
import { LoadError } from "../../../components/LoadError.tsx";
import { SelectField } from "../../../components/SelectField.tsx";
import { TextField } from "../../../components/TextField.tsx";
import { useResource } from "../../../lib/use-resource.ts";
import { useSubmission } from "../../../lib/use-submission.ts";
import { EstablishmentSearch } from "./EstablishmentSearch.tsx";
import { describeAdminProblem, type Ght } from "./reference-common.ts";

const BASE = "/administration/ght";

function CreateForm({ onCreated }: { onCreated(): void }) {
  const [code, setCode] = useState("");
  const [name, setName] = useState("");
  const { busy, error, run } = useSubmission(describeAdminProblem);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api.post("/ghts", { code: code.trim(), name: name.trim() });
      setCode("");
      setName("");
      onCreated();
    });
  };
  return (
    <form onSubmit={submit} className="pris-narrow fr-mb-4w" aria-labelledby="ght-new">
      <h2 id="ght-new" className="fr-h4">
        Nouveau GHT
      </h2>
      <TextField id="ght-code" label="Code" hint="Ex. : GHT-974" value={code} onValue={setCode} required />
      <TextField id="ght-name" label="Nom" value={name} onValue={setName} required maxLength={300} />
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      <Button type="submit" disabled={busy} iconId="fr-icon-add-line">
        Créer le GHT
      </Button>
    </form>
  );
}

function GhtList() {
  usePageTitle("GHT");
  const { state, reload } = useResource<Ght[]>("/ghts");
  return (
    <main className="fr-container fr-my-6w">
      <h1>Groupements hospitaliers de territoire</h1>
      <p className="pris-muted">
        Un établissement appartient à un GHT au plus ; l'établissement support est l'un de ses membres. Le
        RSSI d'un GHT voit les incidents de tous ses membres.
      </p>
      <CreateForm onCreated={reload} />
      {state.status === "loading" && <p>Chargement…</p>}
      {state.status === "error" && (
        <LoadError title="GHT indisponibles" message={state.message} retry={reload} />
      )}
      {state.status === "ready" &&
        (state.data.length === 0 ? (
          <p>Aucun GHT pour l'instant.</p>
        ) : (
          <>
            <p>{state.data.length} GHT</p>
            <DataTable
              caption="GHT"
              headers={["Code", "Nom"]}
              rows={state.data.map((g) => ({
                key: g.id,
                cells: [
                  g.code,
                  <Link key="name" to={`${BASE}/${g.id}`}>
                    {g.name}
                  </Link>,
                ],
              }))}
            />
          </>
        ))}
    </main>
  );
}

function GhtSettings({ ght, onSaved }: { ght: GhtDetail; onSaved(g: GhtDetail): void }) {
  const [name, setName] = useState(ght.name);
  const [support, setSupport] = useState(ght.supportEstablishmentId ?? "");
  const { busy, error, run } = useSubmission(describeAdminProblem);
  const [saved, setSaved] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    void run(async () => {
      onSaved(
        await api.patch<GhtDetail>(`/ghts/${ght.id}`, {
          name: name.trim(),
          supportEstablishmentId: support || null,
        }),
      );
      setSaved(true);
    });
  };
  return (
    <form onSubmit={submit} className="pris-narrow fr-mb-4w" aria-labelledby="ght-settings">
      <h2 id="ght-settings" className="fr-h4">
        Nom et établissement support
      </h2>
      <TextField id="ght-rename" label="Nom" value={name} onValue={setName} required maxLength={300} />
      <SelectField
        id="ght-support"
        label="Établissement support"
        value={support}
        options={[["", "Aucun"], ...ght.members.map((m) => [m.id, m.name] as const)]}
        onChange={setSupport}
      />
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {saved && <Alert severity="success" small description="GHT enregistré." className="fr-mb-2w" />}
      <Button type="submit" disabled={busy}>
        Enregistrer
      </Button>
    </form>
  );
}

function GhtDetailView() {
  const { id = "" } = useParams();
  const { state, reload, set } = useResource<GhtDetail>(`/ghts/${id}`);
  const { busy, error, run } = useSubmission(describeAdminProblem);
  usePageTitle(state.status === "ready" ? state.data.name : "GHT");
  if (state.status === "loading") return <p className="fr-container fr-my-6w">Chargement…</p>;
  if (state.status === "error")
    return (
      <main className="fr-container fr-my-6w">
        <LoadError title="GHT indisponible" message={state.message} retry={reload} />
      </main>
    );
  const ght = state.data;
  const members = new Set(ght.members.map((m) => m.id));
  const change = (work: () => Promise<GhtDetail>) => void run(async () => set(await work()));
  return (
    <main className="fr-container fr-my-6w">
      <p>
        <Link to={BASE} className="fr-link fr-icon-arrow-left-line fr-link--icon-left">
          Tous les GHT
        </Link>
      </p>
      <h1>
        {ght.name} <span className="pris-muted">({ght.code})</span>
      </h1>
      {/* Read again when the members change (the support is picked among them), not when it saves. */}
      <GhtSettings key={ght.members.map((m) => m.id).join()} ght={ght} onSaved={set} />
      <h2 className="fr-h4">Membres ({ght.members.length})</h2>
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {ght.members.length === 0 ? (
        <p>Aucun membre : ajoutez des établissements ci-dessous.</p>
      ) : (
        <DataTable
          caption="Établissements membres"
          headers={["Établissement", "FINESS", "Catégorie", { label: "Actions", hidden: true }]}
          rows={ght.members.map((m) => ({
            key: m.id,
            cells: [
              <div key="name">
                <Link to={`/administration/etablissements/${m.id}`}>{m.name}</Link>
                {m.id === ght.supportEstablishmentId && " — établissement support"}
                {!m.active && " — inactif"}
              </div>,
              m.finess,
              CATEGORIES[m.category]?.label ?? m.category,
              <Button
                key="remove"
                size="small"
                priority="tertiary"
                disabled={busy}
                onClick={() => change(() => api.delete<GhtDetail>(`/ghts/${ght.id}/members/${m.id}`))}
              >
                Retirer du GHT
              </Button>,
            ],
          }))}
        />
      )}
      <h2 className="fr-h4">Ajouter un établissement</h2>
      <EstablishmentSearch
        id="ght-member-search"
        label="Rechercher un établissement"
        busy={busy}
        actionLabel={(e) =>
          members.has(e.id) ? null : e.ghtId ? "Ajouter (il est dans un autre GHT)" : "Ajouter"
        }
        onPick={(e) =>
          change(() => api.post<GhtDetail>(`/ghts/${ght.id}/members`, { establishmentId: e.id }))
        }
      />
    </main>
  );
}

/** The GHTs: list and creation, then each one's name, support establishment and members. */
export function GhtsPage() {
  return (
    <Routes>
      <Route index element={<GhtList />} />
      <Route path=":id" element={<GhtDetailView />} />
    </Routes>
  );
}
