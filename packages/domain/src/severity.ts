import { CATEGORIES, type Category } from "./directory.ts";
import type { RsitTypeValue } from "./rsit.ts";

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

/** What the rule reads from a declaration and from the registry's record of the establishment. */
export interface SeverityInput {
  impactGrade: ImpactGrade;
  spread: Spread;
  personalDataBreach: YesNoUnknown;
  /** Rough number of people whose data is breached, when the declarant gave one. */
  personalDataPeople?: number | null;
  ongoing: boolean;
  rsitClass: string;
  rsitType: string;
  suspectedMalicious?: YesNoUnknown;
  affectedServices?: readonly string[];
  /** The establishment's category in the registry (chu, ch, ehpad…). */
  category: string;
}

export interface SeveritySuggestion {
  severity: Severity;
  /** Why, in French, one line per rule that applied: shown to the declarant and to the analyst. */
  reasons: string[];
}

type Level = 1 | 2 | 3 | 4;

const BASE_BY_GRADE: Record<ImpactGrade, Level> = { 0: 4, 1: 4, 2: 3, 3: 2, 4: 1, 5: 1 };

/**
 * What the incident is sets a floor, whatever the impact felt in the first minutes: in a hospital an
 * attacker who encrypts, steals data or holds administrator rights is never a minor matter. `ongoing`
 * is the floor while the attack is still running; it is never lower than `floor`.
 */
interface ThreatFloor {
  floor: Level | null;
  ongoing: Level | null;
  reason: string;
  ongoingReason?: string;
}

const THREAT_FLOORS: Partial<Record<RsitTypeValue, ThreatFloor>> = {
  "unauthorised-information-modification": {
    floor: 2,
    ongoing: 2,
    reason: "Données chiffrées ou modifiées par un attaquant (rançongiciel, destruction) : au moins P2",
  },
  "infected-system": {
    floor: null,
    ongoing: 2,
    reason: "Logiciel malveillant maîtrisé, sans effet sur l'activité",
    ongoingReason: "Logiciel malveillant toujours actif (rançongiciel possible) : au moins P2",
  },
  "data-leak": { floor: 2, ongoing: 2, reason: "Fuite ou exfiltration de données : au moins P2" },
  "privileged-account-compromise": {
    floor: 2,
    ongoing: 2,
    reason: "Compte à privilèges (administrateur) compromis : au moins P2",
  },
  "system-compromise": {
    floor: 3,
    ongoing: 2,
    reason: "Serveur ou poste contrôlé par un attaquant : au moins P3",
    ongoingReason: "Serveur ou poste contrôlé par un attaquant, toujours actif : au moins P2",
  },
  sabotage: { floor: 2, ongoing: 2, reason: "Sabotage (attaque destructrice) : au moins P2" },
  "unprivileged-account-compromise": {
    floor: 3,
    ongoing: 3,
    reason: "Compte utilisateur compromis : au moins P3",
  },
  "application-compromise": {
    floor: 3,
    ongoing: 3,
    reason: "Application ou site compromis : au moins P3",
  },
  "unauthorised-information-access": {
    floor: 3,
    ongoing: 3,
    reason: "Accès non autorisé à des données : au moins P3",
  },
  burglary: { floor: 3, ongoing: 3, reason: "Intrusion physique : au moins P3" },
  "c2-server": { floor: 3, ongoing: 3, reason: "Machine en lien avec un serveur de commande : au moins P3" },
  violence: {
    floor: 3,
    ongoing: 3,
    reason: "Contenu pédocriminel ou violent (signalement aux autorités) : au moins P3",
  },
  dos: {
    floor: null,
    ongoing: 3,
    reason: "Déni de service terminé",
    ongoingReason: "Déni de service en cours : au moins P3",
  },
  ddos: {
    floor: null,
    ongoing: 3,
    reason: "Déni de service terminé",
    ongoingReason: "Déni de service en cours : au moins P3",
  },
  exploit: {
    floor: null,
    ongoing: 3,
    reason: "Tentative d'exploitation terminée",
    ongoingReason: "Exploitation d'une faille inconnue en cours : au moins P3",
  },
};

/** Public hospitals with emergency departments and SAMU: what happens to them falls on the whole territory. */
const REFERRAL_HOSPITALS: readonly Category[] = ["chu", "ch"];

/** From this many people, a breach of personal data is grave on its own (and the CNIL will ask). */
const LARGE_BREACH_PEOPLE = 10_000;

const peopleFormat = new Intl.NumberFormat("fr-FR");

/**
 * The suggested severity of a declaration. The patient-care impact grade sets the starting level;
 * what the incident is (RSIT type) sets a floor, graver while the attack is still running; an
 * encryption still running in a CH or CHU is a major incident; an intrusion reaching the directory (AD)
 * is treated as an administrator compromise; a large personal-data breach is at least P2, any breach at
 * least P3. Then contagion to other establishments, and an attack still spreading over several sites,
 * each raise the result by one. Never above P1. Worse facts never lower it.
 */
export function suggestSeverity(input: SeverityInput): SeveritySuggestion {
  let level: Level = BASE_BY_GRADE[input.impactGrade];
  const reasons = [
    `Impact sur les soins : niveau ${input.impactGrade} (${IMPACT_GRADE_LABELS[input.impactGrade].short})`,
  ];
  const atLeast = (floor: Level, reason: string) => {
    if (floor < level) level = floor;
    reasons.push(reason);
  };

  const threat = THREAT_FLOORS[input.rsitType as RsitTypeValue];
  if (threat) {
    const floor = input.ongoing ? threat.ongoing : threat.floor;
    const reason = input.ongoing ? (threat.ongoingReason ?? threat.reason) : threat.reason;
    if (floor !== null) atLeast(floor, reason);
    else if (input.impactGrade > 0 && input.rsitType === "infected-system") {
      atLeast(3, "Logiciel malveillant qui a perturbé l'activité : au moins P3");
    } else reasons.push(reason);
  }

  const encrypting =
    input.ongoing &&
    (input.rsitType === "unauthorised-information-modification" ||
      (input.rsitType === "infected-system" && input.impactGrade > 0));
  const category = input.category as Category;
  if (encrypting && REFERRAL_HOSPITALS.includes(category)) {
    const name = CATEGORIES[category].label.toLowerCase();
    atLeast(1, `Rançongiciel ou logiciel malveillant toujours actif dans un ${name} : incident majeur, P1`);
  }

  const intrusion = input.rsitClass === "intrusions" && input.rsitType !== "burglary";
  const malware = input.rsitClass === "malicious-code" && input.rsitType !== "malware-distribution";
  if ((intrusion || malware) && input.affectedServices?.includes("directory")) {
    atLeast(2, "Annuaire (AD) touché : l'attaquant peut détenir des droits d'administrateur, au moins P2");
  }

  if (input.rsitType === "undetermined" && input.ongoing && input.suspectedMalicious === "yes" && level > 3) {
    atLeast(3, "Acte malveillant suspecté, toujours en cours, pas encore qualifié : au moins P3");
  }

  if (input.personalDataBreach === "yes") {
    const people = input.personalDataPeople ?? 0;
    if (people >= LARGE_BREACH_PEOPLE) {
      atLeast(
        2,
        `Violation de données personnelles d'environ ${peopleFormat.format(people)} personnes : au moins P2`,
      );
    } else if (level > 3) atLeast(3, "Violation de données personnelles");
  }

  let raised: number = level;
  if (input.spread === "other_establishments") {
    raised -= 1;
    reasons.push("Risque de contagion à d'autres établissements");
  }
  if (input.ongoing && input.spread === "multiple_sites") {
    raised -= 1;
    reasons.push("Attaque en cours sur plusieurs sites");
  }
  const clamped = Math.min(4, Math.max(1, raised));
  return { severity: `P${clamped}` as Severity, reasons };
}
