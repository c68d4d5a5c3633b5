import {
  type AffectedService,
  type FieldError,
  type IncidentDeclaration,
  type Me,
  normalizeObservable,
  type ObservableType,
  RSIT_CLASSES,
  type Spread,
  type Tlp,
} from "@pris/domain";
import { fromZonedInputValue, toZonedInputValue } from "../lib/zoned-time.ts";
import { observableErrorFr } from "./observable-messages.ts";

type YesNoUnknown = "yes" | "no" | "unknown";

export interface ObservableRow {
  /** Stable React key and error anchor, survives reordering and removal. */
  key: string;
  type: ObservableType;
  value: string;
}

/** What the form holds: strings as typed, "" for not answered. Saved as is in the draft. */
export interface DeclarationForm {
  establishmentId: string;
  /** How the establishment told the pole, when an analyst declares on its behalf; "" otherwise. */
  channel: "" | "phone" | "email";
  declarantName: string;
  declarantFunction: string;
  declarantPhone: string;
  declarantEmail: string;
  /** Wall time in the region's zone, as <input type="datetime-local"> gives it. */
  detectedAt: string;
  startedAt: string;
  ongoing: "" | "yes" | "no";
  title: string;
  description: string;
  rsitClass: string;
  rsitType: string;
  suspectedMalicious: "" | YesNoUnknown;
  affectedServices: AffectedService[];
  affectedServicesOther: string;
  impactGrade: "" | "0" | "1" | "2" | "3" | "4" | "5";
  spread: "" | Spread;
  personalDataBreach: "" | YesNoUnknown;
  personalDataPeople: string;
  measuresTaken: string;
  supportRequested: "" | "yes" | "no";
  supportDetails: string;
  nationalPortalDeclared: "" | "yes" | "no";
  nationalPortalReference: string;
  complaintFiled: "" | "yes" | "no";
  observables: ObservableRow[];
  tlp: Tlp;
}

export type FieldKey = Exclude<keyof DeclarationForm, "observables"> | `observables.${string}`;
export type FormErrors = Partial<Record<FieldKey, string>>;

/** The order fields appear on screen: the first error in it gets the focus. */
export const FIELD_ORDER: readonly FieldKey[] = [
  "establishmentId",
  "channel",
  "declarantName",
  "declarantFunction",
  "declarantPhone",
  "declarantEmail",
  "title",
  "rsitClass",
  "rsitType",
  "description",
  "detectedAt",
  "startedAt",
  "ongoing",
  "suspectedMalicious",
  "impactGrade",
  "affectedServices",
  "affectedServicesOther",
  "spread",
  "personalDataBreach",
  "personalDataPeople",
  "measuresTaken",
  "supportRequested",
  "supportDetails",
  "nationalPortalDeclared",
  "nationalPortalReference",
  "complaintFiled",
  // observables.<key> come here, in the order of their rows
  "tlp",
];

/** The fields in screen order, observables included: the first one in error takes the focus. */
export function fieldsInOrder(form: DeclarationForm): FieldKey[] {
  const i = FIELD_ORDER.indexOf("tlp");
  return [
    ...FIELD_ORDER.slice(0, i),
    ...form.observables.map((o) => `observables.${o.key}` as FieldKey),
    ...FIELD_ORDER.slice(i),
  ];
}

export function newObservableRow(type: ObservableType = "ipv4"): ObservableRow {
  return { key: Math.random().toString(36).slice(2, 10), type, value: "" };
}

export function initialForm(me: Me, timeZone: string, now: Date): DeclarationForm {
  return {
    establishmentId: me.establishments.length === 1 ? (me.establishments[0]?.id ?? "") : "",
    channel: me.role === "analyst" ? "phone" : "",
    declarantName: me.displayName,
    declarantFunction: me.role === "rssi" ? "RSSI" : "",
    declarantPhone: me.phone ?? "",
    declarantEmail: "",
    detectedAt: toZonedInputValue(now, timeZone),
    startedAt: "",
    ongoing: "",
    title: "",
    description: "",
    rsitClass: "",
    rsitType: "",
    suspectedMalicious: "",
    affectedServices: [],
    affectedServicesOther: "",
    impactGrade: "",
    spread: "",
    personalDataBreach: "",
    personalDataPeople: "",
    measuresTaken: "",
    supportRequested: "",
    supportDetails: "",
    nationalPortalDeclared: "",
    nationalPortalReference: "",
    complaintFiled: "",
    observables: [],
    tlp: "AMBER",
  };
}

const PHONE = /^\+?[0-9 ().-]{6,30}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** A phone a few minutes ahead is not lying: the server allows the same skew. */
const CLOCK_SKEW_MS = 5 * 60_000;

const nonEmptyObservables = (form: DeclarationForm) => form.observables.filter((o) => o.value.trim() !== "");

export function observableError(row: ObservableRow): string | null {
  if (row.value.trim() === "") return null;
  const n = normalizeObservable(row.type, row.value);
  return "error" in n ? observableErrorFr(row.type) : null;
}

/** Every rule the user can fix before sending, in French. */
export function validateForm(form: DeclarationForm, me: Me, timeZone: string, now: Date): FormErrors {
  const e: FormErrors = {};
  if (
    (me.establishments.length > 1 || me.role === "analyst") &&
    !me.establishments.some((x) => x.id === form.establishmentId)
  ) {
    e.establishmentId = "Choisissez l'établissement touché.";
  }
  if (form.declarantName.trim() === "") e.declarantName = "Indiquez le nom de la personne à joindre.";
  const phone = form.declarantPhone.trim();
  if (phone === "") e.declarantPhone = "Indiquez un numéro de téléphone joignable pendant la crise.";
  else if (!PHONE.test(phone)) {
    e.declarantPhone = "Numéro de téléphone invalide. Exemple : 0692 12 34 56 ou +262 692 12 34 56.";
  }
  const email = form.declarantEmail.trim();
  if (email !== "" && !EMAIL.test(email)) {
    e.declarantEmail = "Adresse électronique invalide. Format attendu : nom@domaine.fr";
  }

  const title = form.title.trim();
  if (title === "") e.title = "Donnez un titre court à l'incident.";
  else if (title.length < 3) e.title = "Le titre doit compter au moins 3 caractères.";
  else if (title.length > 200) e.title = "Le titre ne doit pas dépasser 200 caractères.";

  const detected = form.detectedAt ? fromZonedInputValue(form.detectedAt, timeZone) : null;
  if (form.detectedAt === "") e.detectedAt = "Indiquez quand l'incident a été constaté.";
  else if (!detected) e.detectedAt = "Date et heure invalides. Format attendu : jj/mm/aaaa hh:mm";
  else if (detected.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    e.detectedAt = "La date de constat ne peut pas être dans le futur.";
  }
  if (form.startedAt !== "") {
    const started = fromZonedInputValue(form.startedAt, timeZone);
    if (!started) e.startedAt = "Date et heure invalides. Format attendu : jj/mm/aaaa hh:mm";
    else if (detected && started.getTime() > detected.getTime()) {
      e.startedAt = "Le début de l'incident ne peut pas être postérieur à son constat.";
    }
  }
  if (form.ongoing === "") e.ongoing = "Indiquez si l'incident est toujours en cours.";

  if (form.rsitClass === "") e.rsitClass = "Choisissez ce qui décrit le mieux l'incident.";
  else if (form.rsitType === "") e.rsitType = "Précisez le type d'incident.";
  if (form.description.trim() === "") e.description = "Décrivez ce que vous constatez, en quelques mots.";
  else if (form.description.length > 20000)
    e.description = "La description est trop longue (20 000 caractères au plus).";

  if (form.impactGrade === "") e.impactGrade = "Choisissez l'impact sur la prise en charge des patients.";
  if (form.personalDataBreach === "yes" && form.personalDataPeople.trim() !== "") {
    const n = Number(form.personalDataPeople.replace(/\s/g, ""));
    if (!Number.isInteger(n) || n < 0 || n > 100_000_000) {
      e.personalDataPeople = "Indiquez un nombre entier de personnes (une estimation suffit).";
    }
  }
  for (const row of form.observables) {
    const msg = observableError(row);
    if (msg) e[`observables.${row.key}`] = msg;
  }
  return e;
}

const yes = (v: string) => v === "yes";
const trimmedOrUndefined = (v: string) => (v.trim() === "" ? undefined : v.trim());

/**
 * The body sent to POST /incidents. Deterministic for a given form: a retry with the same
 * Idempotency-Key must carry the very same body, so nothing here depends on the current time.
 * Also returns which observable row each sent observable came from, to put server errors back.
 */
export function toDeclaration(
  form: DeclarationForm,
  me: Me,
  timeZone: string,
): { body: IncidentDeclaration; observableKeys: string[] } {
  const observables = nonEmptyObservables(form);
  const detectedAt = fromZonedInputValue(form.detectedAt, timeZone);
  const startedAt = form.startedAt ? fromZonedInputValue(form.startedAt, timeZone) : null;
  const body: IncidentDeclaration = {
    // The pole always names the establishment; an RSSI only when the account covers several.
    ...(me.establishments.length > 1 || me.role === "analyst"
      ? { establishmentId: form.establishmentId }
      : {}),
    // Only the pole says the channel; the server records an RSSI's as the form.
    ...(me.role === "analyst" ? { channel: form.channel || "phone" } : {}),
    declarant: {
      name: form.declarantName.trim(),
      phone: form.declarantPhone.trim(),
      ...(trimmedOrUndefined(form.declarantFunction) ? { function: form.declarantFunction.trim() } : {}),
      ...(trimmedOrUndefined(form.declarantEmail) ? { email: form.declarantEmail.trim() } : {}),
    },
    detectedAt: (detectedAt ?? new Date(Number.NaN)).toISOString(),
    ...(startedAt ? { startedAt: startedAt.toISOString() } : {}),
    ongoing: yes(form.ongoing),
    title: form.title.trim(),
    description: form.description.trim(),
    rsitClass: form.rsitClass as IncidentDeclaration["rsitClass"],
    rsitType: form.rsitType as IncidentDeclaration["rsitType"],
    ...(form.suspectedMalicious ? { suspectedMalicious: form.suspectedMalicious } : {}),
    affectedServices: [...form.affectedServices],
    ...(form.affectedServices.includes("other") && trimmedOrUndefined(form.affectedServicesOther)
      ? { affectedServicesOther: form.affectedServicesOther.trim() }
      : {}),
    impactGrade: Number(form.impactGrade),
    ...(form.spread ? { spread: form.spread } : {}),
    ...(form.personalDataBreach
      ? {
          personalData: {
            breach: form.personalDataBreach,
            ...(form.personalDataBreach === "yes" && form.personalDataPeople.trim() !== ""
              ? { approxPeople: Number(form.personalDataPeople.replace(/\s/g, "")) }
              : {}),
          },
        }
      : {}),
    ...(trimmedOrUndefined(form.measuresTaken) ? { measuresTaken: form.measuresTaken.trim() } : {}),
    ...(form.supportRequested
      ? {
          support: {
            requested: yes(form.supportRequested),
            ...(yes(form.supportRequested) && trimmedOrUndefined(form.supportDetails)
              ? { details: form.supportDetails.trim() }
              : {}),
          },
        }
      : {}),
    ...(form.nationalPortalDeclared
      ? {
          nationalPortal: {
            declared: yes(form.nationalPortalDeclared),
            ...(yes(form.nationalPortalDeclared) && trimmedOrUndefined(form.nationalPortalReference)
              ? { reference: form.nationalPortalReference.trim() }
              : {}),
          },
        }
      : {}),
    ...(form.complaintFiled ? { complaintFiled: yes(form.complaintFiled) } : {}),
    observables: observables.map((o) => ({ type: o.type, value: o.value.trim() })),
    tlp: form.tlp,
  };
  return { body, observableKeys: observables.map((o) => o.key) };
}

/** Generic French wording per field, when the server's English reason has no closer match. */
const SERVER_FIELD_MESSAGES: Partial<Record<FieldKey, string>> = {
  establishmentId: "Cet établissement ne peut pas être choisi.",
  channel: "Choisissez comment l'établissement a joint le pôle : téléphone ou courriel.",
  declarantName: "Nom invalide (200 caractères au plus).",
  declarantFunction: "Fonction invalide (200 caractères au plus).",
  declarantPhone: "Numéro de téléphone invalide. Exemple : 0692 12 34 56 ou +262 692 12 34 56.",
  declarantEmail: "Adresse électronique invalide. Format attendu : nom@domaine.fr",
  detectedAt: "Date et heure de constat invalides.",
  startedAt: "Date et heure de début invalides.",
  ongoing: "Indiquez si l'incident est toujours en cours.",
  title: "Le titre doit compter entre 3 et 200 caractères.",
  description: "Description invalide.",
  rsitClass: "Choisissez ce qui décrit le mieux l'incident.",
  rsitType: "Ce type ne correspond pas à la catégorie choisie.",
  suspectedMalicious: "Réponse invalide.",
  affectedServices: "Services touchés invalides.",
  affectedServicesOther: "Précision trop longue (500 caractères au plus).",
  impactGrade: "Choisissez un niveau d'impact entre 0 et 5.",
  spread: "Réponse invalide.",
  personalDataBreach: "Réponse invalide.",
  personalDataPeople: "Indiquez un nombre entier de personnes.",
  measuresTaken: "Texte trop long (10 000 caractères au plus).",
  supportRequested: "Réponse invalide.",
  supportDetails: "Texte trop long (5 000 caractères au plus).",
  nationalPortalDeclared: "Indiquez si la déclaration a été faite sur le portail national.",
  nationalPortalReference: "Référence trop longue (100 caractères au plus).",
  complaintFiled: "Réponse invalide.",
  tlp: "Niveau de diffusion invalide.",
};

const POINTER_TO_FIELD: Record<string, FieldKey> = {
  "/establishmentId": "establishmentId",
  "/channel": "channel",
  "/declarant": "declarantName",
  "/declarant/name": "declarantName",
  "/declarant/function": "declarantFunction",
  "/declarant/phone": "declarantPhone",
  "/declarant/email": "declarantEmail",
  "/detectedAt": "detectedAt",
  "/startedAt": "startedAt",
  "/ongoing": "ongoing",
  "/title": "title",
  "/description": "description",
  "/rsitClass": "rsitClass",
  "/rsitType": "rsitType",
  "/suspectedMalicious": "suspectedMalicious",
  "/affectedServices": "affectedServices",
  "/affectedServicesOther": "affectedServicesOther",
  "/impactGrade": "impactGrade",
  "/spread": "spread",
  "/personalData": "personalDataBreach",
  "/personalData/breach": "personalDataBreach",
  "/personalData/approxPeople": "personalDataPeople",
  "/measuresTaken": "measuresTaken",
  "/support": "supportRequested",
  "/support/requested": "supportRequested",
  "/support/details": "supportDetails",
  "/nationalPortal": "nationalPortalDeclared",
  "/nationalPortal/declared": "nationalPortalDeclared",
  "/nationalPortal/reference": "nationalPortalReference",
  "/nationalPortal/declaredAt": "nationalPortalDeclared",
  "/complaintFiled": "complaintFiled",
  "/tlp": "tlp",
};

function frenchForServerReason(field: FieldKey, english: string): string {
  const m = english.toLowerCase();
  if (field === "detectedAt" && m.includes("future"))
    return "La date de constat ne peut pas être dans le futur.";
  if (field === "startedAt" && m.includes("after")) {
    return "Le début de l'incident ne peut pas être postérieur à son constat.";
  }
  if (field === "establishmentId" && (m.includes("required") || m.includes("must have"))) {
    return "Choisissez l'établissement touché.";
  }
  return SERVER_FIELD_MESSAGES[field] ?? "Valeur refusée par le service.";
}

/**
 * The server's field errors (JSON pointers, English reasons) put back on the form's fields in French.
 * Errors on fields the form does not show are returned apart, to be listed in the summary.
 */
export function mapServerErrors(
  errors: readonly FieldError[],
  form: DeclarationForm,
  observableKeys: readonly string[],
): { fields: FormErrors; unplaced: string[] } {
  const fields: FormErrors = {};
  const unplaced: string[] = [];
  for (const err of errors) {
    const pointer = err.field.startsWith("/body") ? err.field.slice(5) : err.field;
    const obs = /^\/observables\/(\d+)/.exec(pointer);
    if (obs) {
      const key = observableKeys[Number(obs[1])];
      const row = form.observables.find((o) => o.key === key);
      if (row) {
        fields[`observables.${row.key}`] ??= observableErrorFr(row.type);
        continue;
      }
    }
    const affected = /^\/affectedServices\/\d+/.test(pointer) ? "affectedServices" : undefined;
    const field = affected ?? POINTER_TO_FIELD[pointer] ?? POINTER_TO_FIELD[pointer.replace(/\/[^/]*$/, "")];
    if (field) fields[field] ??= frenchForServerReason(field, err.message);
    else unplaced.push(`${err.field || "déclaration"} : ${err.message}`);
  }
  return { fields, unplaced };
}

export function typesOf(rsitClass: string) {
  return RSIT_CLASSES.find((c) => c.value === rsitClass)?.types ?? [];
}

/** Whether the user changed anything from the untouched form (an untouched form is not a draft). */
export function isPristine(form: DeclarationForm, initial: DeclarationForm): boolean {
  return JSON.stringify(form) === JSON.stringify(initial);
}
