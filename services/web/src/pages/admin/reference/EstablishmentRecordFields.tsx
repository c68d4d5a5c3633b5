import { Button } from "@codegouvfr/react-dsfr/Button";
import { SUPPLIER_SERVICE_LABELS, SUPPLIER_SERVICES } from "@pris/domain";
import { ProductPicker } from "../../../components/ProductPicker.tsx";
import { labelled, SelectField } from "../../../components/SelectField.tsx";
import { TextField } from "../../../components/TextField.tsx";
import {
  CONTACT_ROLE_LABELS,
  CONTACT_ROLES,
  type ContactDraft,
  type EstablishmentDraft,
  type SupplierDraft,
} from "./establishment-draft.ts";

type Update = (change: (d: EstablishmentDraft) => EstablishmentDraft) => void;

/** The people the pole and the bulletins reach: one per role, and the functional mailbox. */
export function ContactsFields({ draft, update }: { draft: EstablishmentDraft; update: Update }) {
  const set = (role: (typeof CONTACT_ROLES)[number], field: keyof ContactDraft, value: string) =>
    update((d) => ({ ...d, contacts: { ...d.contacts, [role]: { ...d.contacts[role], [field]: value } } }));
  return (
    <fieldset className="fr-fieldset">
      <legend className="fr-fieldset__legend">
        Contacts
        <span className="fr-hint-text">
          Le RSSI, son suppléant et la boîte fonctionnelle reçoivent les bulletins d'alerte.
        </span>
      </legend>
      {CONTACT_ROLES.map((role) => (
        <div key={role} className="fr-fieldset__element pris-fields">
          <TextField
            id={`est-contact-${role}-name`}
            label={`${CONTACT_ROLE_LABELS[role]} : nom`}
            value={draft.contacts[role].name}
            onValue={(v) => set(role, "name", v)}
            maxLength={200}
          />
          <TextField
            id={`est-contact-${role}-email`}
            label="Courriel"
            type="email"
            value={draft.contacts[role].email}
            onValue={(v) => set(role, "email", v)}
            maxLength={254}
          />
          <TextField
            id={`est-contact-${role}-phone`}
            label="Téléphone"
            type="tel"
            value={draft.contacts[role].phone}
            onValue={(v) => set(role, "phone", v)}
            maxLength={30}
          />
        </div>
      ))}
      <div className="fr-fieldset__element">
        <TextField
          id="est-functional-mailbox"
          label="Boîte fonctionnelle (courriel)"
          type="email"
          value={draft.functionalMailbox}
          onValue={(v) => update((d) => ({ ...d, functionalMailbox: v }))}
          maxLength={254}
        />
      </div>
    </fieldset>
  );
}

function replaceAt<T>(items: T[], index: number, item: T | null): T[] {
  return item === null ? items.filter((_, i) => i !== index) : items.map((x, i) => (i === index ? item : x));
}

/** Declared products and suppliers: what bulletin targeting and contagion spotting use. */
export function ProductsAndSuppliersFields({ draft, update }: { draft: EstablishmentDraft; update: Update }) {
  const setSupplier = (i: number, s: SupplierDraft | null) =>
    update((d) => ({ ...d, suppliers: replaceAt(d.suppliers, i, s) }));
  return (
    <>
      <fieldset className="fr-fieldset">
        <legend className="fr-fieldset__legend">
          Produits déclarés
          <span className="fr-hint-text">
            Un produit déjà déclaré ailleurs reprend l'orthographe du catalogue régional.
          </span>
        </legend>
        <div className="fr-fieldset__element">
          <ProductPicker
            products={draft.products}
            onAdd={(p) => update((d) => ({ ...d, products: [...d.products, p] }))}
            onRemove={(i) => update((d) => ({ ...d, products: replaceAt(d.products, i, null) }))}
          />
        </div>
      </fieldset>
      <fieldset className="fr-fieldset">
        <legend className="fr-fieldset__legend">Prestataires</legend>
        {draft.suppliers.map((s, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place
          <div key={i} className="fr-fieldset__element pris-fields">
            <SelectField
              id={`est-supplier-${i}-service`}
              label="Service"
              value={s.service}
              options={labelled(SUPPLIER_SERVICES, SUPPLIER_SERVICE_LABELS)}
              onChange={(service) => setSupplier(i, { ...s, service })}
            />
            <TextField
              id={`est-supplier-${i}-name`}
              label="Nom du prestataire"
              value={s.name}
              onValue={(name) => setSupplier(i, { ...s, name })}
              maxLength={200}
            />
            <Button type="button" priority="tertiary" size="small" onClick={() => setSupplier(i, null)}>
              Retirer
            </Button>
          </div>
        ))}
        <Button
          type="button"
          priority="secondary"
          size="small"
          iconId="fr-icon-add-line"
          onClick={() => update((d) => ({ ...d, suppliers: [...d.suppliers, { service: "msp", name: "" }] }))}
        >
          Ajouter un prestataire
        </Button>
      </fieldset>
    </>
  );
}
