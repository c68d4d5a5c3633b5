import {
  type AuditAction,
  type AuditObjectKind,
  CATEGORIES,
  formatWeekMinute,
  isAuditAction,
  NIS2_LABELS,
  ROLE_LABELS,
} from "@pris/domain";
import { formatShort } from "../../../lib/zoned-time.ts";

/**
 * The trail in French: kinds of object, actions and field names of every administrative change. The kinds
 * and actions are those declared in @pris/domain (a missing label does not compile); a field not named
 * here is shown as the API spells it, so that a new field is never hidden.
 */
export const OBJECT_KIND_LABELS: Record<AuditObjectKind, string> = {
  user: "Compte",
  territory: "Territoire",
  ght: "GHT",
  establishment: "Établissement",
  apikey: "Clé d'API",
  invitation: "Invitation",
  oncall: "Astreinte",
  registry_import: "Import du registre FINESS",
  category_mapping: "Correspondance de catégorie",
  territory_mapping: "Correspondance de territoire",
  identity_provider: "Fournisseur d'identité",
  second_factor_policy: "Règle de double authentification",
  token: "Jeton de connexion",
};

/** What each action did, as the trail's "Action" column and filter read it. */
export const ACTION_LABELS: Record<AuditAction, string> = {
  "user.create": "Création du compte",
  "user.update": "Modification du compte",
  "user.deactivate": "Désactivation du compte",
  "user.reactivate": "Réactivation du compte",
  "user.password_change": "Changement du mot de passe par son titulaire",
  "user.password_reset": "Réinitialisation du mot de passe par courriel",
  "user.reset_link_refused": "Lien de réinitialisation refusé (expiré ou déjà utilisé)",
  "territory.create": "Création du territoire",
  "territory.update": "Modification du territoire",
  "territory.retire": "Retrait du territoire",
  "territory.restore": "Rétablissement du territoire",
  "ght.create": "Création du GHT",
  "ght.update": "Modification du GHT",
  "ght.add_member": "Ajout d'un établissement membre",
  "ght.remove_member": "Retrait d'un établissement membre",
  "establishment.create": "Création de l'établissement",
  "establishment.update": "Modification de l'établissement",
  "establishment.deactivate": "Désactivation de l'établissement",
  "establishment.reactivate": "Réactivation de l'établissement",
  "establishment.contacts": "Modification des contacts",
  "establishment.products": "Modification des produits déclarés",
  "establishment.suppliers": "Modification des prestataires",
  "apikey.create": "Création d'une clé d'API",
  "apikey.revoke": "Révocation d'une clé d'API",
  "invitation.create": "Envoi d'une invitation",
  "invitation.resend": "Nouvel envoi d'une invitation",
  "invitation.cancel": "Annulation d'une invitation",
  "invitation.accept": "Acceptation d'une invitation",
  "invitation.bulk": "Invitations groupées",
  "invitation.link_refused": "Lien d'invitation refusé (expiré, déjà utilisé, annulé ou remplacé)",
  "oncall.create": "Ajout d'un créneau d'astreinte",
  "oncall.update": "Modification d'un créneau d'astreinte",
  "oncall.delete": "Suppression d'un créneau d'astreinte",
  "import.preview": "Aperçu d'un import FINESS",
  "import.apply": "Application d'un import FINESS",
  "registry.mapping.update": "Modification d'une correspondance",
  "registry.mapping.delete": "Suppression d'une correspondance",
  "auth.sso_link": "Liaison d'un compte à un fournisseur d'identité",
  "auth.sso_refused": "Connexion par fournisseur d'identité refusée",
  "mfa.enrol": "Enregistrement d'un second facteur",
  "mfa.remove": "Retrait d'un second facteur",
  "mfa.recovery_codes": "Nouveaux codes de secours",
  "mfa.failed": "Échec de la double authentification",
  "mfa.reset": "Réinitialisation des seconds facteurs",
  "mfa.policy_update": "Modification de la règle de double authentification",
  "session.end": "Fin d'une session",
  "session.end_all": "Fin de toutes les sessions d'une personne",
  "auth.token_refused": "Jeton refusé (signé mais incomplet)",
};

export const actionLabel = (action: string): string =>
  isAuditAction(action) ? ACTION_LABELS[action] : action;

export const objectKindLabel = (kind: string): string =>
  Object.hasOwn(OBJECT_KIND_LABELS, kind) ? OBJECT_KIND_LABELS[kind as AuditObjectKind] : kind;

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
  passwordChangedAt: "Mot de passe changé le",
  sessionsEnded: "Sessions fermées",
  name: "Nom",
  code: "Code",
  finess: "FINESS",
  legalEntityFiness: "FINESS juridique",
  siret: "SIRET",
  category: "Catégorie",
  finessCategory: "Catégorie FINESS",
  sector: "Secteur",
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
  member: "Établissement membre",
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
  provider: "Fournisseur d'identité",
  subject: "Identifiant chez le fournisseur",
  reason: "Motif",
  acr: "Niveau d'authentification (acr)",
  method: "Méthode",
  required: "Obligatoire",
  requiredFrom: "Obligatoire à partir du",
  passkeys: "Clés d'accès",
  totp: "Application d'authentification",
  recoveryCodes: "Codes de secours",
};

const SECTOR_LABELS: Record<string, string> = {
  es: "Établissement de santé",
  esms: "Établissement médico-social",
  other: "Autre",
};

/** Where a change without a person came from. */
const SOURCE_LABELS: Record<string, string> = {
  registry_import: "Import du registre FINESS",
  ADMIN_EMAIL: "Compte créé au démarrage (ADMIN_EMAIL)",
};

export const fieldLabel = (field: string) => FIELD_LABELS[field] ?? field;

/** Instants, shown in the region's zone. */
const INSTANT_FIELDS = new Set([
  "expiresAt",
  "passwordChangedAt",
  "acceptedAt",
  "cancelledAt",
  "retiredAt",
  "revokedAt",
  "appliedAt",
  "requiredFrom",
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
    if (field === "sector") return SECTOR_LABELS[value] ?? value;
    if (field === "source") return SOURCE_LABELS[value] ?? value;
    return value;
  }
  if (typeof value === "number") return value.toLocaleString("fr-FR");
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join(", ") || "—";
  if (typeof value === "object" && "name" in value && typeof value.name === "string") {
    const finess = "finess" in value && typeof value.finess === "string" ? ` (FINESS ${value.finess})` : "";
    return `${value.name}${finess}`;
  }
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
