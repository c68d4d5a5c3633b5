import type { UserConflictCode } from "@pris/domain";
import { ApiError, describeError } from "../../../api/client.ts";

const FIELD_LABELS: Record<string, string> = {
  "/email": "adresse électronique",
  "/displayName": "nom affiché",
  "/phone": "téléphone",
  "/role": "rôle",
  "/establishmentId": "établissement",
  "/ghtId": "GHT",
  "/password": "mot de passe",
  "/active": "activité du compte",
};

/** The establishments a 409 names: "CH Félix Guyon (970000000) has open incidents…" gives "CH Félix Guyon (970000000)". */
function namedEstablishments(err: ApiError): string {
  return (err.problem.errors ?? []).map((e) => e.message.replace(/ has open incidents.*$/, "")).join(", ");
}

/** Why the API refused a change to a user, in French. */
export function describeUserProblem(err: unknown): string {
  if (!(err instanceof ApiError)) return describeError(err);
  if (err.status === 403) return "Cette action est réservée aux administrateurs.";
  if (err.status === 409) {
    switch (err.problem.code as UserConflictCode) {
      case "last_admin":
        return "Refusé : c'est le dernier administrateur actif. Nommez ou réactivez d'abord un autre administrateur.";
      case "only_rssi_with_open_incidents":
        return (
          `Refusé : cette personne est le seul RSSI actif de ${namedEstablishments(err)}, qui a des incidents ` +
          "en cours. Désignez d'abord un autre RSSI (de l'établissement ou de son GHT)."
        );
      case "email_taken":
        return "Cette adresse électronique est déjà celle d'un autre compte.";
      default:
        return "Modification refusée dans l'état actuel de l'annuaire.";
    }
  }
  if (err.status === 400) {
    // The password policy's refusal is in French already: say it as it is.
    const password = err.problem.errors?.find((e) => e.field === "/password");
    if (password) return `Mot de passe refusé : ${password.message}`;
    const fields = [...new Set((err.problem.errors ?? []).map((e) => FIELD_LABELS[e.field] ?? e.field))];
    if (fields.includes("établissement") || fields.includes("GHT")) {
      return "Un RSSI est rattaché à un établissement ou à un GHT (et les autres rôles à aucun) : vérifiez le périmètre.";
    }
    return fields.length > 0 ? `Vérifiez : ${fields.join(", ")}.` : "La demande est incomplète.";
  }
  return describeError(err);
}
