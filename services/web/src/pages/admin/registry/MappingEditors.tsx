import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Select } from "@codegouvfr/react-dsfr/Select";
import { CATEGORIES, CATEGORY_VALUES, type Category, type RegistryUnmapped } from "@pris/domain";
import { type FormEvent, useState } from "react";
import { api, describeProblem } from "../../../api/client.ts";
import { useResource } from "../../../lib/use-resource.ts";

type Territory = { code: string; name: string; retiredAt: string | null };

const NOT_FOLLOWED = "__none";

/**
 * The mappings the preview's refused lines lack — FINESS categories, communes — and a form for any
 * département or commune. A saved mapping counts for every later import; the preview shown is a snapshot,
 * so the page offers to preview the same file again.
 */
export function MappingEditors({
  unmapped,
  canReload,
  onReload,
  busy,
  saved,
  onSaved,
}: {
  unmapped: RegistryUnmapped | null;
  canReload: boolean;
  onReload: () => void;
  busy: boolean;
  /** Mappings changed since the page opened (here or in the saved list). */
  saved: number;
  onSaved: () => void;
}) {
  const territories = useResource<Territory[]>("/territories");
  const active =
    territories.state.status === "ready" ? territories.state.data.filter((t) => !t.retiredAt) : [];
  const [choice, setChoice] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [manual, setManual] = useState({ kind: "departement", code: "", territory: "" });

  const save = async (path: string, body: object) => {
    setError(null);
    try {
      await api.put(path, body);
      onSaved();
    } catch (err) {
      setError(describeProblem(err));
    }
  };
  const categoryValue = (c: RegistryUnmapped["categories"][number]) =>
    choice[`cat:${c.code}`] ?? c.suggestion ?? NOT_FOLLOWED;
  const categoryBody = (c: RegistryUnmapped["categories"][number]) => {
    const value = categoryValue(c);
    return { label: c.label || c.code, category: value === NOT_FOLLOWED ? null : (value as Category) };
  };
  // A whole extract's categories at once, as chosen (or suggested) above: one mapping each.
  const saveAllCategories = async (list: RegistryUnmapped["categories"]) => {
    setError(null);
    try {
      for (const c of list)
        await api.put(`/registry/mappings/categories/${encodeURIComponent(c.code)}`, categoryBody(c));
      onSaved();
    } catch (err) {
      setError(describeProblem(err));
    }
  };
  const pick = (key: string) => (e: { target: { value: string } }) =>
    setChoice((c) => ({ ...c, [key]: e.target.value }));
  const submitManual = (e: FormEvent) => {
    e.preventDefault();
    void save(`/registry/mappings/places/${manual.kind}/${encodeURIComponent(manual.code.trim())}`, {
      territory: manual.territory,
    });
  };
  const territoryOptions = active.map((t) => (
    <option key={t.code} value={t.code}>
      {t.name}
    </option>
  ));

  return (
    <section className="fr-mb-6w" aria-label="Correspondances">
      <h2>Correspondances</h2>
      {unmapped && unmapped.categories.length > 0 && (
        <>
          <h3 className="fr-h6">Catégories FINESS non rattachées</h3>
          {unmapped.categories.map((c) => {
            const key = `cat:${c.code}`;
            const value = categoryValue(c);
            return (
              <div key={c.code} className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom fr-mb-2w">
                <div className="fr-col-12 fr-col-md-7">
                  <Select
                    label={`${c.code} — ${c.label} (${c.lines} ligne${c.lines > 1 ? "s" : ""})`}
                    nativeSelectProps={{
                      value,
                      onChange: pick(key),
                      "aria-label": `Catégorie pour ${c.code}`,
                    }}
                  >
                    <option value={NOT_FOLLOWED}>Non suivie par la région</option>
                    {CATEGORY_VALUES.map((v) => (
                      <option key={v} value={v}>
                        {CATEGORIES[v].label}
                      </option>
                    ))}
                  </Select>
                </div>
                <div className="fr-col-12 fr-col-md-3">
                  <Button
                    priority="secondary"
                    onClick={() =>
                      void save(
                        `/registry/mappings/categories/${encodeURIComponent(c.code)}`,
                        categoryBody(c),
                      )
                    }
                  >
                    Enregistrer la catégorie {c.code}
                  </Button>
                </div>
              </div>
            );
          })}
          {unmapped.categories.length > 1 && (
            <Button className="fr-mb-4w" onClick={() => void saveAllCategories(unmapped.categories)}>
              Enregistrer les {unmapped.categories.length} catégories comme choisies
            </Button>
          )}
        </>
      )}
      {unmapped && unmapped.places.length > 0 && (
        <>
          <h3 className="fr-h6">Communes et départements non rattachés</h3>
          {unmapped.places.map((c) => {
            const key = `${c.kind}:${c.code}`;
            const what = c.kind === "commune" ? "la commune" : "le département";
            const value = choice[key] ?? "";
            return (
              <div key={c.code} className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom fr-mb-2w">
                <div className="fr-col-12 fr-col-md-7">
                  <Select
                    label={`${c.kind === "commune" ? "Commune" : "Département"} ${c.code}${c.postalLine ? ` (${c.postalLine})` : ""} — ${c.lines} ligne${c.lines > 1 ? "s" : ""}`}
                    nativeSelectProps={{
                      value,
                      onChange: pick(key),
                      "aria-label": `Territoire pour ${c.code}`,
                    }}
                  >
                    <option value="" disabled>
                      Choisir un territoire
                    </option>
                    {territoryOptions}
                  </Select>
                </div>
                <div className="fr-col-12 fr-col-md-3">
                  <Button
                    priority="secondary"
                    disabled={!value}
                    onClick={() =>
                      void save(`/registry/mappings/places/${c.kind}/${c.code}`, { territory: value })
                    }
                  >
                    Rattacher {what} {c.code}
                  </Button>
                </div>
              </div>
            );
          })}
        </>
      )}
      <h3 className="fr-h6">Rattacher un département ou une commune</h3>
      <p className="fr-text--sm">
        Les départements rattachés sont ceux de la région : les lignes des autres départements sont ignorées.
        Une commune rattachée l'emporte sur son département.
      </p>
      <form
        onSubmit={submitManual}
        className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom"
        aria-label="Rattacher un département ou une commune"
      >
        <div className="fr-col-12 fr-col-md-3">
          <Select
            label="Type"
            nativeSelectProps={{
              value: manual.kind,
              onChange: (e) => setManual((m) => ({ ...m, kind: e.target.value })),
            }}
          >
            <option value="departement">Département</option>
            <option value="commune">Commune (code INSEE)</option>
          </Select>
        </div>
        <div className="fr-col-12 fr-col-md-3">
          <Input
            label="Code"
            hintText="974, 13, 2A ou 97416"
            nativeInputProps={{
              value: manual.code,
              required: true,
              onChange: (e) => setManual((m) => ({ ...m, code: e.target.value })),
            }}
          />
        </div>
        <div className="fr-col-12 fr-col-md-3">
          <Select
            label="Territoire"
            nativeSelectProps={{
              value: manual.territory,
              required: true,
              onChange: (e) => setManual((m) => ({ ...m, territory: e.target.value })),
            }}
          >
            <option value="" disabled>
              Choisir
            </option>
            {territoryOptions}
          </Select>
        </div>
        <div className="fr-col-12 fr-col-md-3">
          <Button type="submit" priority="secondary">
            Rattacher
          </Button>
        </div>
      </form>
      {error && <Alert severity="error" small description={error} className="fr-mt-2w" />}
      {saved > 0 && (
        <Alert
          severity="info"
          small
          className="fr-mt-2w"
          description={
            <>
              Correspondance enregistrée ({saved}). Elle vaut pour les prochains aperçus.{" "}
              {canReload ? (
                <Button size="small" onClick={onReload} disabled={busy}>
                  Relancer l'aperçu
                </Button>
              ) : (
                "Choisissez à nouveau le fichier pour relancer l'aperçu."
              )}
            </>
          }
        />
      )}
    </section>
  );
}
