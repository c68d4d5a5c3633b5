import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { CATEGORIES, CATEGORY_VALUES, type Category, NIS2_LABELS, NIS2_STATUSES } from "@pris/domain";
import { useEffect, useRef, useState } from "react";
import { Link, Route, Routes } from "react-router";
import { api } from "../../../api/client.ts";
import { DataTable } from "../../../components/DataTable.tsx";
import { usePageTitle } from "../../../components/Layout.tsx";
import { labelled, SelectField } from "../../../components/SelectField.tsx";
import { TextField } from "../../../components/TextField.tsx";
import { countOf } from "../../../lib/format.ts";
import {
  ESTABLISHMENTS_BASE,
  EstablishmentCreateView,
  EstablishmentEditView,
} from "./EstablishmentEditor.tsx";
import { useReferenceChoices } from "./EstablishmentForm.tsx";
import { describeAdminProblem, type EstablishmentPage } from "./reference-common.ts";

const PAGE_SIZE = 50;

interface Filters {
  territory: string;
  category: string;
  ghtId: string;
  nis2Status: string;
  active: "" | "true" | "false";
  q: string;
}

/** The directory, filtered on the server and read a page at a time (thousands of rows). */
function useEstablishmentList(filters: Filters) {
  const [page, setPage] = useState<EstablishmentPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const latest = useRef(0);
  const query = (cursor: string | null) => {
    const sp = new URLSearchParams({ limit: String(PAGE_SIZE) });
    for (const [k, v] of Object.entries(filters)) if (v) sp.set(k, v);
    if (cursor) sp.set("cursor", cursor);
    return `/establishments?${sp}`;
  };
  const fetchPage = (cursor: string | null) => {
    const request = cursor ? latest.current : ++latest.current;
    setLoading(true);
    setError(null);
    api
      .get<EstablishmentPage>(query(cursor))
      .then((p) => {
        if (request !== latest.current) return;
        setPage((old) => (cursor && old ? { ...p, items: [...old.items, ...p.items] } : p));
      })
      .catch((err: unknown) => request === latest.current && setError(describeAdminProblem(err)))
      .finally(() => request === latest.current && setLoading(false));
  };
  const key = JSON.stringify(filters);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the filters (as their key) are the query
  useEffect(() => fetchPage(null), [key]);
  return { page, error, loading, more: () => page?.nextCursor && fetchPage(page.nextCursor) };
}

function EstablishmentList() {
  usePageTitle("Établissements");
  const { territories, ghts } = useReferenceChoices();
  const [filters, setFilters] = useState<Filters>({
    territory: "",
    category: "",
    ghtId: "",
    nis2Status: "",
    active: "",
    q: "",
  });
  const [text, setText] = useState("");
  useEffect(() => {
    const timer = setTimeout(() => setFilters((f) => ({ ...f, q: text.trim() })), 250);
    return () => clearTimeout(timer);
  }, [text]);
  const { page, error, loading, more } = useEstablishmentList(filters);
  const territoryName = new Map(territories.map((t) => [t.code, t.name]));
  const set = (key: keyof Filters) => (value: string) => setFilters((f) => ({ ...f, [key]: value }));

  return (
    <main className="fr-container fr-my-6w">
      <h1>Établissements</h1>
      <p className="pris-muted">
        Le répertoire de la région : chaque fiche porte les règles de déclaration, les destinataires des
        bulletins et l'obligation d'exercice. Un établissement n'est jamais supprimé : il est désactivé.
      </p>
      <p>
        <Link to={`${ESTABLISHMENTS_BASE}/nouveau`} className="fr-btn fr-icon-add-line fr-btn--icon-left">
          Nouvel établissement
        </Link>
      </p>
      <div className="pris-fields">
        <TextField
          id="est-search"
          label="Rechercher"
          hint="Nom ou début du numéro FINESS"
          type="search"
          maxLength={200}
          value={text}
          onValue={setText}
        />
        <SelectField
          id="est-filter-territory"
          label="Territoire"
          value={filters.territory}
          options={[["", "Tous"], ...territories.map((t) => [t.code, t.name] as const)]}
          onChange={set("territory")}
        />
        <SelectField
          id="est-filter-category"
          label="Catégorie"
          value={filters.category}
          options={[
            ["", "Toutes"],
            ...CATEGORY_VALUES.map((c) => [c, CATEGORIES[c as Category].label] as const),
          ]}
          onChange={set("category")}
        />
      </div>
      <div className="pris-fields">
        <SelectField
          id="est-filter-ght"
          label="GHT"
          value={filters.ghtId}
          options={[["", "Tous"], ...ghts.map((g) => [g.id, g.name] as const)]}
          onChange={set("ghtId")}
        />
        <SelectField
          id="est-filter-nis2"
          label="Statut NIS2"
          value={filters.nis2Status}
          options={[["", "Tous"], ...labelled(NIS2_STATUSES, NIS2_LABELS)]}
          onChange={set("nis2Status")}
        />
        <SelectField
          id="est-filter-active"
          label="Présence au répertoire"
          value={filters.active}
          options={[
            ["", "Actifs et inactifs"],
            ["true", "Actifs"],
            ["false", "Inactifs"],
          ]}
          onChange={(active) => setFilters((f) => ({ ...f, active }))}
        />
      </div>
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {page && (
        <p aria-live="polite" data-testid="est-count">
          {countOf(page.total, "établissement")} ; {countOf(page.items.length, "affiché")}.
        </p>
      )}
      {page && page.items.length > 0 && (
        <DataTable
          caption="Établissements"
          headers={["Nom", "FINESS", "Catégorie", "Territoire", "NIS2", "État"]}
          rows={page.items.map((e) => ({
            key: e.id,
            cells: [
              <Link key="name" to={`${ESTABLISHMENTS_BASE}/${e.id}`}>
                {e.name}
              </Link>,
              e.finess,
              CATEGORIES[e.category]?.label ?? e.category,
              territoryName.get(e.territory) ?? e.territory,
              NIS2_LABELS[e.nis2Status],
              e.active ? "Actif" : "Inactif",
            ],
          }))}
        />
      )}
      {page?.nextCursor && (
        <Button priority="secondary" disabled={loading} onClick={more}>
          Afficher {PAGE_SIZE} établissements de plus
        </Button>
      )}
    </main>
  );
}

/** The directory's establishments: searched, filtered and paged; created; each one edited. */
export function EstablishmentsPage() {
  return (
    <Routes>
      <Route index element={<EstablishmentList />} />
      <Route path="nouveau" element={<EstablishmentCreateView />} />
      <Route path=":id" element={<EstablishmentEditView />} />
    </Routes>
  );
}
