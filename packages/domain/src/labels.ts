import type { QualificationPatch } from "./contracts/workflow-contract.ts";
import type { MailTemplate } from "./mail-templates.ts";
import { RSIT_CLASSES } from "./rsit.ts";

/**
 * The internal keys a person may come to read — in a page or an e-mail — with their French wording,
 * each in one place. Each is a Record over its type, so that a key added without its label does not
 * compile. (Statuses, severities, clocks, categories and the like keep theirs beside their types:
 * INCIDENT_STATUS_LABELS, CLOCK_LABELS, CATEGORIES…)
 */

/** Every kind of entry the main courante holds: written by the API, the worker, or a person. */
export const LOG_ENTRY_KINDS = [
  "declared",
  "status_changed",
  "merged_from",
  "assigned",
  "qualified",
  "escalated",
  "comment",
  "call",
  "action",
  "task_added",
  "task_done",
  "clock_recorded",
  "observables_added",
  "notification",
  "evidence_added",
  "evidence_scanned",
  "evidence_rescanned",
  "retention_purged",
] as const;
export type LogEntryKind = (typeof LOG_ENTRY_KINDS)[number];

export const LOG_ENTRY_KIND_LABELS: Record<LogEntryKind, string> = {
  declared: "Déclaration",
  status_changed: "Statut",
  merged_from: "Fusion",
  assigned: "Attribution",
  qualified: "Qualification",
  escalated: "Escalade",
  comment: "Commentaire",
  call: "Appel",
  action: "Action",
  task_added: "Tâche",
  task_done: "Tâche",
  clock_recorded: "Échéance réglementaire",
  observables_added: "Indicateurs",
  notification: "Courriel",
  evidence_added: "Pièce jointe",
  evidence_scanned: "Analyse antivirus",
  evidence_rescanned: "Analyse antivirus",
  retention_purged: "Fin de conservation",
};

export function isLogEntryKind(kind: string): kind is LogEntryKind {
  return (LOG_ENTRY_KINDS as readonly string[]).includes(kind);
}

/** A kind written before this list knew it is named generically rather than shown as spelled. */
export function logEntryKindLabel(kind: string): string {
  return isLogEntryKind(kind) ? LOG_ENTRY_KIND_LABELS[kind] : "Entrée";
}

/** What each e-mail is, as the main courante names the one it records as sent. */
export const MAIL_TEMPLATE_LABELS: Record<MailTemplate, string> = {
  "incident-declared": "nouveau signalement",
  "incident-escalated": "incident majeur, cellule de crise ouverte",
  "evidence-quarantined": "pièce jointe mise en quarantaine",
  "sla-reminder": "rappel : prise en compte à faire",
  "sla-missed": "délai de prise en compte dépassé",
  "followup-due": "relance à faire",
  "clock-reminder": "échéance réglementaire proche",
  "clock-overdue": "échéance réglementaire dépassée",
  "exercise-due": "exercice de crise à venir",
  "exercise-unplanned": "exercice de crise non planifié",
  "action-overdue": "action d'amélioration en retard",
  "exercise-digest": "point hebdomadaire des exercices",
  "retex-validated": "RETEX validé",
  "retex-returned": "RETEX renvoyé",
  "log-checkpoint": "point de contrôle des mains courantes",
  invitation: "invitation",
  "password-reset": "nouveau mot de passe",
  "incident-message": "message du pôle à l'établissement",
  "mailbox-unsubscribed": "désabonnement d'une boîte fonctionnelle",
  "intake-acknowledged": "accusé de réception d'un signalement par courriel",
  bulletin: "bulletin de sécurité",
};

export function mailTemplateLabel(template: string): string {
  return Object.hasOwn(MAIL_TEMPLATE_LABELS, template)
    ? MAIL_TEMPLATE_LABELS[template as MailTemplate]
    : "courriel automatique";
}

/** The qualification's fields, as the main courante tells what changed. */
export const QUALIFICATION_FIELD_LABELS: Record<Exclude<keyof QualificationPatch, "reason">, string> = {
  severity: "Gravité",
  rsitClass: "Classe RSIT",
  rsitType: "Type RSIT",
  tlp: "TLP",
};

/** An RSIT class in words; a value the taxonomy no longer holds is named as such, not shown raw. */
export function rsitClassLabel(value: string): string {
  return RSIT_CLASSES.find((c) => c.value === value)?.label ?? "Classe inconnue";
}

/** An RSIT type in words, within its class when given (a type value may recur in several classes). */
export function rsitTypeLabel(value: string, classValue?: string): string {
  const classes = classValue ? RSIT_CLASSES.filter((c) => c.value === classValue) : RSIT_CLASSES;
  for (const c of classes) {
    const t = c.types.find((x) => x.value === value);
    if (t) return t.label;
  }
  return "Type inconnu";
}

/** "Class — Type (plain words)", as the pole reads a qualification. */
export function rsitWording(rsitClass: string, rsitType: string): string {
  const cls = RSIT_CLASSES.find((c) => c.value === rsitClass);
  const type = cls?.types.find((t) => t.value === rsitType);
  if (!cls || !type) return `${rsitClassLabel(rsitClass)} — ${rsitTypeLabel(rsitType)}`;
  return `${cls.label} — ${type.label} (${type.plain})`;
}
