import type { Category } from "./directory.ts";
import type { Tlp } from "./tlp.ts";

/** CERT-FR's kinds of publication: an alert (active threat), an advisory (vulnerability), information. */
export const BULLETIN_KINDS = ["alerte", "avis", "information"] as const;
export type BulletinKind = (typeof BULLETIN_KINDS)[number];

export const BULLETIN_KIND_LABELS: Record<BulletinKind, string> = {
  alerte: "Alerte",
  avis: "Avis",
  information: "Information",
};

/** The kind's part of the reference: REU-2026-ALE-003, REU-2026-AVI-012, REU-2026-INF-001. */
export const BULLETIN_KIND_CODES: Record<BulletinKind, string> = {
  alerte: "ALE",
  avis: "AVI",
  information: "INF",
};

export const BULLETIN_SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type BulletinSeverity = (typeof BULLETIN_SEVERITIES)[number];
export const BULLETIN_SEVERITY_LABELS: Record<BulletinSeverity, string> = {
  low: "Faible",
  medium: "Modérée",
  high: "Élevée",
  critical: "Critique",
};

export const BULLETIN_STATUSES = ["draft", "published"] as const;
export type BulletinStatus = (typeof BULLETIN_STATUSES)[number];

/** What a recipient answers through their link or in the application. */
export const BULLETIN_ANSWERS = ["received", "concerned", "not_concerned", "fixed"] as const;
export type BulletinAnswer = (typeof BULLETIN_ANSWERS)[number];
export const BULLETIN_ANSWER_LABELS: Record<BulletinAnswer, string> = {
  received: "Bien reçu",
  concerned: "Concerné",
  not_concerned: "Non concerné",
  fixed: "Corrigé",
};

/** Who, in an establishment, receives its bulletins. */
export const RECIPIENT_ROLES = ["rssi", "deputy", "mailbox"] as const;
export type RecipientRole = (typeof RECIPIENT_ROLES)[number];
export const RECIPIENT_ROLE_LABELS: Record<RecipientRole, string> = {
  rssi: "RSSI",
  deputy: "Suppléant",
  mailbox: "Boîte fonctionnelle",
};

export const DELIVERY_STATUSES = ["queued", "sent", "deferred", "failed", "superseded"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export function bulletinReference(regionCode: string, year: number, kind: BulletinKind, sequence: number) {
  return `${regionCode}-${year}-${BULLETIN_KIND_CODES[kind]}-${String(sequence).padStart(3, "0")}`;
}

/** The counter a kind's references are numbered by, per region and year (reference_counters.scope). */
export function bulletinCounterScope(regionCode: string, kind: BulletinKind): string {
  return `${regionCode}-${BULLETIN_KIND_CODES[kind]}`;
}

/**
 * Whom a bulletin is for: the union of every criterion given. An empty audience reaches nobody, and
 * publishing it is refused.
 */
export interface Audience {
  all?: boolean;
  territories?: string[];
  categories?: Category[];
  ghtIds?: string[];
  /** Establishments that declared this supplier (and product, when given), compared without case. */
  products?: { vendor: string; product?: string }[];
  establishmentIds?: string[];
}

export function audienceIsEmpty(a: Audience): boolean {
  return (
    !a.all &&
    !a.territories?.length &&
    !a.categories?.length &&
    !a.ghtIds?.length &&
    !a.products?.length &&
    !a.establishmentIds?.length
  );
}

/**
 * TLP 2.0 applied to the audience: AMBER+STRICT is for the named organisations only, and RED for named
 * recipients; a bulletin under either may only name establishments, never a territory, a category, a GHT,
 * a supplier's users or the whole network. Returns what is wrong, in English, for a 400.
 */
export function audienceProblem(tlp: Tlp, a: Audience): string | undefined {
  if (audienceIsEmpty(a)) return "names nobody: give at least one criterion";
  if (tlp === "RED" || tlp === "AMBER+STRICT") {
    const broad =
      a.all || a.territories?.length || a.categories?.length || a.ghtIds?.length || a.products?.length;
    if (broad) return `TLP:${tlp} goes to named establishments only (establishmentIds)`;
  }
  return undefined;
}

/** RED is never e-mailed: its recipients read it in the application. */
export function bulletinIsEmailed(tlp: Tlp): boolean {
  return tlp !== "RED";
}

/** A person an audience reaches, before deduplication. */
export interface RecipientCandidate {
  establishmentId: string;
  email: string;
  name: string;
  role: RecipientRole;
  /** Set when the person has an account (an RSSI user): they can read and answer in the application. */
  userId: string | null;
}

const ROLE_RANK: Record<RecipientRole, number> = { rssi: 0, deputy: 1, mailbox: 2 };

/**
 * One recipient per e-mail address (compared without case), so nobody gets the same bulletin twice: the
 * account holder wins over a contact, then RSSI over deputy over mailbox, then the establishment listed
 * first. Under RED only people with an account remain — nobody else can read it.
 */
export function selectRecipients(tlp: Tlp, candidates: RecipientCandidate[]): RecipientCandidate[] {
  const best = new Map<string, RecipientCandidate>();
  for (const c of candidates) {
    if (tlp === "RED" && !c.userId) continue;
    const key = c.email.trim().toLowerCase();
    const held = best.get(key);
    if (
      !held ||
      (c.userId !== null && held.userId === null) ||
      ((c.userId === null) === (held.userId === null) && ROLE_RANK[c.role] < ROLE_RANK[held.role])
    ) {
      best.set(key, { ...c, email: c.email.trim() });
    }
  }
  return [...best.values()];
}

/** The fields a revision compares, with their French names for "what changed". */
export const BULLETIN_CONTENT_FIELDS = {
  title: "titre",
  summary: "résumé",
  risks: "risques",
  affectedSystems: "systèmes affectés",
  products: "produits affectés",
  recommendations: "actions recommandées",
  cves: "CVE",
  links: "liens",
  observables: "observables",
  severity: "gravité",
} as const;
export type BulletinContentField = keyof typeof BULLETIN_CONTENT_FIELDS;

/** JSON with object keys sorted: PostgreSQL's jsonb gives keys back in its own order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Which content fields differ between two versions, in a stable order. */
export function changedFields(
  before: Record<BulletinContentField, unknown>,
  after: Record<BulletinContentField, unknown>,
): BulletinContentField[] {
  return (Object.keys(BULLETIN_CONTENT_FIELDS) as BulletinContentField[]).filter(
    (f) => canonical(before[f]) !== canonical(after[f]),
  );
}

/**
 * Delay before the next attempt after a temporary SMTP failure: doubling from the base, so a greylisting
 * server or a short outage costs a few attempts.
 */
export function deliveryRetryDelayMs(baseMs: number, attempts: number): number {
  return baseMs * 2 ** Math.max(0, attempts - 1);
}

export const DELIVERY_MAX_ATTEMPTS = 8;

/** Deterministic per bulletin, recipient and purpose: a message sent twice is recognisable. */
export function bulletinMessageId(
  bulletinId: string,
  recipientId: string,
  purpose: string,
  host: string,
): string {
  return `<bulletin.${bulletinId}.${purpose}.${recipientId}@${host}>`;
}

/** The purpose of a delivery: one per revision of the bulletin, and one reminder. */
export function revisionPurpose(revision: number): string {
  return `revision-${revision}`;
}
export const REMINDER_PURPOSE = "reminder";

const SEVERITY_TO_BULLETIN: Record<string, BulletinSeverity> = {
  P1: "critical",
  P2: "high",
  P3: "medium",
  P4: "low",
};

/** What a contagion bulletin may say of the incident it comes from: nothing that names the establishment. */
export interface IncidentForBulletin {
  severity: string;
  rsitTypeLabel: string;
  detectedOn: string;
  observables: { type: string; value: string }[];
}

/**
 * A contagion alert pre-filled from an incident: anonymised (neither the establishment, its name, the
 * declarant nor the free-text description, which may name them), TLP:GREEN so the community may share
 * it, to the whole network, with the incident's observables for everyone to look for.
 */
export function contagionBulletinDraft(incident: IncidentForBulletin) {
  return {
    kind: "alerte" as BulletinKind,
    tlp: "GREEN" as Tlp,
    audience: { all: true } as Audience,
    severity: SEVERITY_TO_BULLETIN[incident.severity] ?? "medium",
    title: `Risque de contagion : ${incident.rsitTypeLabel.toLowerCase()} dans un établissement de la région`,
    summary:
      `Un établissement de santé de la région a signalé le ${incident.detectedOn} un incident de type ` +
      `« ${incident.rsitTypeLabel} ». Les observables relevés figurent ci-dessous : recherchez-les dans vos ` +
      "journaux (pare-feu, proxy, messagerie, EDR) et signalez sans délai toute occurrence au pôle.",
    risks: ["Propagation de l'attaque à d'autres établissements"],
    affectedSystems: "",
    products: [] as { vendor: string; product?: string; versions?: string }[],
    recommendations:
      "Bloquer les observables ci-dessous sur vos équipements de filtrage ; rechercher leur présence dans " +
      "les journaux des 30 derniers jours ; déclarer tout incident sur PRIS.",
    cves: [] as string[],
    links: [] as string[],
    // Without their comments, which may name the establishment.
    observables: incident.observables.map((o) => ({ type: o.type, value: o.value })),
  };
}
