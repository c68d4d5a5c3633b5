import { Button } from "@codegouvfr/react-dsfr/Button";
import { CATEGORIES, CATEGORY_VALUES, type Category, type Establishment } from "@pris/domain";
import { type Dispatch, type SetStateAction, useEffect, useRef, useState } from "react";
import { api } from "../../api/client.ts";
import { SelectField } from "../../components/SelectField.tsx";
import { TextField } from "../../components/TextField.tsx";
import { countOf, formatNumber, pluralOf } from "../../lib/format.ts";
import { describeExerciseProblem } from "./exercise-common.tsx";

/** Selected establishments, by id, with the name shown in the summary. */
export type Picked = Map<string, string>;

/** The API takes this many establishments per request: larger selections go in several. */
export const PARTICIPANTS_PER_REQUEST = 5000;

export function chunks<T>(items: T[], size = PARTICIPANTS_PER_REQUEST): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

interface Page {
  items: Establishment[];
  total: number;
  nextCursor: string | null;
}

interface PickerProps {
  selected: Picked;
  setSelected: Dispatch<SetStateAction<Picked>>;
  /** Already taking part: shown ticked and locked. */
  taken?: ReadonlySet<string>;
  /** Distinguishes the ids of two pickers on one page. */
  idPrefix: string;
}

const SUMMARY_NAMES = 12;

function Summary({ selected, setSelected, idPrefix }: PickerProps) {
  const names = [...selected].slice(0, SUMMARY_NAMES);
  return (
    <div className="fr-mt-2w">
      <p className="fr-mb-1w" aria-live="polite" data-testid={`${idPrefix}-count`}>
        <strong>{formatNumber(selected.size)}</strong>{" "}
        {pluralOf(selected.size, "établissement sélectionné", "établissements sélectionnés")}.
      </p>
      {selected.size > 0 && (
        <>
          <ul className="fr-tags-group">
            {names.map(([id, name]) => (
              <li key={id}>
                <button
                  type="button"
                  className="fr-tag fr-tag--sm fr-tag--dismiss"
                  onClick={() =>
                    setSelected((s) => {
                      const next = new Map(s);
                      next.delete(id);
                      return next;
                    })
                  }
                >
                  <span className="fr-sr-only">Retirer de la sélection : </span>
                  {name}
                </button>
              </li>
            ))}
          </ul>
          {selected.size > SUMMARY_NAMES && (
            <p className="fr-hint-text">et {countOf(selected.size - SUMMARY_NAMES, "autre")}.</p>
          )}
          <Button type="button" priority="tertiary" size="small" onClick={() => setSelected(new Map())}>
            Vider la sélection
          </Button>
        </>
      )}
    </div>
  );
}

function Checkbox({
  id,
  label,
  checked,
  disabled,
  onChange,
}: {
  id: string;
  label: string;
  checked: boolean;
  disabled?: boolean;
  onChange(on: boolean): void;
}) {
  return (
    <div className="fr-fieldset__element">
      <div className="fr-checkbox-group">
        <input
          type="checkbox"
          id={id}
          checked={checked}
          disabled={disabled}
          onChange={(e) => onChange(e.target.checked)}
        />
        <label className="fr-label" htmlFor={id}>
          {label}
        </label>
      </div>
    </div>
  );
}

const toggle = (s: Picked, id: string, name: string, on: boolean): Picked => {
  const next = new Map(s);
  if (on) next.set(id, name);
  else next.delete(id);
  return next;
};

/** An RSSI picks among their own establishments (a GHT's members). */
export function OwnPicker({ choices, ...props }: PickerProps & { choices: { id: string; name: string }[] }) {
  const { selected, setSelected, taken, idPrefix } = props;
  const [filter, setFilter] = useState("");
  const shown = choices.filter((c) => c.name.toLowerCase().includes(filter.trim().toLowerCase()));
  return (
    <>
      {choices.length > 8 && (
        <TextField
          id={`${idPrefix}-filter`}
          label="Filtrer les établissements"
          value={filter}
          onValue={setFilter}
        />
      )}
      <div className="pris-choices">
        {shown.map((c) => (
          <Checkbox
            key={c.id}
            id={`${idPrefix}-est-${c.id}`}
            label={c.name}
            checked={selected.has(c.id) || Boolean(taken?.has(c.id))}
            disabled={taken?.has(c.id)}
            onChange={(on) => setSelected((s) => toggle(s, c.id, c.name, on))}
          />
        ))}
      </div>
      <Summary {...props} />
    </>
  );
}

/**
 * The ARS and the pole pick in the whole registry: by territory and category ("tous les CH du Nord"),
 * by name or FINESS, and one by one — with no cap on how many: "select all" pages through the server's
 * filtered list.
 */
export function DirectoryPicker(props: PickerProps) {
  const { selected, setSelected, taken, idPrefix } = props;
  const [territories, setTerritories] = useState<{ code: string; name: string }[]>([]);
  const [territory, setTerritory] = useState("");
  const [category, setCategory] = useState("");
  const [text, setText] = useState("");
  const [q, setQ] = useState("");
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState<number | null>(null);
  const latest = useRef(0);

  useEffect(() => {
    api
      .get<{ code: string; name: string }[]>("/territories")
      .then(setTerritories)
      .catch(() => {});
  }, []);

  // Typing settles for a moment before the directory is asked.
  useEffect(() => {
    const timer = setTimeout(() => setQ(text.trim()), 250);
    return () => clearTimeout(timer);
  }, [text]);

  const query = (cursor: string | null, limit: number) => {
    const sp = new URLSearchParams({ limit: String(limit), active: "true" });
    if (territory) sp.set("territory", territory);
    if (category) sp.set("category", category);
    if (q) sp.set("q", q);
    if (cursor) sp.set("cursor", cursor);
    return `/establishments?${sp}`;
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: the filters are the query
  useEffect(() => {
    const request = ++latest.current;
    setError(null);
    api
      .get<Page>(query(null, 50))
      .then((p) => request === latest.current && setPage(p))
      .catch((err: unknown) => request === latest.current && setError(describeExerciseProblem(err)));
  }, [territory, category, q]);

  const more = () => {
    if (!page?.nextCursor) return;
    const request = latest.current;
    api
      .get<Page>(query(page.nextCursor, 50))
      .then(
        (p) =>
          request === latest.current && setPage((old) => old && { ...p, items: [...old.items, ...p.items] }),
      )
      .catch((err: unknown) => setError(describeExerciseProblem(err)));
  };

  const selectAll = async () => {
    setError(null);
    setAdding(0);
    const found: [string, string][] = [];
    try {
      let cursor: string | null = null;
      do {
        const p: Page = await api.get<Page>(query(cursor, 100));
        for (const e of p.items) if (!taken?.has(e.id)) found.push([e.id, e.name]);
        setAdding(found.length);
        cursor = p.nextCursor;
      } while (cursor);
      setSelected((s) => new Map([...s, ...found]));
    } catch (err) {
      setError(describeExerciseProblem(err));
    } finally {
      setAdding(null);
    }
  };

  const filtered = Boolean(territory || category || q);
  return (
    <>
      <div className="pris-filters">
        <SelectField
          id={`${idPrefix}-territory`}
          label="Territoire"
          value={territory}
          options={[["", "Tous les territoires"], ...territories.map((t) => [t.code, t.name] as const)]}
          onChange={setTerritory}
        />
        <SelectField
          id={`${idPrefix}-category`}
          label="Catégorie"
          value={category}
          options={[
            ["", "Toutes les catégories"],
            ...CATEGORY_VALUES.map((c) => [c, CATEGORIES[c as Category].label] as const),
          ]}
          onChange={setCategory}
        />
        <TextField
          id={`${idPrefix}-search`}
          label="Rechercher"
          hint="Nom ou numéro FINESS"
          type="search"
          maxLength={200}
          value={text}
          onValue={setText}
        />
      </div>
      {page && (
        <p className="fr-mb-1w" data-testid={`${idPrefix}-matches`}>
          {countOf(page.total, "établissement")}{" "}
          {filtered
            ? pluralOf(page.total, "correspond aux critères", "correspondent aux critères")
            : "dans l'annuaire"}
          .
        </p>
      )}
      {page && page.total > 0 && (
        <Button
          type="button"
          priority="secondary"
          size="small"
          disabled={adding !== null}
          onClick={() => void selectAll()}
          className="fr-mb-2w"
        >
          {adding === null
            ? `Sélectionner ${page.total >= 2 ? "les " : "l'"}${countOf(page.total, "établissement")} ${filtered ? pluralOf(page.total, "correspondant") : "de l'annuaire"}`
            : `Sélection en cours… ${adding} / ${page.total}`}
        </Button>
      )}
      {error && <p className="fr-error-text">{error}</p>}
      <div className="pris-choices">
        {page?.items.map((e) => (
          <Checkbox
            key={e.id}
            id={`${idPrefix}-est-${e.id}`}
            label={`${e.name} (${CATEGORIES[e.category as Category]?.label ?? e.category})`}
            checked={selected.has(e.id) || Boolean(taken?.has(e.id))}
            disabled={taken?.has(e.id)}
            onChange={(on) => setSelected((s) => toggle(s, e.id, e.name, on))}
          />
        ))}
      </div>
      {page?.nextCursor && (
        <Button type="button" priority="tertiary" size="small" onClick={more}>
          Afficher plus d'établissements
        </Button>
      )}
      <Summary {...props} />
    </>
  );
}
