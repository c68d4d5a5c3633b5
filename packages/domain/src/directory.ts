/** Roles, establishment categories, NIS2 statuses and the other words of the directory. */
export const ROLES = ["rssi", "analyst", "taskforce", "ars", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  rssi: "RSSI d'établissement",
  analyst: "Analyste du pôle cyber",
  taskforce: "Membre de la task force",
  ars: "ARS",
  admin: "Administrateur",
};

/** ES: health establishment (décret 2016-1214); ESMS: medico-social (décret 2022-715). */
export const SECTORS = ["es", "esms", "other"] as const;
export type Sector = (typeof SECTORS)[number];

export const CATEGORIES = {
  chu: { sector: "es", label: "Centre hospitalier universitaire" },
  ch: { sector: "es", label: "Centre hospitalier" },
  private_clinic: { sector: "es", label: "Clinique privée" },
  psychiatric: { sector: "es", label: "Établissement de santé mentale" },
  smr: { sector: "es", label: "Soins médicaux et de réadaptation" },
  had: { sector: "es", label: "Hospitalisation à domicile" },
  dialysis: { sector: "es", label: "Centre de dialyse" },
  ehpad: { sector: "esms", label: "EHPAD" },
  disability_adults: { sector: "esms", label: "Structure pour adultes handicapés (MAS, FAM, foyer)" },
  disability_children: { sector: "esms", label: "Structure pour enfants handicapés (IME, SESSAD)" },
  home_care: { sector: "esms", label: "Services à domicile (SSIAD, SAAD)" },
  laboratory: { sector: "other", label: "Laboratoire de biologie médicale" },
  radiology: { sector: "other", label: "Centre d'imagerie" },
  other: { sector: "other", label: "Autre structure" },
} as const satisfies Record<string, { sector: Sector; label: string }>;
export type Category = keyof typeof CATEGORIES;
export const CATEGORY_VALUES = Object.keys(CATEGORIES) as Category[];

export function sectorOf(category: Category): Sector {
  return CATEGORIES[category].sector;
}

export const NIS2_STATUSES = ["essential", "important", "not_subject"] as const;
export type Nis2Status = (typeof NIS2_STATUSES)[number];
export const NIS2_LABELS: Record<Nis2Status, string> = {
  essential: "Entité essentielle",
  important: "Entité importante",
  not_subject: "Non assujetti",
};

export function isNis2Subject(status: Nis2Status): boolean {
  return status === "essential" || status === "important";
}

/**
 * FINESS number: 9 characters, starting with the département (01–95, 2A/2B for Corsica,
 * 97x/98x overseas). The last character is a check digit we do not verify: the registry does.
 */
export const FINESS_PATTERN = "^(?:0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|9[78][0-9])[0-9A-Z]{6,7}$";

export function isFiness(value: string): boolean {
  return value.length === 9 && new RegExp(FINESS_PATTERN).test(value);
}

export const PRODUCT_KINDS = [
  "dpi",
  "vpn",
  "msp",
  "email",
  "pacs",
  "lis",
  "pharmacy",
  "directory",
  "firewall",
  "other",
] as const;
export type ProductKind = (typeof PRODUCT_KINDS)[number];
export const PRODUCT_KIND_LABELS: Record<ProductKind, string> = {
  dpi: "Dossier patient informatisé",
  vpn: "VPN / accès distant",
  msp: "Infogérance",
  email: "Messagerie",
  pacs: "Imagerie (PACS)",
  lis: "Système de laboratoire",
  pharmacy: "Pharmacie",
  directory: "Annuaire",
  firewall: "Pare-feu",
  other: "Autre",
};

/** Who runs part of an establishment's information system, for bulletins about a supplier's compromise. */
export const SUPPLIER_SERVICES = ["msp", "hosting", "software", "telecom", "security", "other"] as const;
export type SupplierService = (typeof SUPPLIER_SERVICES)[number];
export const SUPPLIER_SERVICE_LABELS: Record<SupplierService, string> = {
  msp: "Infogérance",
  hosting: "Hébergement (HDS)",
  software: "Éditeur / maintenance logicielle",
  telecom: "Opérateur télécom",
  security: "Prestataire de sécurité (SOC, audit)",
  other: "Autre prestataire",
};

/**
 * One spelling per vendor and product: lower case, without accents, punctuation or repeated spaces, so
 * that "Softway Médical", "SOFTWAY  MEDICAL" and "softway-medical" are one entry of the catalog.
 */
export function catalogKey(vendor: string, product = ""): string {
  const norm = (s: string) =>
    s
      .normalize("NFD")
      .replace(/\p{M}/gu, "")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, " ")
      .trim();
  return `${norm(vendor)}|${norm(product)}`;
}
