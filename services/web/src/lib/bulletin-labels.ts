import type { BulletinAnswer } from "@pris/domain";

/** How a recipient's answer reads on a button and in the lists. */
export const ANSWER_BUTTONS: { answer: BulletinAnswer; label: string }[] = [
  { answer: "received", label: "Bien reçu" },
  { answer: "concerned", label: "Nous sommes concernés" },
  { answer: "not_concerned", label: "Nous ne sommes pas concernés" },
  { answer: "fixed", label: "Corrigé chez nous" },
];

export const DELIVERY_LABELS: Record<string, string> = {
  queued: "En file",
  sent: "Remis",
  deferred: "Différé",
  failed: "Échec",
  superseded: "Remplacé par une révision",
};
