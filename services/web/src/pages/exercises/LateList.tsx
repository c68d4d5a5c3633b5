import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { CATEGORIES, CATEGORY_VALUES, type Category, type LatePage, type LateSort } from "@pris/domain";
import { useEffect, useState } from "react";
import { api, describeError } from "../../api/client.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { SelectField } from "../../components/SelectField.tsx";
import { formatNumber, pluralOf } from "../../lib/format.ts";

const categoryLabel = (c: string) => CATEGORIES[c as Category]?.label ?? c;

const COLUMNS: { sort: LateSort | null; label: string }[] = [
  { sort: "name", label: "Établissement" },
  { sort: "territory", label: "Territoire" },
  { sort: "category", label: "Catégorie" },
  { sort: null, label: "Exercice planifié" },
  { sort: null, label: "RSSI" },
];

/**
 * The subject establishments without a held exercise in the year, filtered by territory, category and
 * name, sorted by a column header; the RSSI is the registry's contact, or an RSSI account of the
 * establishment when the registry names none.
 */
export function LateList({ year, territoryNames }: { year: number; territoryNames: Map<string, string> }) {
  const [pages, setPages] = useState<LatePage[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [territory, setTerritory] = useState("");
  const [category, setCategory] = useState<Category | "">("");
  const [typed, setTyped] = useState("");
  const [q, setQ] = useState("");
  const [sort, setSort] = useState<LateSort>("name");

  // Typing waits for a pause before asking the server.
  useEffect(() => {
    const timer = setTimeout(() => setQ(typed.trim()), 300);
    return () => clearTimeout(timer);
  }, [typed]);

  const search = new URLSearchParams({ year: String(year), limit: "50", sort });
  if (territory) search.set("territory", territory);
  if (category) search.set("category", category);
  if (q) search.set("q", q);
  const key = search.toString();

  const load = (cursor?: string) => {
    const sp = new URLSearchParams(key);
    if (cursor) sp.set("cursor", cursor);
    api
      .get<LatePage>(`/exercises/completion/late?${sp}`)
      .then((page) => setPages((p) => (cursor ? [...p, page] : [page])))
      .catch((err: unknown) => setError(describeError(err)));
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: reloads when the year, filters or order change
  useEffect(() => {
    setPages([]);
    setError(null);
    load();
  }, [key]);

  const items = pages.flatMap((p) => p.items);
  const last = pages.at(-1);
  return (
    <>
      <search aria-label="Filtrer les établissements en retard" className="pris-retex-filters">
        <Input
          label="Nom ou FINESS"
          nativeInputProps={{ value: typed, onChange: (e) => setTyped(e.target.value), type: "search" }}
        />
        <SelectField
          id="late-territory"
          label="Territoire"
          value={territory}
          options={[["", "Tous les territoires"], ...[...territoryNames.entries()]]}
          onChange={setTerritory}
        />
        <SelectField<Category | "">
          id="late-category"
          label="Catégorie"
          value={category}
          options={[
            ["", "Toutes les catégories"],
            ...CATEGORY_VALUES.map((c) => [c, CATEGORIES[c].label] as const),
          ]}
          onChange={setCategory}
        />
      </search>
      {error ? (
        <p className="fr-error-text">{error}</p>
      ) : !last ? (
        <p>Chargement…</p>
      ) : (
        <>
          <p role="status" data-testid="late-total">
            <strong>{formatNumber(last.total)}</strong>{" "}
            {pluralOf(last.total, "établissement assujetti", "établissements assujettis")} sans exercice
            réalisé en {year}.
          </p>
          {items.length > 0 && (
            <DataTable<LateSort>
              caption="Établissements en retard"
              testId="late-list"
              headers={COLUMNS.map((c) => c.label)}
              sort={{ keys: COLUMNS.map((c) => c.sort), current: sort, onSort: setSort }}
              rows={items.map((e) => ({
                key: e.establishmentId,
                cells: [
                  e.name,
                  territoryNames.get(e.territory) ?? e.territory,
                  categoryLabel(e.category),
                  e.planned ? "Oui" : "Non",
                  <div key="rssi">
                    {e.rssiName ?? (e.rssiEmail ? "" : "Aucun RSSI connu")}
                    {e.rssiFromAccount && <span className="fr-text--xs pris-muted"> (compte PRIS)</span>}
                    {e.rssiEmail && (
                      <>
                        <br />
                        <a href={`mailto:${e.rssiEmail}`}>{e.rssiEmail}</a>
                      </>
                    )}
                    {e.rssiPhone && (
                      <>
                        <br />
                        <a href={`tel:${e.rssiPhone.replace(/\s/g, "")}`}>{e.rssiPhone}</a>
                      </>
                    )}
                  </div>,
                ],
              }))}
            />
          )}
          {last.nextCursor && (
            <Button priority="secondary" onClick={() => load(last.nextCursor ?? undefined)}>
              Afficher plus
            </Button>
          )}
        </>
      )}
    </>
  );
}
