import { Accordion } from "@codegouvfr/react-dsfr/Accordion";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { CATEGORIES, CATEGORY_VALUES, type CategoryMapping, type PlaceMapping } from "@pris/domain";
import { useEffect, useState } from "react";
import { api, describeProblem } from "../../../api/client.ts";
import { DataTable } from "../../../components/DataTable.tsx";
import { useResource } from "../../../lib/use-resource.ts";

type Territory = { code: string; name: string; retiredAt: string | null };

const NOT_FOLLOWED = "__none";

/**
 * Every mapping remembered so far, to change or forget: a FINESS category's service category (or not
 * followed), a département's or commune's territory. Each change counts from the next preview.
 */
export function SavedMappings({ version, onChange }: { version: number; onChange: () => void }) {
  const categories = useResource<CategoryMapping[]>("/registry/mappings/categories");
  const places = useResource<PlaceMapping[]>("/registry/mappings/places");
  const { reload: reloadCategories } = categories;
  const { reload: reloadPlaces } = places;
  // Read again whenever a mapping changed, here or in the editors above.
  // biome-ignore lint/correctness/useExhaustiveDependencies: version is the signal to read again
  useEffect(() => {
    reloadCategories();
    reloadPlaces();
  }, [version, reloadCategories, reloadPlaces]);
  const territories = useResource<Territory[]>("/territories");
  const [error, setError] = useState<string | null>(null);
  const names = new Map(
    territories.state.status === "ready" ? territories.state.data.map((t) => [t.code, t.name]) : [],
  );
  const active =
    territories.state.status === "ready" ? territories.state.data.filter((t) => !t.retiredAt) : [];

  const write = async (method: "put" | "delete", path: string, body?: object) => {
    setError(null);
    try {
      if (method === "put") await api.put(path, body);
      else await api.delete(path);
      onChange();
    } catch (err) {
      setError(describeProblem(err));
    }
  };

  return (
    <Accordion label="Correspondances enregistrées" className="fr-mb-4w">
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      <DataTable
        caption="Catégories FINESS"
        headers={["Catégorie FINESS", "Catégorie du service", { label: "Actions", hidden: true }]}
        rows={
          categories.state.status === "ready"
            ? categories.state.data.map((m) => ({
                key: m.finessCategory,
                cells: [
                  `${m.finessCategory} — ${m.label}`,
                  <select
                    key="category"
                    className="fr-select"
                    aria-label={`Catégorie du service pour ${m.finessCategory}`}
                    value={m.category ?? NOT_FOLLOWED}
                    onChange={(e) =>
                      void write(
                        "put",
                        `/registry/mappings/categories/${encodeURIComponent(m.finessCategory)}`,
                        {
                          label: m.label,
                          category: e.target.value === NOT_FOLLOWED ? null : e.target.value,
                        },
                      )
                    }
                  >
                    <option value={NOT_FOLLOWED}>Non suivie par la région</option>
                    {CATEGORY_VALUES.map((v) => (
                      <option key={v} value={v}>
                        {CATEGORIES[v].label}
                      </option>
                    ))}
                  </select>,
                  <Button
                    key="forget"
                    size="small"
                    priority="tertiary"
                    onClick={() =>
                      void write(
                        "delete",
                        `/registry/mappings/categories/${encodeURIComponent(m.finessCategory)}`,
                      )
                    }
                  >
                    Oublier
                  </Button>,
                ],
              }))
            : []
        }
      />
      <DataTable
        caption="Départements et communes"
        headers={["Lieu", "Territoire", { label: "Actions", hidden: true }]}
        rows={
          places.state.status === "ready"
            ? places.state.data.map((m) => ({
                key: `${m.kind}:${m.code}`,
                cells: [
                  `${m.kind === "commune" ? "Commune" : "Département"} ${m.code}`,
                  <select
                    key="territory"
                    className="fr-select"
                    aria-label={`Territoire de ${m.code}`}
                    value={m.territory}
                    onChange={(e) =>
                      void write("put", `/registry/mappings/places/${m.kind}/${m.code}`, {
                        territory: e.target.value,
                      })
                    }
                  >
                    {!active.some((t) => t.code === m.territory) && (
                      <option value={m.territory}>{names.get(m.territory) ?? m.territory}</option>
                    )}
                    {active.map((t) => (
                      <option key={t.code} value={t.code}>
                        {t.name}
                      </option>
                    ))}
                  </select>,
                  <Button
                    key="forget"
                    size="small"
                    priority="tertiary"
                    onClick={() => void write("delete", `/registry/mappings/places/${m.kind}/${m.code}`)}
                  >
                    Oublier
                  </Button>,
                ],
              }))
            : []
        }
      />
    </Accordion>
  );
}
