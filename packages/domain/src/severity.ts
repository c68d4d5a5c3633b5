/**
 * Patient-care impact grades and the suggested severity of a declaration.
 * P1 is a major incident: the task force is mobilised.
 */
export const IMPACT_GRADES = [0, 1, 2, 3, 4, 5] as const;
export type ImpactGrade = (typeof IMPACT_GRADES)[number];

export const IMPACT_GRADE_LABELS: Record<ImpactGrade, { short: string; plain: string }> = {
  0: { short: "Aucun impact", plain: "Les soins et l'activité continuent normalement." },
  1: {
    short: "Procédures dégradées",
    plain:
      "Nous travaillons en mode dégradé (papier, procédures de secours), mais les soins ne sont pas affectés.",
  },
  2: {
    short: "Activité non urgente déprogrammée",
    plain: "Des consultations, examens ou interventions non urgents sont reportés.",
  },
  3: {
    short: "Admissions détournées",
    plain:
      "Nous détournons des admissions (SAMU, urgences) ou transférons des patients vers d'autres établissements.",
  },
  4: { short: "Plan blanc déclenché", plain: "Le plan blanc (plan de crise de l'hôpital) est déclenché." },
  5: {
    short: "Risque vital",
    plain: "Il existe un risque pour la vie d'un patient ou un événement indésirable grave est survenu.",
  },
};

export const SPREADS = ["single_site", "multiple_sites", "other_establishments", "unknown"] as const;
export type Spread = (typeof SPREADS)[number];
export const SPREAD_LABELS: Record<Spread, string> = {
  single_site: "Un seul site",
  multiple_sites: "Plusieurs sites de l'établissement",
  other_establishments: "D'autres établissements sont touchés ou menacés",
  unknown: "Je ne sais pas encore",
};

export const SEVERITIES = ["P1", "P2", "P3", "P4"] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SEVERITY_LABELS: Record<Severity, string> = {
  P1: "P1 — incident majeur",
  P2: "P2 — incident grave",
  P3: "P3 — incident significatif",
  P4: "P4 — incident mineur",
};

export type YesNoUnknown = "yes" | "no" | "unknown";

export interface SeverityInput {
  impactGrade: ImpactGrade;
  spread: Spread;
  personalDataBreach: YesNoUnknown;
  ongoing: boolean;
}

export interface SeveritySuggestion {
  severity: Severity;
  /** Why, in French, one line per rule that applied: shown to the analyst who may override it. */
  reasons: string[];
}

const BASE_BY_GRADE: Record<ImpactGrade, number> = { 0: 4, 1: 4, 2: 3, 3: 2, 4: 1, 5: 1 };

/**
 * The grade sets the starting level; contagion and an attack still spreading across sites
 * each raise it by one; a personal-data breach makes it at least P3. Never above P1.
 */
export function suggestSeverity(input: SeverityInput): SeveritySuggestion {
  let level = BASE_BY_GRADE[input.impactGrade];
  const reasons = [
    `Impact sur les soins : niveau ${input.impactGrade} (${IMPACT_GRADE_LABELS[input.impactGrade].short})`,
  ];
  if (input.spread === "other_establishments") {
    level -= 1;
    reasons.push("Risque de contagion à d'autres établissements");
  }
  if (input.ongoing && input.spread === "multiple_sites") {
    level -= 1;
    reasons.push("Attaque en cours sur plusieurs sites");
  }
  if (input.personalDataBreach === "yes" && level > 3) {
    level = 3;
    reasons.push("Violation de données personnelles");
  }
  const clamped = Math.min(4, Math.max(1, level));
  return { severity: `P${clamped}` as Severity, reasons };
}
