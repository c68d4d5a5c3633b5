import type {
  Category,
  Establishment,
  EstablishmentAdminCreate,
  EstablishmentAdminPatch,
  Nis2Status,
  SupplierService,
} from "@pris/domain";

export const CONTACT_ROLES = ["rssi", "deputy", "director", "dpo"] as const;
export type ContactRole = (typeof CONTACT_ROLES)[number];
export const CONTACT_ROLE_LABELS: Record<ContactRole, string> = {
  rssi: "RSSI",
  deputy: "Suppléant du RSSI",
  director: "Directeur ou directrice",
  dpo: "Délégué à la protection des données (DPO)",
};

export interface ContactDraft {
  name: string;
  email: string;
  phone: string;
}
export interface SupplierDraft {
  service: SupplierService;
  name: string;
}

/** An establishment as its form holds it: text fields as typed, empty for absent. */
export interface EstablishmentDraft {
  finess: string;
  legalEntityFiness: string;
  siret: string;
  name: string;
  category: Category;
  territory: string;
  ghtId: string;
  smallStructure: boolean;
  nis2Status: Nis2Status;
  addressLines: string;
  commune: string;
  postalLine: string;
  phone: string;
  activeFrom: string;
  activeUntil: string;
  contacts: Record<ContactRole, ContactDraft>;
  functionalMailbox: string;
  /** Picked from the catalog or declared through the shared product picker: already trimmed. */
  products: Establishment["products"];
  suppliers: SupplierDraft[];
}

const noContact = (): ContactDraft => ({ name: "", email: "", phone: "" });

export function emptyDraft(): EstablishmentDraft {
  return {
    finess: "",
    legalEntityFiness: "",
    siret: "",
    name: "",
    category: "ch",
    territory: "",
    ghtId: "",
    smallStructure: false,
    nis2Status: "not_subject",
    addressLines: "",
    commune: "",
    postalLine: "",
    phone: "",
    activeFrom: "",
    activeUntil: "",
    contacts: { rssi: noContact(), deputy: noContact(), director: noContact(), dpo: noContact() },
    functionalMailbox: "",
    products: [],
    suppliers: [],
  };
}

export function draftOf(e: Establishment): EstablishmentDraft {
  const contact = (role: ContactRole): ContactDraft => {
    const c = e.contacts[role];
    return { name: c?.name ?? "", email: c?.email ?? "", phone: c?.phone ?? "" };
  };
  return {
    finess: e.finess,
    legalEntityFiness: e.legalEntityFiness ?? "",
    siret: e.siret ?? "",
    name: e.name,
    category: e.category,
    territory: e.territory,
    ghtId: e.ghtId ?? "",
    smallStructure: e.smallStructure,
    nis2Status: e.nis2Status,
    addressLines: e.address?.lines.join("\n") ?? "",
    commune: e.address?.commune ?? "",
    postalLine: e.address?.postalLine ?? "",
    phone: e.phone ?? "",
    activeFrom: e.activeFrom ?? "",
    activeUntil: e.activeUntil ?? "",
    contacts: {
      rssi: contact("rssi"),
      deputy: contact("deputy"),
      director: contact("director"),
      dpo: contact("dpo"),
    },
    functionalMailbox: e.contacts.functionalMailbox ?? "",
    products: e.products,
    suppliers: e.suppliers.map((s) => ({ ...s })),
  };
}

const orNull = (s: string) => (s.trim() === "" ? null : s.trim());

/** The fields every form sends, both on creation and on update. */
function common(d: EstablishmentDraft) {
  const contacts: EstablishmentAdminPatch["contacts"] & object = {};
  for (const role of CONTACT_ROLES) {
    const c = d.contacts[role];
    if (!c.name.trim() && !c.email.trim() && !c.phone.trim()) continue;
    contacts[role] = {
      name: c.name.trim(),
      ...(c.email.trim() ? { email: c.email.trim() } : {}),
      ...(c.phone.trim() ? { phone: c.phone.trim() } : {}),
    };
  }
  if (d.functionalMailbox.trim()) contacts.functionalMailbox = d.functionalMailbox.trim();
  const lines = d.addressLines
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const hasAddress = lines.length > 0 || d.commune.trim() || d.postalLine.trim();
  return {
    legalEntityFiness: orNull(d.legalEntityFiness),
    siret: orNull(d.siret),
    name: d.name.trim(),
    category: d.category,
    territory: d.territory,
    ghtId: orNull(d.ghtId),
    smallStructure: d.smallStructure,
    nis2Status: d.nis2Status,
    contacts,
    products: d.products,
    suppliers: d.suppliers.filter((s) => s.name.trim()).map((s) => ({ ...s, name: s.name.trim() })),
    address: hasAddress
      ? {
          lines,
          ...(d.commune.trim() ? { commune: d.commune.trim() } : {}),
          ...(d.postalLine.trim() ? { postalLine: d.postalLine.trim() } : {}),
        }
      : null,
    phone: orNull(d.phone),
    activeFrom: orNull(d.activeFrom),
  };
}

export function createBody(d: EstablishmentDraft): EstablishmentAdminCreate {
  return { finess: d.finess.trim().toUpperCase(), ...common(d) };
}

export function patchBody(d: EstablishmentDraft): EstablishmentAdminPatch {
  return { ...common(d), activeUntil: orNull(d.activeUntil) };
}
