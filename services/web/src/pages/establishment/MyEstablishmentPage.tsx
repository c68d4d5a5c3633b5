import type { Establishment } from "@pris/domain";
import { useState } from "react";
import { usePageTitle } from "../../components/Layout.tsx";
import { LoadError } from "../../components/LoadError.tsx";
import { SelectField } from "../../components/SelectField.tsx";
import { useResource } from "../../lib/use-resource.ts";
import { useMe } from "../../session.tsx";
import { ApiKeysSection } from "./ApiKeysSection.tsx";
import { ContactsSection } from "./ContactsSection.tsx";
import { ProductsSection } from "./ProductsSection.tsx";
import { SuppliersSection } from "./SuppliersSection.tsx";

/**
 * An RSSI keeps their establishment's record true: contacts, declared products and suppliers (what
 * bulletins target) and the API keys of its tools. A GHT's RSSI picks one of the members first.
 */
export function MyEstablishmentPage() {
  usePageTitle("Mon établissement");
  const me = useMe();
  const [chosen, setChosen] = useState(me.establishments[0]?.id ?? "");
  const { state, reload, set } = useResource<Establishment>(chosen ? `/establishments/${chosen}` : null);

  if (me.establishments.length === 0) {
    return (
      <div className="fr-container fr-my-6w">
        <h1>Mon établissement</h1>
        <p>Votre compte n'est rattaché à aucun établissement. Contactez l'administrateur de la plateforme.</p>
      </div>
    );
  }

  return (
    <div className="fr-container fr-my-4w pris-narrow">
      <h1>Mon établissement</h1>
      {me.establishments.length > 1 && (
        <SelectField
          id="establishment"
          label="Établissement"
          value={chosen}
          options={me.establishments.map((e) => [e.id, `${e.name} (${e.finess})`] as const)}
          onChange={setChosen}
        />
      )}
      {state.status === "loading" && <p>Chargement…</p>}
      {state.status === "error" && (
        <LoadError title="L'établissement n'a pas pu être lu" message={state.message} retry={reload} />
      )}
      {state.status === "ready" && state.data.id === chosen && (
        <div key={chosen}>
          <p className="fr-text--lead">
            {state.data.name} <span className="pris-muted">— FINESS {state.data.finess}</span>
          </p>
          <ContactsSection establishment={state.data} onSaved={set} />
          <ProductsSection establishment={state.data} onSaved={set} />
          <SuppliersSection establishment={state.data} onSaved={set} />
          <ApiKeysSection establishmentId={chosen} />
        </div>
      )}
    </div>
  );
}
