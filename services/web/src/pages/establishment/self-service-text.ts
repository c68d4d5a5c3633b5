import { ApiError, describeError } from "../../api/client.ts";

const MESSAGES: [RegExp, string][] = [
  [/format "email"|must match format "email"/, "n'est pas une adresse électronique valide"],
  [/pattern/, "n'a pas le bon format"],
  [/fewer than|must NOT have fewer/, "est obligatoire"],
  [/more than|must NOT have more/, "est trop long"],
];

const FIELDS: Record<string, string> = {
  rssi: "RSSI",
  deputy: "RSSI adjoint",
  director: "Directeur",
  dpo: "DPO",
  functionalMailbox: "Boîte fonctionnelle",
  name: "nom",
  email: "adresse électronique",
  phone: "téléphone",
  vendor: "éditeur",
  product: "produit",
};

/** "/rssi/email" → "RSSI, adresse électronique". */
function fieldName(pointer: string): string {
  return pointer
    .split("/")
    .filter((p) => p && !/^\d+$/.test(p) && p !== "products" && p !== "suppliers")
    .map((p) => FIELDS[p] ?? p)
    .join(", ");
}

/** A refusal of the API in French, naming the fields. */
export function describeSelfServiceProblem(err: unknown): string {
  if (err instanceof ApiError && err.status === 400 && err.problem.errors?.length) {
    const parts = err.problem.errors.map((e) => {
      const message = MESSAGES.find(([re]) => re.test(e.message))?.[1] ?? "valeur refusée";
      return `${fieldName(e.field) || "champ"} : ${message}`;
    });
    return `Vérifiez les champs : ${parts.join(" ; ")}.`;
  }
  if (err instanceof ApiError && err.status === 404)
    return "Établissement introuvable, ou vous n'y avez pas accès.";
  return describeError(err);
}
