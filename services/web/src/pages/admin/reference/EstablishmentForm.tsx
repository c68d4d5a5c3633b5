import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import {
  CATEGORIES,
  CATEGORY_VALUES,
  type Category,
  NIS2_LABELS,
  NIS2_STATUSES,
  type TerritoryAdmin,
} from "@pris/domain";
import { type FormEvent, useEffect, useState } from "react";
import { api } from "../../../api/client.ts";
import { labelled, SelectField } from "../../../components/SelectField.tsx";
import { TextField } from "../../../components/TextField.tsx";
import { ContactsFields, ProductsAndSuppliersFields } from "./EstablishmentRecordFields.tsx";
import type { EstablishmentDraft } from "./establishment-draft.ts";
import type { Ght } from "./reference-common.ts";

/** Territories (the current ones, and the establishment's own even if retired) and GHTs to choose from. */
export function useReferenceChoices() {
  const [territories, setTerritories] = useState<TerritoryAdmin[]>([]);
  const [ghts, setGhts] = useState<Ght[]>([]);
  useEffect(() => {
    api.get<TerritoryAdmin[]>("/territories?includeRetired=true").then(setTerritories, () => {});
    api.get<Ght[]>("/ghts").then(setGhts, () => {});
  }, []);
  return { territories, ghts };
}

const CATEGORY_OPTIONS = CATEGORY_VALUES.map((c) => [c, CATEGORIES[c as Category].label] as const);

/**
 * Every field of an establishment: identity and registry numbers, place in the region, NIS2, address,
 * period in the registry, contacts by role, declared products and suppliers.
 */
export function EstablishmentForm({
  draft,
  setDraft,
  mode,
  busy,
  error,
  onSubmit,
}: {
  draft: EstablishmentDraft;
  setDraft(change: (d: EstablishmentDraft) => EstablishmentDraft): void;
  mode: "create" | "edit";
  busy: boolean;
  error: string | null;
  onSubmit(): void;
}) {
  const { territories, ghts } = useReferenceChoices();
  const text = (key: keyof EstablishmentDraft) => ({
    value: draft[key] as string,
    onValue: (v: string) => setDraft((d) => ({ ...d, [key]: v })),
  });
  const territoryOptions = territories
    .filter((t) => !t.retiredAt || t.code === draft.territory)
    .map((t) => [t.code, t.retiredAt ? `${t.name} (retiré)` : t.name] as const);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <form onSubmit={submit} aria-label="Fiche de l'établissement">
      <fieldset className="fr-fieldset">
        <legend className="fr-fieldset__legend">Identité</legend>
        <div className="fr-fieldset__element pris-fields">
          <TextField
            id="est-finess"
            label="FINESS (établissement)"
            hint={mode === "edit" ? "Ne change pas" : "9 caractères"}
            {...text("finess")}
            disabled={mode === "edit"}
            required
            maxLength={9}
          />
          <TextField
            id="est-legal-finess"
            label="FINESS de l'entité juridique"
            {...text("legalEntityFiness")}
            maxLength={9}
          />
          <TextField id="est-siret" label="SIRET" hint="14 chiffres" {...text("siret")} maxLength={14} />
        </div>
        <div className="fr-fieldset__element">
          <TextField id="est-name" label="Nom" {...text("name")} required maxLength={300} />
        </div>
        <div className="fr-fieldset__element pris-fields">
          <SelectField
            id="est-category"
            label="Catégorie"
            value={draft.category}
            options={CATEGORY_OPTIONS}
            onChange={(category) => setDraft((d) => ({ ...d, category }))}
          />
          <SelectField
            id="est-territory"
            label="Territoire"
            value={draft.territory}
            options={[["", "Choisir un territoire"], ...territoryOptions]}
            onChange={(territory) => setDraft((d) => ({ ...d, territory }))}
          />
          <SelectField
            id="est-ght"
            label="GHT"
            value={draft.ghtId}
            options={[["", "Aucun"], ...ghts.map((g) => [g.id, g.name] as const)]}
            onChange={(ghtId) => setDraft((d) => ({ ...d, ghtId }))}
          />
        </div>
        <div className="fr-fieldset__element pris-fields">
          <SelectField
            id="est-nis2"
            label="Statut NIS2"
            value={draft.nis2Status}
            options={labelled(NIS2_STATUSES, NIS2_LABELS)}
            onChange={(nis2Status) => setDraft((d) => ({ ...d, nis2Status }))}
          />
          <div className="fr-checkbox-group">
            <input
              type="checkbox"
              id="est-small"
              checked={draft.smallStructure}
              onChange={(e) => setDraft((d) => ({ ...d, smallStructure: e.target.checked }))}
            />
            <label className="fr-label" htmlFor="est-small">
              Petite structure
              <span className="fr-hint-text">Kit d'exercice allégé</span>
            </label>
          </div>
        </div>
      </fieldset>
      <fieldset className="fr-fieldset">
        <legend className="fr-fieldset__legend">Coordonnées et présence au répertoire</legend>
        <div className="fr-fieldset__element">
          <TextField
            id="est-address"
            label="Adresse"
            hint="Une ligne par ligne d'adresse"
            textArea
            rows={2}
            {...text("addressLines")}
          />
        </div>
        <div className="fr-fieldset__element pris-fields">
          <TextField
            id="est-commune"
            label="Code commune (INSEE)"
            hint="Ex. : 97411"
            {...text("commune")}
            maxLength={5}
          />
          <TextField id="est-postal" label="Code postal et ville" {...text("postalLine")} maxLength={300} />
          <TextField id="est-phone" label="Standard" type="tel" {...text("phone")} maxLength={30} />
        </div>
        <div className="fr-fieldset__element pris-fields">
          <TextField id="est-active-from" label="Entrée au répertoire" type="date" {...text("activeFrom")} />
          {mode === "edit" && (
            <TextField
              id="est-active-until"
              label="Sortie du répertoire"
              hint="Renseignée à la désactivation"
              type="date"
              {...text("activeUntil")}
            />
          )}
        </div>
      </fieldset>
      <ContactsFields draft={draft} update={setDraft} />
      <ProductsAndSuppliersFields draft={draft} update={setDraft} />
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      <Button type="submit" disabled={busy}>
        {mode === "create" ? "Enregistrer l'établissement" : "Enregistrer les modifications"}
      </Button>
    </form>
  );
}
