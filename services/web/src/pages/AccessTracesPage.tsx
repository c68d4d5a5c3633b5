import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Select } from "@codegouvfr/react-dsfr/Select";
import {
  ACCESS_OBJECT_KINDS,
  type AccessObjectKind,
  type AccessTracePage,
  ROLE_LABELS,
  type Role,
} from "@pris/domain";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { API_BASE, api, describeProblem } from "../api/client.ts";
import { DataTable } from "../components/DataTable.tsx";
import { usePageTitle } from "../components/Layout.tsx";
import { formatShort } from "../lib/zoned-time.ts";
import { useApp } from "../session.tsx";
import { tracedOperationLabel } from "./access-trace-labels.ts";

const KIND_LABELS: Record<AccessObjectKind, string> = {
  incident: "Incident (fiche, main courante, exports)",
  bulletin: "Tableau de bord d'un bulletin",
  exercise_completion: "Export de la réalisation des exercices",
  incident_stats: "Statistiques des incidents",
};

interface Filters {
  from: string;
  to: string;
  objectKind: string;
  objectId: string;
  userId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The query string the list and the CSV export share; days are taken in the browser's zone. */
function queryOf(f: Filters): URLSearchParams {
  const q = new URLSearchParams();
  if (f.from) q.set("from", new Date(`${f.from}T00:00:00`).toISOString());
  if (f.to) q.set("to", new Date(new Date(`${f.to}T00:00:00`).getTime() + 86_400_000).toISOString());
  if (f.objectKind) q.set("objectKind", f.objectKind);
  if (UUID.test(f.objectId.trim())) q.set("objectId", f.objectId.trim());
  if (UUID.test(f.userId.trim())) q.set("userId", f.userId.trim());
  return q;
}

/** Who read which incident, export or bulletin dashboard: for the ARS and the administrators. */
export function AccessTracesPage() {
  usePageTitle("Traces d'accès");
  const { config } = useApp();
  const [draft, setDraft] = useState<Filters>({ from: "", to: "", objectKind: "", objectId: "", userId: "" });
  const [applied, setApplied] = useState<Filters>(draft);
  const [page, setPage] = useState<AccessTracePage | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async (filters: Filters, cursor?: string) => {
    const q = queryOf(filters);
    q.set("limit", "100");
    if (cursor) q.set("cursor", cursor);
    try {
      const next = await api.get<AccessTracePage>(`/access-traces?${q}`);
      setError(null);
      setPage((prev) =>
        cursor && prev ? { items: [...prev.items, ...next.items], nextCursor: next.nextCursor } : next,
      );
    } catch (err) {
      setError(describeProblem(err));
    }
  }, []);

  useEffect(() => {
    void load(applied);
  }, [applied, load]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApplied(draft);
  };
  const set = (key: keyof Filters) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [key]: e.target.value }));

  return (
    <div className="fr-container fr-my-4w">
      <h1>Traces d'accès</h1>
      <p>
        Chaque consultation d'un incident, de ses exports ou du tableau de bord d'un bulletin est tracée :
        qui, quoi, quand et d'où. Les traces sont conservées pendant la durée fixée par l'administrateur.
      </p>
      <form onSubmit={submit} className="fr-grid-row fr-grid-row--gutters fr-mb-2w">
        <div className="fr-col-12 fr-col-md-2">
          <Input label="Du" nativeInputProps={{ type: "date", value: draft.from, onChange: set("from") }} />
        </div>
        <div className="fr-col-12 fr-col-md-2">
          <Input label="Au" nativeInputProps={{ type: "date", value: draft.to, onChange: set("to") }} />
        </div>
        <div className="fr-col-12 fr-col-md-3">
          <Select
            label="Objet consulté"
            nativeSelectProps={{ value: draft.objectKind, onChange: set("objectKind") }}
          >
            <option value="">Tous</option>
            {ACCESS_OBJECT_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </Select>
        </div>
        <div className="fr-col-12 fr-col-md-5">
          <Input
            label="Identifiant de l'incident ou du bulletin"
            nativeInputProps={{ value: draft.objectId, onChange: set("objectId") }}
          />
        </div>
        <div className="fr-col-12 fr-col-md-5">
          <Input
            label="Identifiant de la personne"
            nativeInputProps={{ value: draft.userId, onChange: set("userId") }}
          />
        </div>
        <div className="fr-col-12 fr-col-md-7 fr-mt-md-4w">
          <Button type="submit" className="fr-mr-2w">
            Filtrer
          </Button>
          <a
            className="fr-link fr-icon-download-line fr-link--icon-left"
            href={`${API_BASE}/access-traces.csv?${queryOf(applied)}`}
          >
            Exporter en CSV
          </a>
        </div>
      </form>
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {page && (
        <>
          <DataTable
            caption="Traces d'accès"
            headers={["Date", "Qui", "Rôle", "Objet", "Opération", "Adresse"]}
            rows={page.items.map((t) => ({
              key: t.id,
              cells: [
                formatShort(t.at, config.timeZone),
                t.actor.name || t.actor.id,
                ROLE_LABELS[t.actor.role as Role] ?? t.actor.role,
                <div key="object">
                  {KIND_LABELS[t.objectKind]}
                  {t.objectId ? <div className="fr-text--xs">{t.objectId}</div> : null}
                </div>,
                tracedOperationLabel(t.action),
                t.ip ?? "—",
              ],
            }))}
          />
          {page.items.length === 0 && <p>Aucune trace pour ces critères.</p>}
          {page.nextCursor && (
            <Button priority="secondary" onClick={() => void load(applied, page.nextCursor!)}>
              Afficher plus
            </Button>
          )}
        </>
      )}
    </div>
  );
}
