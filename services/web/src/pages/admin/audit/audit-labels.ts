import { CATEGORIES, formatWeekMinute, NIS2_LABELS, ROLE_LABELS } from "@pris/domain";
import { formatShort } from "../../../lib/zoned-time.ts";

/**
 * The trail in French: kinds of object, verbs and field names of every administrative change. A kind, verb
 * or field not named here is shown as the API spells it, so that a new kind of change is never hidden.
 */
export const OBJECT_KIND_LABELS: Record<string, string> = {
  user: "Compte",
  territory: "Territoire",
  ght: "GHT",
  establishment: "Établissement",
  api_key: "Clé d'API",
  import: "Import du registre",
  registry_import: "Import du registre",
  invitation: "Invitation",
  oncall: "Astreinte",
  category_mapping: "Correspondance de catégorie",
  territory_mapping: "Correspondance de territoire",
  registry: "Correspondance du registre",
  settings: "Paramètres",
};

export const VERB_LABELS: Record<string, string> = {
  create: "création",
  update: "modification",
  delete: "suppression",
  deactivate: "désactivation",
  reactivate: "réactivation",
  retire: "retrait",
  rename: "renommage",
  revoke: "révocation",
  apply: "application",
  preview: "aperçu",
  send: "envoi",
  resend: "nouvel envoi",
  cancel: "annulation",
  accept: "acceptation",
  bulk: "envoi groupé",
  bootstrap: "création au démarrage",
  "mapping.update": "modification",
  "mapping.delete": "suppression",
};

export function actionLabel(action: string): string {
  const dot = action.indexOf(".");
  const kind = dot < 0 ? action : action.slice(0, dot);
  const verb = dot < 0 ? "" : action.slice(dot + 1);
  const what = OBJECT_KIND_LABELS[kind] ?? kind;
  const how = VERB_LABELS[verb] ?? verb;
  return how ? `${what} : ${how}` : what;
}

export const FIELD_LABELS: Record<string, string> = {
  email: "Adresse électronique",
  displayName: "Nom affiché",
  phone: "Téléphone",
  role: "Rôle",
  establishment: "Établissement",
  establishmentId: "Établissement (identifiant)",
  ght: "GHT",
  ghtId: "GHT (identifiant)",
  active: "Actif",
  passwordChanged: "Mot de passe changé",
  name: "Nom",
  code: "Code",
  finess: "FINESS",
  legalEntityFiness: "FINESS juridique",
  siret: "SIRET",
  category: "Catégorie",
  finessCategory: "Catégorie FINESS",
  territory: "Territoire",
  smallStructure: "Petite structure",
  nis2Status: "Statut NIS2",
  contacts: "Contacts",
  products: "Produits déclarés",
  suppliers: "Prestataires",
  address: "Adresse",
  activeFrom: "Actif depuis",
  activeUntil: "Actif jusqu'au",
  retiredAt: "Retiré le",
  supportEstablishmentId: "Établissement support (identifiant)",
  supportEstablishment: "Établissement support",
  members: "Membres",
  prefix: "Préfixe de la clé",
  revokedAt: "Révoquée le",
  slot: "Créneau",
  startMinute: "Début",
  endMinute: "Fin",
  primary: "D'astreinte",
  primaryUserId: "D'astreinte (identifiant)",
  backup: "Suppléant",
  backupUserId: "Suppléant (identifiant)",
  note: "Note",
  expiresAt: "Expire le",
  sendCount: "Nombre d'envois",
  acceptedAt: "Acceptée le",
  cancelledAt: "Annulée le",
  userId: "Compte créé (identifiant)",
  invitationId: "Invitation (identifiant)",
  count: "Nombre",
  label: "Libellé",
  registryUpdatedOn: "Mise à jour FINESS",
  source: "Origine",
  format: "Format",
  sha256: "Empreinte SHA-256",
  records: "Enregistrements lus",
  geolocations: "Géolocalisations",
  outOfRegion: "Hors région",
  notFollowed: "Catégories non suivies",
  region: "De la région",
  new: "Nouveaux",
  changed: "Modifiés",
  unchanged: "Inchangés",
  missing: "Absents du fichier",
  refused: "Lignes refusées",
  refusedNotListed: "Refus non listés",
  created: "Créés",
  updated: "Mis à jour",
  deactivated: "Désactivés",
  kept: "Gardés actifs",
};

export const fieldLabel = (field: string) => FIELD_LABELS[field] ?? field;

/** Instants, shown in the region's zone. */
const INSTANT_FIELDS = new Set([
  "expiresAt",
  "acceptedAt",
  "cancelledAt",
  "retiredAt",
  "revokedAt",
  "appliedAt",
]);
/** Days (YYYY-MM-DD), shown as DD/MM/YYYY. */
const DAY_FIELDS = new Set(["activeFrom", "activeUntil", "registryUpdatedOn"]);

/**
 * A value as people read it: yes/no, the role's or category's name, dates in French and instants in the
 * region's zone, a minute of the week as its day and hour, an address as its lines, "—" for nothing.
 */
export function formatValue(field: string, value: unknown, timeZone?: string): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "oui" : "non";
  if (typeof value === "string" && timeZone && INSTANT_FIELDS.has(field) && !Number.isNaN(Date.parse(value)))
    return formatShort(value, timeZone);
  if (typeof value === "string" && DAY_FIELDS.has(field) && /^\d{4}-\d{2}-\d{2}$/.test(value))
    return value.split("-").reverse().join("/");
  if (typeof value === "number" && (field === "startMinute" || field === "endMinute"))
    return formatWeekMinute(value, field === "endMinute");
  if (field === "address" && typeof value === "object" && !Array.isArray(value)) {
    const a = value as { lines?: unknown; postalLine?: unknown; commune?: unknown };
    const lines = Array.isArray(a.lines) ? a.lines.filter((l) => typeof l === "string") : [];
    const place =
      typeof a.postalLine === "string"
        ? a.postalLine
        : typeof a.commune === "string"
          ? `commune ${a.commune}`
          : "";
    return [...lines, place].filter(Boolean).join(", ") || "—";
  }
  if (typeof value === "string") {
    if (field === "role") return ROLE_LABELS[value as keyof typeof ROLE_LABELS] ?? value;
    if (field === "category") return CATEGORIES[value as keyof typeof CATEGORIES]?.label ?? value;
    if (field === "nis2Status") return NIS2_LABELS[value as keyof typeof NIS2_LABELS] ?? value;
    return value;
  }
  if (typeof value === "number") return value.toLocaleString("fr-FR");
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join(", ") || "—";
  return JSON.stringify(value);
}

/**
 * The fields of an entry, in the order of its after (then before): an id beside its readable name
 * (establishmentId beside establishment, primaryUserId beside primary) is left out, the name says it.
 */
export function changedFieldsOf(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
) {
  const keys = [...new Set([...Object.keys(after ?? {}), ...Object.keys(before ?? {})])];
  const named = (k: string) =>
    (k.endsWith("UserId") && keys.includes(k.slice(0, -6))) ||
    (k.endsWith("Id") && keys.includes(k.slice(0, -2)));
  return keys.filter((k) => !named(k));
}
