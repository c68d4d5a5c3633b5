import type { Establishment, GhtDetail } from "@pris/domain";
import { ApiError, describeError } from "../../../api/client.ts";

export type Ght = Omit<GhtDetail, "members">;

export interface EstablishmentPage {
  items: Establishment[];
  total: number;
  nextCursor: string | null;
}

/** How the forms name the API's fields, for the messages of a refused request. */
const FIELD_LABELS: Record<string, string> = {
  code: "Code",
  name: "Nom",
  finess: "FINESS",
  legalEntityFiness: "FINESS de l'entité juridique",
  siret: "SIRET",
  category: "Catégorie",
  territory: "Territoire",
  ghtId: "GHT",
  nis2Status: "Statut NIS2",
  phone: "Téléphone",
  address: "Adresse",
  activeFrom: "Entrée au répertoire",
  activeUntil: "Sortie du répertoire",
  contacts: "Contacts",
  products: "Produits déclarés",
  suppliers: "Prestataires",
  establishmentId: "Établissement",
  supportEstablishmentId: "Établissement support",
};

const MESSAGES: [RegExp, string][] = [
  [/retired territory/, "ce territoire est retiré"],
  [/not a territory/, "territoire inconnu"],
  [/not a known GHT/, "GHT inconnu"],
  [/not a member of this GHT/, "n'est pas membre de ce GHT"],
  [/not a known establishment/, "établissement inconnu"],
  [/already/, "déjà utilisé"],
  [/cannot leave the registry before/, "la sortie précède l'entrée au répertoire"],
  [/must match pattern|must match format/, "format invalide"],
  [/fewer than|must NOT have fewer/, "trop court"],
  [/more than|must NOT have more/, "trop long"],
  [/required/, "obligatoire"],
];

const CONFLICTS: Record<string, string> = {
  finess_taken: "Un établissement porte déjà ce numéro FINESS.",
  territory_code_taken: "Un territoire porte déjà ce code.",
  ght_code_taken: "Un GHT porte déjà ce code.",
};

function fieldLabel(pointer: string): string {
  const [first = "", ...rest] = pointer.replace(/^\//, "").split("/");
  const label = FIELD_LABELS[first] ?? first;
  return rest.length > 0 ? `${label} (${rest.join(" ")})` : label;
}

/**
 * A refused change, in French: a 409's own reason (the API writes the reference data's refusals in
 * French, with counts and names), or the fields to correct.
 */
export function describeAdminProblem(err: unknown): string {
  if (err instanceof ApiError) {
    const p = err.problem;
    if (err.status === 409) return CONFLICTS[p.code] ?? p.detail ?? "Modification refusée.";
    if (err.status === 403) return "Votre rôle ne permet pas cette modification.";
    if (err.status === 400 && p.errors?.length) {
      const parts = p.errors.map((e) => {
        const msg = MESSAGES.find(([re]) => re.test(e.message))?.[1] ?? "valeur invalide";
        return `${fieldLabel(e.field)} : ${msg}`;
      });
      return `Vérifiez les champs : ${parts.join(" ; ")}.`;
    }
  }
  return describeError(err);
}

const dayFormat = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: "UTC" });

/** A YYYY-MM-DD day as French reads it (20 mars 2026). */
export function frenchDay(day: string | null | undefined): string {
  return day ? dayFormat.format(new Date(`${day.slice(0, 10)}T00:00:00Z`)) : "—";
}
