import { Input } from "@codegouvfr/react-dsfr/Input";
import { type BulletinDashboard, CATEGORIES, type Category, RECIPIENT_ROLE_LABELS } from "@pris/domain";
import { useMemo, useState } from "react";
import { DELIVERY_LABELS } from "../../lib/bulletin-labels.ts";
import { formatShort } from "../../lib/zoned-time.ts";
import { DataTable } from "../DataTable.tsx";
import { SelectField } from "../SelectField.tsx";

type Pending = BulletinDashboard["pending"][number];
type SortKey = "establishment" | "territory" | "category" | "remindedAt";

const categoryLabel = (c: string) => CATEGORIES[c as Category]?.label ?? c;
const collator = new Intl.Collator("fr", { sensitivity: "base" });
const fold = (s: string) =>
  s
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .toLowerCase();

const COLUMNS: { key: SortKey | null; label: string }[] = [
  { key: "establishment", label: "Établissement" },
  { key: "territory", label: "Territoire" },
  { key: "category", label: "Catégorie" },
  { key: null, label: "Destinataire" },
  { key: null, label: "Courriel" },
  { key: null, label: "Lu dans PRIS" },
  { key: "remindedAt", label: "Relancé le" },
];

const compare: Record<SortKey, (a: Pending, b: Pending) => number> = {
  establishment: (a, b) => collator.compare(a.establishment, b.establishment),
  territory: (a, b) => collator.compare(a.territoryName, b.territoryName),
  category: (a, b) => collator.compare(categoryLabel(a.category), categoryLabel(b.category)),
  // Never reminded first: they are the ones to chase.
  remindedAt: (a, b) => (a.remindedAt ?? "").localeCompare(b.remindedAt ?? ""),
};

/**
 * The recipients who have not answered, filtered by territory, category and name (of the establishment
 * or the person), sorted by a column header; the whole list is in the dashboard, so it narrows at once.
 */
export function PendingList({ pending, timeZone }: { pending: Pending[]; timeZone: string }) {
  const [territory, setTerritory] = useState("");
  const [category, setCategory] = useState("");
  const [name, setName] = useState("");
  const [sort, setSort] = useState<SortKey>("establishment");
  const territories = useMemo(
    () =>
      [...new Map(pending.map((p) => [p.territory, p.territoryName])).entries()].sort((a, b) =>
        collator.compare(a[1], b[1]),
      ),
    [pending],
  );
  const categories = useMemo(
    () =>
      [...new Set(pending.map((p) => p.category))].sort((a, b) =>
        collator.compare(categoryLabel(a), categoryLabel(b)),
      ),
    [pending],
  );
  const wanted = fold(name.trim());
  const shown = pending
    .filter(
      (p) =>
        (!territory || p.territory === territory) &&
        (!category || p.category === category) &&
        (!wanted || fold(`${p.establishment} ${p.name} ${p.email}`).includes(wanted)),
    )
    .sort((a, b) => compare[sort](a, b) || collator.compare(a.establishment, b.establishment));
  return (
    <>
      <search aria-label="Filtrer les destinataires sans réponse" className="pris-retex-filters">
        <Input
          label="Établissement ou destinataire"
          nativeInputProps={{ type: "search", value: name, onChange: (e) => setName(e.target.value) }}
        />
        <SelectField
          id="pending-territory"
          label="Territoire"
          value={territory}
          options={[["", "Tous les territoires"], ...territories]}
          onChange={setTerritory}
        />
        <SelectField
          id="pending-category"
          label="Catégorie"
          value={category}
          options={[["", "Toutes les catégories"], ...categories.map((c) => [c, categoryLabel(c)] as const)]}
          onChange={setCategory}
        />
      </search>
      <p role="status" className="fr-text--sm">
        {shown.length === pending.length
          ? `${pending.length} sans réponse`
          : `${shown.length} sur ${pending.length} sans réponse`}
      </p>
      <DataTable<SortKey>
        caption="Destinataires sans réponse"
        testId="pending-list"
        headers={COLUMNS.map((c) => c.label)}
        sort={{ keys: COLUMNS.map((c) => c.key), current: sort, onSort: setSort }}
        rows={shown.map((p) => ({
          key: p.recipientId,
          cells: [
            p.establishment,
            p.territoryName,
            categoryLabel(p.category),
            <div key="recipient">
              {p.name}
              <br />
              <span className="fr-text--xs">{RECIPIENT_ROLE_LABELS[p.role]}</span>
              <br />
              <a href={`mailto:${p.email}`}>{p.email}</a>
            </div>,
            p.delivery ? DELIVERY_LABELS[p.delivery] : "Lecture dans PRIS",
            p.readAt ? formatShort(p.readAt, timeZone) : "Non",
            p.remindedAt ? formatShort(p.remindedAt, timeZone) : "Pas encore",
          ],
        }))}
      />
    </>
  );
}
