/**
 * The national registry (FINESS) as the directory reads it: the public extract's layout, the hand-made
 * CSV's columns, how a line becomes an establishment of the region (or why it does not), and how it
 * compares with the directory. Pure: the API streams and decodes the file, then calls these per line.
 */
import { CATEGORIES, CATEGORY_VALUES, type Category, isFiness } from "./directory.ts";

/** The `structureet` record of the public extract, field by field in file order (no column names). */
export const FINESS_STRUCTURE_FIELDS = [
  "section",
  "nofinesset",
  "nofinessej",
  "rs",
  "rslongue",
  "complrs",
  "compldistrib",
  "numvoie",
  "typvoie",
  "voie",
  "compvoie",
  "lieuditbp",
  "commune",
  "departement",
  "libdepartement",
  "ligneacheminement",
  "telephone",
  "telecopie",
  "categetab",
  "libcategetab",
  "categagretab",
  "libcategagretab",
  "siret",
  "codeape",
  "codemft",
  "libmft",
  "codesph",
  "libsph",
  "dateouv",
  "dateautor",
  "maj",
  "numuai",
] as const;
export type FinessStructureField = (typeof FINESS_STRUCTURE_FIELDS)[number];

/**
 * The columns of a hand-made UTF-8 CSV (comma or semicolon, first line names the columns, any order,
 * case-insensitive). `finess` and `name` are required; a category by `category` (the service's) or
 * `finess_category` (mapped); a territory by `territory` (the region's code) or by `commune` (INSEE code)
 * or `departement` (mapped). A column left out leaves that field of the directory as it is.
 */
export const REGISTRY_CSV_COLUMNS = {
  finess: "FINESS number of the establishment (9 characters) — required",
  name: "Name — required",
  category: `The service's category: ${CATEGORY_VALUES.join(", ")}`,
  finess_category: "FINESS category code (categetab), mapped to the service's category",
  finess_category_label: "Its label, shown in the mapping editor",
  territory: "Territory code of the region",
  commune: "INSEE code of the commune (5 characters), mapped to a territory",
  departement: "Département code (2 or 3 characters), mapped to a territory",
  legal_entity_finess: "FINESS of the legal entity (EJ)",
  siret: "SIRET (14 digits)",
  address: "Street address, one line",
  postal_line: "Postcode and town",
  phone: "Switchboard number",
  opened_on: "Opening day, YYYY-MM-DD",
  updated_on: "Day the record was last updated, YYYY-MM-DD",
} as const;
export type RegistryCsvColumn = keyof typeof REGISTRY_CSV_COLUMNS;

export type RegistryAddress = { lines: string[]; commune?: string; postalLine?: string };

/**
 * The directory's fields an import owns: never contacts, products, suppliers, GHT, NIS2 status or the
 * small-structure flag, which the region keeps. `undefined`: the file does not say (a hand-made CSV
 * without that column), so the directory's value stays.
 */
export interface RegistryFields {
  finess: string;
  name: string;
  category: Category;
  territory: string;
  legalEntityFiness?: string | null;
  finessCategory?: string | null;
  address?: RegistryAddress | null;
  phone?: string | null;
  siret?: string | null;
  registryUpdatedOn?: string | null;
  /** The opening day (dateouv): the directory's active_from, set only when it has none. */
  activeFrom?: string | null;
}

/** The fields a preview compares and an apply writes, in the order the page shows them. */
export const REGISTRY_COMPARED_FIELDS = [
  "name",
  "category",
  "territory",
  "finessCategory",
  "legalEntityFiness",
  "siret",
  "address",
  "phone",
  "registryUpdatedOn",
  "activeFrom",
  "active",
] as const;
export type RegistryComparedField = (typeof REGISTRY_COMPARED_FIELDS)[number];

export const REGISTRY_FIELD_LABELS: Record<RegistryComparedField, string> = {
  name: "Raison sociale",
  category: "Catégorie",
  territory: "Territoire",
  finessCategory: "Catégorie FINESS",
  legalEntityFiness: "FINESS juridique",
  siret: "SIRET",
  address: "Adresse",
  phone: "Téléphone",
  registryUpdatedOn: "Mise à jour FINESS",
  activeFrom: "Ouverture",
  active: "Actif",
};

export const IMPORT_OUTCOMES = ["new", "changed", "unchanged", "missing", "refused"] as const;
export type ImportOutcome = (typeof IMPORT_OUTCOMES)[number];

/** Why a line is refused, as a code the page can act on (offer a mapping) beside the French reason. */
export const REFUSAL_PROBLEMS = [
  "malformed",
  "encoding",
  "finess",
  "name",
  "unmapped_category",
  "unknown_category",
  "unmapped_place",
  "unknown_territory",
  "duplicate",
] as const;
export type RefusalProblem = (typeof REFUSAL_PROBLEMS)[number];

/** What the page shows of a refused line, and what the mapping editors are built from. */
export interface RefusedData {
  problem: RefusalProblem;
  finess?: string;
  name?: string;
  departement?: string;
  commune?: string;
  postalLine?: string;
  finessCategory?: string;
  finessCategoryLabel?: string;
}

/** What the mappings say, read once per preview. */
export interface RegistryMappings {
  /** categetab → the service's category, or null: the region does not follow this kind of structure. */
  categories: Map<string, Category | null>;
  /** INSEE commune code → territory; wins over the département's. */
  communes: Map<string, string>;
  departements: Map<string, string>;
  /** The region's départements: those named by a mapping of either kind. */
  regionDepartements: Set<string>;
  /** Territory codes of the region, for a hand-made CSV that names them. */
  territories: Set<string>;
}

export function buildMappings(
  categories: { finessCategory: string; category: string | null }[],
  places: { kind: "departement" | "commune"; code: string; territory: string }[],
  territories: string[],
): RegistryMappings {
  const m: RegistryMappings = {
    categories: new Map(categories.map((c) => [c.finessCategory, c.category as Category | null])),
    communes: new Map(),
    departements: new Map(),
    regionDepartements: new Set(),
    territories: new Set(territories),
  };
  for (const p of places) {
    if (p.kind === "commune") {
      m.communes.set(p.code, p.territory);
      m.regionDepartements.add(departementOfCommune(p.code));
    } else {
      m.departements.set(p.code, p.territory);
      m.regionDepartements.add(p.code);
    }
  }
  return m;
}

export const DEPARTEMENT_PATTERN = "^(?:0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|9[78][0-9])$";
export const COMMUNE_PATTERN = "^(?:[0-9][0-9]|2[AB])[0-9]{3}$";
const departementRe = new RegExp(DEPARTEMENT_PATTERN);
const communeRe = new RegExp(COMMUNE_PATTERN);

export const isDepartement = (code: string) => departementRe.test(code);
export const isCommune = (code: string) => communeRe.test(code);

/** "97416" → "974", "13055" → "13", "2A004" → "2A". */
export function departementOfCommune(insee: string): string {
  return /^9[78]/.test(insee) ? insee.slice(0, 3) : insee.slice(0, 2);
}

/**
 * The INSEE code from the extract's département and its 3-character commune number: the département's
 * first two characters and the number ("974" + "416" → "97416", "13" + "055" → "13055").
 */
export function inseeCommune(departement: string, commune: string): string | undefined {
  if (commune.length === 5 && isCommune(commune)) return commune;
  if (!/^[0-9]{3}$/.test(commune) || !isDepartement(departement)) return undefined;
  return departement.slice(0, 2) + commune;
}

/**
 * The FINESS category codes most regions follow, with the service's category they fit: a suggestion the
 * mapping editor pre-selects, never applied without the admin. null: usually not followed.
 */
export const FINESS_CATEGORY_SUGGESTIONS: Record<string, Category | null> = {
  "101": "chu",
  "106": "ch",
  "355": "ch",
  "114": "ch",
  "292": "psychiatric",
  "365": "private_clinic",
  "128": "private_clinic",
  "109": "smr",
  "127": "had",
  "146": "dialysis",
  "500": "ehpad",
  "501": "ehpad",
  "255": "disability_adults",
  "437": "disability_adults",
  "252": "disability_adults",
  "183": "disability_children",
  "182": "disability_children",
  "354": "home_care",
  "209": "home_care",
  "611": "laboratory",
  "620": null,
  "124": null,
};

// ---------------------------------------------------------------------------------------------------
// Reading one line

/** One line of a file, in the words both formats share, before the region's mappings. */
export interface RawRegistryRecord {
  finess: string;
  name: string;
  legalEntityFiness?: string;
  /** Only a hand-made CSV names the service's category or the territory directly. */
  category?: string;
  territory?: string;
  finessCategory?: string;
  finessCategoryLabel?: string;
  departement?: string;
  /** INSEE code. */
  commune?: string;
  addressLines?: string[];
  postalLine?: string;
  phone?: string;
  siret?: string;
  openedOn?: string;
  updatedOn?: string;
}

/** What one line comes to: a candidate establishment, a refusal, or a line the region does not keep. */
export type LineVerdict =
  | { kind: "accepted"; fields: RegistryFields }
  | { kind: "refused"; reason: string; data: RefusedData }
  | { kind: "out_of_region" }
  | { kind: "not_followed"; finess: string };

/** Decoded bytes the encoding did not hold, or UTF-8 read as Windows-1252 ("Ã©" for "é"). */
const GARBLED =
  /\uFFFD|[ÂÃÅ][\u0080-\u00BF\u0152\u0153\u0160\u0161\u0178\u017D\u017E\u0192\u02C6\u02DC\u2013-\u203A\u20AC\u2122]/;

export function isGarbled(text: string): boolean {
  return GARBLED.test(text);
}

const PHONE = /^\+?[0-9 ().-]{6,30}$/;
const DAY = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;

const orNull = (value: string | undefined, ok: (v: string) => boolean) =>
  value === undefined ? undefined : value !== "" && ok(value) ? value : null;

function quoted(value: string): string {
  return `« ${value.length > 40 ? `${value.slice(0, 40)}…` : value} »`;
}

export const REFUSAL_REASONS = {
  malformedCount: (count: number, expected: number) =>
    `Ligne mal formée : ${count} champ${count > 1 ? "s" : ""} au lieu de ${expected}.`,
  malformedKind: (kind: string) =>
    `Ligne mal formée : type d'enregistrement ${quoted(kind)} inconnu (structureet ou geolocalisation attendu).`,
  malformedQuotes: () => "Ligne mal formée : guillemets non fermés ou mal placés.",
  encoding: (format: "finess" | "csv") =>
    format === "finess"
      ? "Caractères illisibles : la ligne n'est pas en Windows-1252, l'encodage de l'extrait FINESS (fichier réenregistré en UTF-8 ?)."
      : "Caractères illisibles : la ligne n'est pas en UTF-8, l'encodage attendu d'un CSV (fichier enregistré en Windows-1252 ?).",
  finessMissing: () => "Numéro FINESS absent.",
  finess: (value: string) =>
    `Numéro FINESS ${quoted(value)} invalide : 9 caractères attendus, commençant par le département (ex. 970462107).`,
  name: () => "Raison sociale absente.",
  unmappedCategory: (code: string, label: string | undefined) =>
    `Catégorie FINESS ${code}${label ? ` ${quoted(label)}` : ""} non rattachée : associez-la à une catégorie du service (ou « non suivie »), puis relancez l'aperçu.`,
  categoryMissing: () => "Catégorie absente : renseignez la colonne category ou finess_category.",
  unknownCategory: (value: string) =>
    `Catégorie ${quoted(value)} inconnue : valeurs possibles ${CATEGORY_VALUES.join(", ")}.`,
  unmappedCommune: (insee: string, postalLine: string | undefined) =>
    `Commune ${insee}${postalLine ? ` (${postalLine})` : ""} non rattachée à un territoire : rattachez la commune ou son département, puis relancez l'aperçu.`,
  unmappedDepartement: (departement: string) =>
    `Département ${departement} non rattaché à un territoire : rattachez-le (ou ses communes), puis relancez l'aperçu.`,
  placeMissing: () =>
    "Territoire introuvable : ni territoire, ni commune, ni département reconnu sur la ligne.",
  unknownTerritory: (value: string) => `Territoire ${quoted(value)} inconnu de la région.`,
  duplicate: (finess: string, lines: number[]) =>
    `FINESS ${finess} présent plusieurs fois dans le fichier (lignes ${lines.join(", ")}) : aucune de ces lignes n'est importée.`,
};

/**
 * Decides what one line comes to, given the region's mappings. Lines of other départements are out of
 * the region before anything else is checked: a national extract's other 98 % are not ours to judge.
 */
export function judgeRecord(
  raw: RawRegistryRecord,
  mappings: RegistryMappings,
  format: "finess" | "csv",
): LineVerdict {
  const data: RefusedData = {
    problem: "malformed",
    ...(raw.finess ? { finess: raw.finess } : {}),
    ...(raw.name ? { name: raw.name } : {}),
    ...(raw.departement ? { departement: raw.departement } : {}),
    ...(raw.commune ? { commune: raw.commune } : {}),
    ...(raw.postalLine ? { postalLine: raw.postalLine } : {}),
    ...(raw.finessCategory ? { finessCategory: raw.finessCategory } : {}),
    ...(raw.finessCategoryLabel ? { finessCategoryLabel: raw.finessCategoryLabel } : {}),
  };
  const refuse = (problem: RefusalProblem, reason: string): LineVerdict => ({
    kind: "refused",
    reason,
    data: { ...data, problem },
  });

  // Where the line is: the territory it names, else its commune, else its département.
  let territory: string | undefined;
  const departement = raw.departement ?? (raw.commune ? departementOfCommune(raw.commune) : undefined);
  if (raw.territory) {
    if (!mappings.territories.has(raw.territory)) {
      return refuse("unknown_territory", REFUSAL_REASONS.unknownTerritory(raw.territory));
    }
    territory = raw.territory;
  } else {
    if (!departement) return refuse("unmapped_place", REFUSAL_REASONS.placeMissing());
    if (!mappings.regionDepartements.has(departement)) return { kind: "out_of_region" };
  }

  if (!raw.finess) return refuse("finess", REFUSAL_REASONS.finessMissing());
  if (!isFiness(raw.finess)) return refuse("finess", REFUSAL_REASONS.finess(raw.finess));
  const text = [
    raw.name,
    raw.finessCategoryLabel,
    raw.postalLine,
    raw.category,
    raw.territory,
    ...(raw.addressLines ?? []),
  ].join(";");
  if (isGarbled(text)) return refuse("encoding", REFUSAL_REASONS.encoding(format));
  if (!raw.name || raw.name.length < 2) return refuse("name", REFUSAL_REASONS.name());

  let category: Category;
  if (raw.category) {
    if (!(raw.category in CATEGORIES)) {
      return refuse("unknown_category", REFUSAL_REASONS.unknownCategory(raw.category));
    }
    category = raw.category as Category;
  } else if (raw.finessCategory) {
    const mapped = mappings.categories.get(raw.finessCategory);
    if (mapped === undefined) {
      return refuse(
        "unmapped_category",
        REFUSAL_REASONS.unmappedCategory(raw.finessCategory, raw.finessCategoryLabel),
      );
    }
    if (mapped === null) return { kind: "not_followed", finess: raw.finess };
    category = mapped;
  } else {
    return refuse("unknown_category", REFUSAL_REASONS.categoryMissing());
  }

  if (!territory) {
    territory =
      (raw.commune && mappings.communes.get(raw.commune)) || mappings.departements.get(departement!);
    if (!territory) {
      return raw.commune
        ? refuse("unmapped_place", REFUSAL_REASONS.unmappedCommune(raw.commune, raw.postalLine))
        : refuse("unmapped_place", REFUSAL_REASONS.unmappedDepartement(departement!));
    }
  }

  const fields: RegistryFields = { finess: raw.finess, name: raw.name, category, territory };
  const set = <K extends keyof RegistryFields>(key: K, value: RegistryFields[K] | undefined) => {
    if (value !== undefined) fields[key] = value;
  };
  set("legalEntityFiness", orNull(raw.legalEntityFiness, isFiness));
  set("finessCategory", raw.finessCategory === undefined ? undefined : raw.finessCategory || null);
  set(
    "siret",
    orNull(raw.siret, (v) => /^[0-9]{14}$/.test(v)),
  );
  set(
    "phone",
    orNull(raw.phone, (v) => PHONE.test(v)),
  );
  set(
    "registryUpdatedOn",
    orNull(raw.updatedOn, (v) => DAY.test(v)),
  );
  set(
    "activeFrom",
    orNull(raw.openedOn, (v) => DAY.test(v)),
  );
  if (raw.addressLines !== undefined || raw.postalLine !== undefined || raw.commune !== undefined) {
    set("address", registryAddress(raw.addressLines ?? [], raw.commune, raw.postalLine));
  }
  return { kind: "accepted", fields };
}

/** One spelling of an address, whatever the order its parts came in: the comparison is by value. */
export function registryAddress(
  lines: string[],
  commune: string | undefined,
  postalLine: string | undefined,
): RegistryAddress | null {
  const kept = lines.map((l) => l.replace(/\s+/g, " ").trim()).filter((l) => l !== "");
  if (kept.length === 0 && !commune && !postalLine) return null;
  return {
    lines: kept.slice(0, 6),
    ...(commune ? { commune } : {}),
    ...(postalLine ? { postalLine } : {}),
  };
}

/** The extract's 32 fields, read into the shared words. Fields are already trimmed. */
export function finessRecord(f: readonly string[]): RawRegistryRecord {
  const get = (name: FinessStructureField) => f[FINESS_STRUCTURE_FIELDS.indexOf(name)] ?? "";
  const departement = get("departement");
  const street = [get("numvoie"), get("typvoie"), get("voie"), get("compvoie")].filter(Boolean).join(" ");
  const commune = inseeCommune(departement, get("commune"));
  return {
    finess: get("nofinesset"),
    name: get("rslongue") || get("rs"),
    legalEntityFiness: get("nofinessej"),
    finessCategory: get("categetab"),
    finessCategoryLabel: get("libcategetab"),
    departement,
    ...(commune ? { commune } : {}),
    addressLines: [get("complrs"), street, get("lieuditbp"), get("compldistrib")],
    postalLine: get("ligneacheminement"),
    phone: get("telephone"),
    siret: get("siret"),
    openedOn: get("dateouv"),
    updatedOn: get("maj"),
  };
}

/** A hand-made CSV's line, by its header's column positions. */
export function csvRecord(
  columns: Partial<Record<RegistryCsvColumn, number>>,
  f: readonly string[],
): RawRegistryRecord {
  const has = (c: RegistryCsvColumn) => columns[c] !== undefined;
  const get = (c: RegistryCsvColumn) => (has(c) ? (f[columns[c]!] ?? "") : undefined);
  const communeCode = get("commune");
  const departement = get("departement") || undefined;
  const raw: RawRegistryRecord = { finess: get("finess") ?? "", name: get("name") ?? "" };
  const put = <K extends keyof RawRegistryRecord>(key: K, value: RawRegistryRecord[K] | undefined) => {
    if (value !== undefined) raw[key] = value;
  };
  put("category", get("category") || undefined);
  put("territory", get("territory") || undefined);
  put("finessCategory", get("finess_category"));
  put("finessCategoryLabel", get("finess_category_label") || undefined);
  put("legalEntityFiness", get("legal_entity_finess"));
  put("siret", get("siret"));
  put("phone", get("phone"));
  put("openedOn", get("opened_on"));
  put("updatedOn", get("updated_on"));
  put("departement", departement);
  put("commune", communeCode ? (inseeCommune(departement ?? "", communeCode) ?? communeCode) : undefined);
  if (has("address")) put("addressLines", [get("address") ?? ""]);
  put("postalLine", get("postal_line"));
  if (raw.finessCategory === "") delete raw.finessCategory;
  return raw;
}

/**
 * The columns a header line names, or why it is not one: `finess` and `name` at least, and no column
 * twice. Names are matched without case, spaces or accents; hyphens count as underscores.
 */
export function csvColumns(
  header: readonly string[],
): { columns: Partial<Record<RegistryCsvColumn, number>> } | { error: string } {
  const columns: Partial<Record<RegistryCsvColumn, number>> = {};
  header.forEach((raw, i) => {
    const name = raw
      .normalize("NFD")
      .replace(/\p{M}/gu, "")
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, "_");
    if (name in REGISTRY_CSV_COLUMNS && columns[name as RegistryCsvColumn] === undefined) {
      columns[name as RegistryCsvColumn] = i;
    }
  });
  if (columns.finess === undefined || columns.name === undefined) {
    return { error: "the first line must name the columns, finess and name at least" };
  }
  return { columns };
}

// ---------------------------------------------------------------------------------------------------
// Comparing with the directory

/** The registry's fields of an establishment as the directory holds them. */
export type DirectoryRegistryFields = Required<Omit<RegistryFields, "finess">> & { active: boolean };

export type FieldChanges = Partial<Record<RegistryComparedField, { before: unknown; after: unknown }>>;

/** JSON with keys sorted: jsonb gives an object's keys back in its own order. */
function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/**
 * What applying the line would change, field by field; empty when nothing. The opening day is only
 * filled in, never moved; an establishment that had left the registry and is back is made active again.
 */
export function registryChanges(current: DirectoryRegistryFields, incoming: RegistryFields): FieldChanges {
  const changes: FieldChanges = {};
  for (const field of REGISTRY_COMPARED_FIELDS) {
    if (field === "active") {
      if (!current.active) changes.active = { before: false, after: true };
      continue;
    }
    const after = incoming[field];
    if (after === undefined) continue;
    const before = current[field];
    if (field === "activeFrom" && before !== null) continue;
    if (!same(before, after)) changes[field] = { before: before ?? null, after: after ?? null };
  }
  return changes;
}
