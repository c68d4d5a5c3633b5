import type { IncidentDeclaration } from "./contracts/incident-contract.ts";
import type { FieldError } from "./contracts/problem.ts";
import { normalizeObservable, type ObservableType } from "./observables.ts";
import { isRsitPair, RSIT_CLASSES } from "./rsit.ts";
import { type SeveritySuggestion, type Spread, suggestSeverity, type YesNoUnknown } from "./severity.ts";
import type { Tlp } from "./tlp.ts";

/** A declaration with every optional part made explicit, its observables normalised. */
export interface NormalizedDeclaration {
  declarant: IncidentDeclaration["declarant"];
  detectedAt: Date;
  startedAt: Date | null;
  ongoing: boolean;
  title: string;
  description: string;
  rsitClass: string;
  rsitType: string;
  suspectedMalicious: YesNoUnknown;
  affectedServices: string[];
  affectedServicesOther: string | null;
  impactGrade: 0 | 1 | 2 | 3 | 4 | 5;
  spread: Spread;
  personalData: { breach: YesNoUnknown; approxPeople: number | null };
  measuresTaken: string | null;
  support: { requested: boolean; details: string | null };
  nationalPortal: { declared: boolean; reference: string | null; declaredAt: Date | null };
  complaintFiled: boolean;
  observables: { type: ObservableType; value: string; normalized: string; comment: string | null }[];
  tlp: Tlp;
}

/** Clocks may run a little fast on a phone: a detection time up to this far ahead is accepted. */
const CLOCK_SKEW_MS = 10 * 60_000;

const blankToNull = (s: string | undefined) => (s === undefined || s.trim() === "" ? null : s.trim());

/**
 * Rules the JSON schema cannot say: the RSIT type belongs to its class, observables parse,
 * times are in order and not in the future. Returns the field errors, or the normalised declaration.
 */
export function normalizeDeclaration(
  input: IncidentDeclaration,
  now: Date,
): { ok: true; value: NormalizedDeclaration } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (!isRsitPair(input.rsitClass, input.rsitType)) {
    const allowed = RSIT_CLASSES.find((c) => c.value === input.rsitClass)?.types.map((t) => t.value) ?? [];
    errors.push({
      field: "/rsitType",
      message: `must be one of the types of class ${input.rsitClass}: ${allowed.join(", ")}`,
    });
  }
  const detectedAt = new Date(input.detectedAt);
  if (detectedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    errors.push({ field: "/detectedAt", message: "must not be in the future" });
  }
  const startedAt = input.startedAt ? new Date(input.startedAt) : null;
  if (startedAt && startedAt.getTime() > detectedAt.getTime()) {
    errors.push({ field: "/startedAt", message: "must not be after detectedAt" });
  }
  const portal = input.nationalPortal ?? { declared: false };
  if (!portal.declared && (portal.reference || portal.declaredAt)) {
    errors.push({
      field: "/nationalPortal/declared",
      message: "must be true when a reference or a date is given",
    });
  }
  const observables: NormalizedDeclaration["observables"] = [];
  const seen = new Set<string>();
  (input.observables ?? []).forEach((o, i) => {
    const n = normalizeObservable(o.type, o.value);
    if ("error" in n) {
      errors.push({ field: `/observables/${i}/value`, message: n.error });
      return;
    }
    const key = `${o.type}:${n.value}`;
    if (seen.has(key)) return;
    seen.add(key);
    observables.push({
      type: o.type,
      value: o.value.trim(),
      normalized: n.value,
      comment: blankToNull(o.comment),
    });
  });
  if (errors.length > 0) return { ok: false, errors };

  return {
    ok: true,
    value: {
      declarant: input.declarant,
      detectedAt,
      startedAt,
      ongoing: input.ongoing,
      title: input.title.trim(),
      description: input.description,
      rsitClass: input.rsitClass,
      rsitType: input.rsitType,
      suspectedMalicious: input.suspectedMalicious ?? "unknown",
      affectedServices: input.affectedServices ?? [],
      affectedServicesOther: blankToNull(input.affectedServicesOther),
      impactGrade: input.impactGrade as NormalizedDeclaration["impactGrade"],
      spread: input.spread ?? "unknown",
      personalData: {
        breach: input.personalData?.breach ?? "unknown",
        approxPeople: input.personalData?.approxPeople ?? null,
      },
      measuresTaken: blankToNull(input.measuresTaken),
      support: { requested: input.support?.requested ?? false, details: blankToNull(input.support?.details) },
      nationalPortal: {
        declared: portal.declared,
        reference: blankToNull(portal.reference),
        declaredAt: portal.declaredAt ? new Date(portal.declaredAt) : null,
      },
      complaintFiled: input.complaintFiled ?? false,
      observables,
      tlp: input.tlp ?? "AMBER",
    },
  };
}

/**
 * The suggested severity of a normalised declaration for an establishment of that category: one call for
 * the API, which records it, and for the form, which shows it before sending, so that both agree.
 */
export function suggestSeverityFor(declaration: NormalizedDeclaration, category: string): SeveritySuggestion {
  return suggestSeverity({
    impactGrade: declaration.impactGrade,
    spread: declaration.spread,
    personalDataBreach: declaration.personalData.breach,
    personalDataPeople: declaration.personalData.approxPeople,
    ongoing: declaration.ongoing,
    rsitClass: declaration.rsitClass,
    rsitType: declaration.rsitType,
    suspectedMalicious: declaration.suspectedMalicious,
    affectedServices: declaration.affectedServices,
    category,
  });
}
