/**
 * Loads a realistic but fictional demo region: La Réunion, its four territories, its GHT, about thirty
 * establishments of every category, and users of every role.
 *
 * Idempotent: every row is inserted with ON CONFLICT DO NOTHING on its natural key (territory code,
 * GHT code, FINESS, e-mail), so a second run changes nothing, and rows edited since the first run are
 * left as they are. Passwords are hashed only for the users still missing, since Argon2id is slow on purpose.
 *
 * Every name, FINESS number, address and person below is invented; mail goes to the reserved `.test` TLD.
 */
import { loadConfig } from "@pris/config";
import {
  canonicalProducts,
  createDatabase,
  establishments,
  ghts,
  onCallSlots,
  type Product,
  territories,
  users,
} from "@pris/db";
import {
  CATEGORIES,
  type Category,
  type Contacts,
  dayInZone,
  isFiness,
  MINUTES_PER_DAY,
  type Nis2Status,
  ROLE_LABELS,
  type Role,
} from "@pris/domain";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { hashPassword } from "../auth/passwords.ts";
import { seedBulletins } from "./seed-bulletins.ts";
import { seedExercises } from "./seed-exercises.ts";
import { seedRegistryMappings } from "./seed-registry.ts";

/** Shared by every demo account, so the README can list them in one table. At least 12 characters. */
const DEMO_PASSWORD = "Demo-PRIS-974!";

const TERRITORIES = [
  { code: "nord", name: "Nord" },
  { code: "est", name: "Est" },
  { code: "sud", name: "Sud" },
  { code: "ouest", name: "Ouest" },
] as const;
type Territory = (typeof TERRITORIES)[number]["code"];

const GHT = { code: "GHT-974", name: "GHT de La Réunion" } as const;
/** The GHT's support establishment, by FINESS. */
const GHT_SUPPORT_FINESS = "974000017";

/** Products and suppliers declared by several establishments: alerts target them, contagion follows them. */
const P = {
  dpiOrbis: { kind: "dpi", vendor: "Dedalus", product: "ORBIS" },
  dpiHm: { kind: "dpi", vendor: "Softway Medical", product: "Hopital Manager" },
  dpiCrossway: { kind: "dpi", vendor: "Maincare", product: "M-CrossWay" },
  dpiClinic: { kind: "dpi", vendor: "Kaza Santé", product: "KazaClinic" },
  dpiEsms: { kind: "dpi", vendor: "Lataniers Logiciels", product: "DossierRésident" },
  vpnForti: { kind: "vpn", vendor: "Fortinet", product: "FortiGate SSL-VPN" },
  vpnIvanti: { kind: "vpn", vendor: "Ivanti", product: "Connect Secure" },
  vpnPalo: { kind: "vpn", vendor: "Palo Alto Networks", product: "GlobalProtect" },
  fwForti: { kind: "firewall", vendor: "Fortinet", product: "FortiGate" },
  fwStormshield: { kind: "firewall", vendor: "Stormshield", product: "SNS" },
  mspMascarin: { kind: "msp", vendor: "Mascarin Infogérance" },
  mspOcean: { kind: "msp", vendor: "Océan Indien Services Numériques" },
  mspTesis: { kind: "msp", vendor: "GCS TESIS (hébergement régional)" },
  mailExchange: { kind: "email", vendor: "Microsoft", product: "Exchange Server" },
  mail365: { kind: "email", vendor: "Microsoft", product: "Microsoft 365" },
  mailBluemind: { kind: "email", vendor: "BlueMind", product: "BlueMind" },
  mailMss: { kind: "email", vendor: "ANS", product: "MSSanté" },
  pacsCarestream: { kind: "pacs", vendor: "Carestream", product: "Vue PACS" },
  pacsTelemis: { kind: "pacs", vendor: "Telemis", product: "Telemis-Medical" },
  lisMolis: { kind: "lis", vendor: "CompuGroup Medical", product: "Molis" },
  pharmaPharma: { kind: "pharmacy", vendor: "Computer Engineering", product: "Pharma" },
  adMicrosoft: { kind: "directory", vendor: "Microsoft", product: "Active Directory" },
  dialysisNephro: { kind: "other", vendor: "Fresenius", product: "Therapy Monitor" },
} as const satisfies Record<string, Product>;

interface EstablishmentSeed {
  finess: string;
  name: string;
  category: Category;
  territory: Territory;
  /** Web domain under `.test`, from which the contact addresses are made. */
  domain: string;
  ght?: boolean;
  small?: boolean;
  nis2?: Nis2Status;
  /** [RSSI, deputy, director, DPO]; small structures often have no RSSI: the director acts as referent. */
  people: [rssi: string | null, deputy: string | null, director: string, dpo: string];
  products: Product[];
}

const ESTABLISHMENTS: EstablishmentSeed[] = [
  // Nord — Saint-Denis, Sainte-Marie, Sainte-Suzanne
  {
    finess: "974000017",
    name: "CHU de La Réunion — site Nord (Saint-Denis)",
    category: "chu",
    territory: "nord",
    domain: "chu-nord.reunion.test",
    ght: true,
    nis2: "essential",
    people: ["Laurent Hoarau", "Sandrine Técher", "Pascale Rivière", "Karim Moussa"],
    products: [
      P.dpiOrbis,
      P.vpnForti,
      P.fwForti,
      P.mailExchange,
      P.pacsCarestream,
      P.lisMolis,
      P.adMicrosoft,
    ],
  },
  {
    finess: "974000108",
    name: "Clinique du Barachois",
    category: "private_clinic",
    territory: "nord",
    domain: "clinique-barachois.test",
    nis2: "important",
    people: ["Thomas Lebon", "Émilie Dijoux", "Bernard Cadet", "Inès Patel"],
    products: [P.dpiClinic, P.vpnIvanti, P.mspMascarin, P.mail365, P.pacsTelemis],
  },
  {
    finess: "974000116",
    name: "Polyclinique de la Montagne",
    category: "private_clinic",
    territory: "nord",
    domain: "polyclinique-montagne.test",
    nis2: "important",
    people: ["Yannick Boyer", "Chloé Maillot", "Henri Lauret", "Inès Patel"],
    products: [P.dpiHm, P.vpnForti, P.mspMascarin, P.mail365, P.pacsTelemis],
  },
  {
    finess: "974000124",
    name: "Centre de dialyse du Chaudron",
    category: "dialysis",
    territory: "nord",
    domain: "dialyse-chaudron.test",
    people: ["Farid Ibrahim", null, "Monique Turpin", "Farid Ibrahim"],
    products: [P.dialysisNephro, P.dpiClinic, P.vpnForti, P.mspOcean],
  },
  {
    finess: "974000132",
    name: "EHPAD Les Lataniers",
    category: "ehpad",
    territory: "nord",
    domain: "ehpad-lataniers.test",
    small: true,
    people: [null, null, "Josiane Fontaine", "Delphine Morel"],
    products: [P.dpiEsms, P.mspOcean, P.mailMss],
  },
  {
    finess: "974000140",
    name: "IME Les Goyaviers",
    category: "disability_children",
    territory: "nord",
    domain: "ime-goyaviers.test",
    small: true,
    people: [null, null, "Raymond Grondin", "Delphine Morel"],
    products: [P.dpiEsms, P.mspOcean],
  },
  {
    finess: "974000157",
    name: "Laboratoire BioMascareignes",
    category: "laboratory",
    territory: "nord",
    domain: "biomascareignes.test",
    people: ["Anthony Robert", "Céline Ah-Hot", "Dr Marc Vidot", "Céline Ah-Hot"],
    products: [P.lisMolis, P.vpnPalo, P.fwStormshield, P.mail365],
  },
  {
    finess: "974000165",
    name: "Centre d'imagerie du Butor",
    category: "radiology",
    territory: "nord",
    domain: "imagerie-butor.test",
    people: ["Kevin Sautron", null, "Dr Anne Chane-Kune", "Kevin Sautron"],
    products: [P.pacsCarestream, P.vpnForti, P.mspMascarin],
  },
  // Est — Saint-André, Bras-Panon, Saint-Benoît, Plaine-des-Palmistes
  {
    finess: "974000207",
    name: "Centre hospitalier de l'Est réunionnais (Saint-Benoît)",
    category: "ch",
    territory: "est",
    domain: "ch-est.reunion.test",
    ght: true,
    nis2: "essential",
    people: ["Didier Nativel", "Marie-Claude Payet", "Philippe Dambreville", "Karim Moussa"],
    products: [P.dpiCrossway, P.vpnForti, P.fwForti, P.mailExchange, P.pacsTelemis, P.adMicrosoft],
  },
  {
    finess: "974000215",
    name: "Clinique des Bananiers (Saint-André)",
    category: "private_clinic",
    territory: "est",
    domain: "clinique-bananiers.test",
    people: ["Sébastien Clain", null, "Christine Pothin", "Sébastien Clain"],
    products: [P.dpiClinic, P.vpnIvanti, P.mspOcean, P.mail365],
  },
  {
    finess: "974000223",
    name: "Unité de dialyse de la Rivière du Mât",
    category: "dialysis",
    territory: "est",
    domain: "dialyse-riviere-du-mat.test",
    small: true,
    people: [null, null, "Georges Mussard", "Farid Ibrahim"],
    products: [P.dialysisNephro, P.mspOcean],
  },
  {
    finess: "974000231",
    name: "EHPAD Résidence Les Fougères (Plaine-des-Palmistes)",
    category: "ehpad",
    territory: "est",
    domain: "ehpad-fougeres.test",
    small: true,
    people: [null, null, "Marie-Annick Hoareau", "Delphine Morel"],
    products: [P.dpiEsms, P.mspOcean, P.mailMss],
  },
  {
    finess: "974000249",
    name: "MAS Les Orchidées (Saint-Benoît)",
    category: "disability_adults",
    territory: "est",
    domain: "mas-orchidees.test",
    small: true,
    people: [null, null, "Jean-Luc Baret", "Delphine Morel"],
    products: [P.dpiEsms, P.mspOcean],
  },
  {
    finess: "974000256",
    name: "SSIAD de l'Est (Bras-Panon)",
    category: "home_care",
    territory: "est",
    domain: "ssiad-est.test",
    small: true,
    people: [null, null, "Nathalie Virapin", "Delphine Morel"],
    products: [P.dpiEsms, P.mailMss],
  },
  // Sud — Saint-Pierre, Le Tampon, Saint-Louis, Saint-Joseph
  {
    finess: "974000306",
    name: "CHU de La Réunion — site Sud (Saint-Pierre)",
    category: "chu",
    territory: "sud",
    domain: "chu-sud.reunion.test",
    ght: true,
    nis2: "essential",
    people: ["Stéphane Grondin", "Audrey Fontaine", "Pascale Rivière", "Karim Moussa"],
    products: [
      P.dpiOrbis,
      P.vpnForti,
      P.fwForti,
      P.mailExchange,
      P.pacsCarestream,
      P.lisMolis,
      P.adMicrosoft,
    ],
  },
  {
    finess: "974000314",
    name: "Clinique des Hauts de Saint-Pierre",
    category: "private_clinic",
    territory: "sud",
    domain: "clinique-hauts-saint-pierre.test",
    nis2: "important",
    people: ["Julien Técher", "Sarah Abdou", "Michel Gonthier", "Inès Patel"],
    products: [P.dpiHm, P.vpnPalo, P.mspMascarin, P.mail365, P.pacsTelemis, P.pharmaPharma],
  },
  {
    finess: "974000322",
    name: "Centre de réadaptation Les Makes (Saint-Louis)",
    category: "smr",
    territory: "sud",
    domain: "smr-makes.test",
    people: ["David Lauret", null, "Isabelle Rivière", "David Lauret"],
    products: [P.dpiHm, P.vpnForti, P.mspMascarin],
  },
  {
    finess: "974000330",
    name: "HAD Les Alizés (Saint-Pierre)",
    category: "had",
    territory: "sud",
    domain: "had-alizes.test",
    people: ["Mathieu Payet", null, "Véronique Law-Yen", "Mathieu Payet"],
    products: [P.dpiClinic, P.vpnIvanti, P.mspOcean, P.mail365],
  },
  {
    finess: "974000348",
    name: "EHPAD Les Songes (Saint-Joseph)",
    category: "ehpad",
    territory: "sud",
    domain: "ehpad-songes.test",
    small: true,
    people: [null, null, "Lucienne Maillot", "Delphine Morel"],
    products: [P.dpiEsms, P.mspOcean, P.mailMss],
  },
  {
    finess: "974000355",
    name: "EHPAD Résidence du Piton (Le Tampon)",
    category: "ehpad",
    territory: "sud",
    domain: "ehpad-piton.test",
    people: ["Frédéric Hoarau", null, "Gisèle Boyer", "Delphine Morel"],
    products: [P.dpiEsms, P.vpnForti, P.mspOcean, P.mail365],
  },
  {
    finess: "974000363",
    name: "FAM Les Tamarins (Saint-Louis)",
    category: "disability_adults",
    territory: "sud",
    domain: "fam-tamarins.test",
    small: true,
    people: [null, null, "Patrick Dijoux", "Delphine Morel"],
    products: [P.dpiEsms, P.mspOcean],
  },
  {
    finess: "974000371",
    name: "SESSAD du Sud (Saint-Pierre)",
    category: "disability_children",
    territory: "sud",
    domain: "sessad-sud.test",
    small: true,
    people: [null, null, "Corinne Nativel", "Delphine Morel"],
    products: [P.dpiEsms],
  },
  {
    finess: "974000389",
    name: "Imagerie médicale du Grand Sud",
    category: "radiology",
    territory: "sud",
    domain: "imagerie-grand-sud.test",
    people: ["Nicolas Cadet", null, "Dr Paul Ethève", "Nicolas Cadet"],
    products: [P.pacsTelemis, P.vpnPalo, P.mspMascarin],
  },
  {
    finess: "974000397",
    name: "Centre de dialyse de Terre-Sainte",
    category: "dialysis",
    territory: "sud",
    domain: "dialyse-terre-sainte.test",
    people: ["Farid Ibrahim", null, "Claudine Robert", "Farid Ibrahim"],
    products: [P.dialysisNephro, P.dpiClinic, P.vpnForti, P.mspOcean],
  },
  // Ouest — Saint-Paul, Le Port, La Possession, Saint-Leu, Trois-Bassins
  {
    finess: "974000405",
    name: "Centre hospitalier Ouest Réunion (Saint-Paul)",
    category: "ch",
    territory: "ouest",
    domain: "ch-ouest.reunion.test",
    ght: true,
    nis2: "essential",
    people: ["Éric Fontaine", "Nadège Hoareau", "Alain Rivière", "Karim Moussa"],
    products: [P.dpiCrossway, P.vpnForti, P.fwForti, P.mailExchange, P.pacsCarestream, P.adMicrosoft],
  },
  {
    finess: "974000413",
    name: "EPSMR — Établissement public de santé mentale de La Réunion",
    category: "psychiatric",
    territory: "ouest",
    domain: "epsmr.reunion.test",
    ght: true,
    nis2: "essential",
    people: ["Vincent Payet", "Laetitia Grondin", "Dominique Lebreton", "Karim Moussa"],
    products: [P.dpiCrossway, P.vpnForti, P.fwForti, P.mailExchange, P.mspTesis, P.adMicrosoft],
  },
  {
    finess: "974000421",
    name: "Clinique de la Baie (Saint-Paul)",
    category: "private_clinic",
    territory: "ouest",
    domain: "clinique-baie.test",
    nis2: "important",
    people: ["Guillaume Ah-Sing", "Mélanie Técher", "François Bègue", "Inès Patel"],
    products: [P.dpiHm, P.vpnIvanti, P.mspMascarin, P.mail365, P.pacsTelemis, P.pharmaPharma],
  },
  {
    finess: "974000439",
    name: "Centre SMR du Port",
    category: "smr",
    territory: "ouest",
    domain: "smr-le-port.test",
    people: ["Cédric Mussard", null, "Hélène Payet", "Cédric Mussard"],
    products: [P.dpiHm, P.vpnForti, P.mspMascarin, P.mailBluemind],
  },
  {
    finess: "974000447",
    name: "HAD de l'Ouest (La Possession)",
    category: "had",
    territory: "ouest",
    domain: "had-ouest.test",
    people: ["Damien Lauret", null, "Sylvie Ethève", "Damien Lauret"],
    products: [P.dpiClinic, P.vpnIvanti, P.mspOcean, P.mail365],
  },
  {
    finess: "974000454",
    name: "EHPAD Les Filaos (La Possession)",
    category: "ehpad",
    territory: "ouest",
    domain: "ehpad-filaos.test",
    small: true,
    people: [null, null, "Ginette Clain", "Delphine Morel"],
    products: [P.dpiEsms, P.mspOcean, P.mailMss],
  },
  {
    finess: "974000462",
    name: "SSIAD de Saint-Leu",
    category: "home_care",
    territory: "ouest",
    domain: "ssiad-saint-leu.test",
    small: true,
    people: [null, null, "Roselyne Boyer", "Delphine Morel"],
    products: [P.dpiEsms, P.mailMss],
  },
  {
    finess: "974000470",
    name: "Centre de santé de Trois-Bassins",
    category: "other",
    territory: "ouest",
    domain: "cds-trois-bassins.test",
    small: true,
    people: [null, null, "Dr Jacques Hoarau", "Delphine Morel"],
    products: [P.mail365, P.mspOcean],
  },
];

interface UserSeed {
  email: string;
  displayName: string;
  role: Role;
  phone?: string;
  /** FINESS of an RSSI's establishment. */
  finess?: string;
  /** An RSSI covering every member of the GHT. */
  ght?: boolean;
}

const USERS: UserSeed[] = [
  { email: "admin@pris.test", displayName: "Administrateur PRIS", role: "admin" },
  {
    email: "analyste1@pris.test",
    displayName: "Camille Hoarau",
    role: "analyst",
    phone: "+262 262 00 01 01",
  },
  {
    email: "analyste2@pris.test",
    displayName: "Mickaël Payet",
    role: "analyst",
    phone: "+262 262 00 01 02",
  },
  { email: "analyste3@pris.test", displayName: "Nadia Grondin", role: "analyst", phone: "+262 262 00 01 03" },
  {
    email: "taskforce1@pris.test",
    displayName: "Jean-Marc Técher",
    role: "taskforce",
    phone: "+262 692 00 02 01",
  },
  {
    email: "taskforce2@pris.test",
    displayName: "Aurélie Fontaine",
    role: "taskforce",
    phone: "+262 692 00 02 02",
  },
  { email: "ars@pris.test", displayName: "Valérie Nativel (ARS La Réunion)", role: "ars" },
  {
    email: "rssi.ght@pris.test",
    displayName: "Olivier Maillot (RSSI du GHT)",
    role: "rssi",
    ght: true,
    phone: "+262 692 00 03 01",
  },
  {
    email: "rssi@chu-nord.reunion.test",
    displayName: "Laurent Hoarau",
    role: "rssi",
    finess: "974000017",
    phone: "+262 692 00 03 02",
  },
  {
    email: "rssi@ch-ouest.reunion.test",
    displayName: "Éric Fontaine",
    role: "rssi",
    finess: "974000405",
    phone: "+262 692 00 03 03",
  },
  {
    email: "rssi@clinique-barachois.test",
    displayName: "Thomas Lebon",
    role: "rssi",
    finess: "974000108",
    phone: "+262 692 00 03 04",
  },
  {
    email: "rssi@clinique-hauts-saint-pierre.test",
    displayName: "Julien Técher",
    role: "rssi",
    finess: "974000314",
    phone: "+262 692 00 03 05",
  },
  {
    email: "direction@ehpad-lataniers.test",
    displayName: "Josiane Fontaine (directrice, référente sécurité)",
    role: "rssi",
    finess: "974000132",
    phone: "+262 692 00 03 06",
  },
];

function emailOf(name: string, domain: string): string {
  const local = name
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/^dr /, "")
    .replace(/[^a-z]+/g, ".")
    .replace(/^\.|\.$/g, "");
  return `${local}@${domain}`;
}

/** Fictional numbers in a block no one uses, made from the FINESS so they stay stable across runs. */
function phoneOf(finess: string, line: number): string {
  return `+262 262 9${finess.slice(6, 7)} ${finess.slice(7, 9)} 0${line}`;
}

function contactsOf(e: EstablishmentSeed): Contacts {
  const [rssi, deputy, director, dpo] = e.people;
  const contacts: Contacts = {
    director: { name: director, email: `direction@${e.domain}`, phone: phoneOf(e.finess, 1) },
    dpo: { name: dpo, email: `dpo@${e.domain}` },
    functionalMailbox: `securite-si@${e.domain}`,
  };
  if (rssi) contacts.rssi = { name: rssi, email: `rssi@${e.domain}`, phone: phoneOf(e.finess, 2) };
  if (deputy)
    contacts.deputy = { name: deputy, email: emailOf(deputy, e.domain), phone: phoneOf(e.finess, 3) };
  return contacts;
}

const DAY = MINUTES_PER_DAY;
const H = 60;

/**
 * The pole's week, in the region's zone: Camille holds the weekday days (Mickaël backs her up), the
 * nights of the week alternate between Mickaël and Nadia, and Mickaël has the weekend from Friday 18:00
 * to Monday 08:00 with Nadia as backup (two slots: the rota's week ends on Sunday at midnight).
 */
const ROTA: { start: number; end: number; primary: string; backup: string; note: string }[] = [
  { start: 0, end: 8 * H, primary: "analyste2", backup: "analyste3", note: "Fin de l'astreinte du week-end" },
  ...[0, 1, 2, 3, 4].map((d) => ({
    start: d * DAY + 8 * H,
    end: d * DAY + 18 * H,
    primary: "analyste1",
    backup: "analyste2",
    note: "Journée",
  })),
  ...[0, 1, 2, 3].map((d) => ({
    start: d * DAY + 18 * H,
    end: (d + 1) * DAY + 8 * H,
    primary: d % 2 === 0 ? "analyste2" : "analyste3",
    backup: d % 2 === 0 ? "analyste3" : "analyste1",
    note: "Nuit",
  })),
  { start: 4 * DAY + 18 * H, end: 7 * DAY, primary: "analyste2", backup: "analyste3", note: "Week-end" },
];

function checkSeedData(): void {
  const finesses = new Set<string>();
  for (const e of ESTABLISHMENTS) {
    if (!isFiness(e.finess) || !e.finess.startsWith("974")) throw new Error(`bad FINESS ${e.finess}`);
    if (finesses.has(e.finess)) throw new Error(`duplicate FINESS ${e.finess}`);
    finesses.add(e.finess);
  }
  for (const u of USERS) {
    if (u.finess && !finesses.has(u.finess)) throw new Error(`${u.email}: unknown FINESS ${u.finess}`);
  }
  if (!finesses.has(GHT_SUPPORT_FINESS)) throw new Error("GHT support establishment missing");
}

async function main(): Promise<void> {
  const allowProduction = process.argv.includes("--allow-production");
  const config = loadConfig();
  if (config.NODE_ENV === "production" && !allowProduction) {
    console.error(
      "Refusing to load demo accounts with a known password into a production configuration " +
        "(NODE_ENV=production). Pass --allow-production for a demo deployment.",
    );
    process.exitCode = 1;
    return;
  }
  checkSeedData();

  const database = createDatabase({
    url: config.DATABASE_URL,
    max: 2,
    applicationName: "pris-seed",
    timeZone: config.REGION_TIMEZONE,
  });
  try {
    const counts = await database.db.transaction(async (tx) => {
      const newTerritories = await tx
        .insert(territories)
        .values([...TERRITORIES])
        .onConflictDoNothing({ target: territories.code })
        .returning({ code: territories.code });

      const newGhts = await tx
        .insert(ghts)
        .values({ code: GHT.code, name: GHT.name })
        .onConflictDoNothing({ target: ghts.code })
        .returning({ id: ghts.id });
      const [ght] = await tx.select({ id: ghts.id }).from(ghts).where(eq(ghts.code, GHT.code));
      if (!ght) throw new Error(`GHT ${GHT.code} missing after insert`);

      const newEstablishments = await tx
        .insert(establishments)
        .values(
          ESTABLISHMENTS.map((e) => ({
            finess: e.finess,
            name: e.name,
            category: e.category,
            sector: CATEGORIES[e.category].sector,
            territory: e.territory,
            ghtId: e.ght ? ght.id : null,
            smallStructure: e.small ?? false,
            nis2Status: e.nis2 ?? "not_subject",
            contacts: contactsOf(e),
            products: e.products,
          })),
        )
        .onConflictDoNothing({ target: establishments.finess })
        .returning({ id: establishments.id });

      const idByFiness = new Map(
        (
          await tx
            .select({ id: establishments.id, finess: establishments.finess })
            .from(establishments)
            .where(
              inArray(
                establishments.finess,
                ESTABLISHMENTS.map((e) => e.finess),
              ),
            )
        ).map((row) => [row.finess, row.id]),
      );

      // Only fills a missing support establishment: one chosen by an administrator stays.
      await tx
        .update(ghts)
        .set({ supportEstablishmentId: idByFiness.get(GHT_SUPPORT_FINESS) })
        .where(and(eq(ghts.id, ght.id), isNull(ghts.supportEstablishmentId)));

      const present = new Set(
        (
          await tx
            .select({ email: sql<string>`lower(${users.email})` })
            .from(users)
            .where(
              inArray(
                sql`lower(${users.email})`,
                USERS.map((u) => u.email.toLowerCase()),
              ),
            )
        ).map((row) => row.email),
      );
      const missing = USERS.filter((u) => !present.has(u.email.toLowerCase()));
      // One hash per user (own salt), even with a shared demo password.
      const hashes = await Promise.all(missing.map(() => hashPassword(DEMO_PASSWORD)));
      const newUsers =
        missing.length === 0
          ? []
          : await tx
              .insert(users)
              .values(
                missing.map((u, i) => ({
                  email: u.email.toLowerCase(),
                  displayName: u.displayName,
                  phone: u.phone ?? null,
                  role: u.role,
                  establishmentId: u.finess ? idByFiness.get(u.finess) : null,
                  ghtId: u.ght ? ght.id : null,
                  passwordHash: hashes[i]!,
                })),
              )
              // The unique key is the expression lower(email), which drizzle cannot name as a target:
              // a bare ON CONFLICT DO NOTHING covers it (the only other key is the fresh UUIDv7 id).
              .onConflictDoNothing()
              .returning({ id: users.id });

      // The rota is planned once; a pole that edited it keeps its own.
      const [anySlot] = await tx.select({ id: onCallSlots.id }).from(onCallSlots).limit(1);
      let newSlots = 0;
      if (!anySlot) {
        const analysts = new Map(
          (
            await tx.select({ id: users.id, email: users.email }).from(users).where(eq(users.role, "analyst"))
          ).map((u) => [u.email.split("@")[0]!, u.id]),
        );
        const slots = ROTA.filter((r) => analysts.has(r.primary) && analysts.has(r.backup)).map((r) => ({
          startMinute: r.start,
          endMinute: r.end,
          primaryUserId: analysts.get(r.primary)!,
          backupUserId: analysts.get(r.backup)!,
          note: r.note,
        }));
        if (slots.length > 0) newSlots = (await tx.insert(onCallSlots).values(slots).returning()).length;
      }

      // The catalog knows the demo's products, in the spelling the establishments declared them.
      await canonicalProducts(
        tx,
        ESTABLISHMENTS.flatMap((e) => e.products),
        null,
      );

      const newExercises = await seedExercises(tx, idByFiness, dayInZone(new Date(), config.REGION_TIMEZONE));

      return {
        territories: newTerritories.length,
        ghts: newGhts.length,
        establishments: newEstablishments.length,
        users: newUsers.length,
        slots: newSlots,
        exercises: newExercises,
      };
    });

    console.log(
      `Demo region ${config.REGION_NAME} seeded: ` +
        `${counts.territories}/${TERRITORIES.length} territories, ${counts.ghts}/1 GHT, ` +
        `${counts.establishments}/${ESTABLISHMENTS.length} establishments, ` +
        `${counts.users}/${USERS.length} users, ${counts.slots}/${ROTA.length} on-call slots, ` +
        `${counts.exercises} exercises added (the rest were already there).`,
    );
    const demoBulletins = await seedBulletins(database.db, config);
    if (demoBulletins > 0) console.log(`${demoBulletins} demo alert bulletins added.`);
    const communes = await seedRegistryMappings(database.db);
    if (communes > 0) console.log(`${communes} communes mapped to their territory for the FINESS import.`);
    printLogins(config.PUBLIC_URL);
  } finally {
    await database.close();
  }
}

function printLogins(publicUrl: string): void {
  const establishmentName = new Map(ESTABLISHMENTS.map((e) => [e.finess, e.name]));
  const rows = USERS.map((u) => {
    const scope = u.ght ? GHT.name : u.finess ? (establishmentName.get(u.finess) ?? "") : "";
    return [u.email, ROLE_LABELS[u.role], scope] as const;
  });
  const width = Math.max(...rows.map(([email]) => email.length));
  console.log(`\nDemo logins on ${publicUrl} — every password is ${DEMO_PASSWORD}`);
  for (const [email, role, scope] of rows) {
    console.log(`  ${email.padEnd(width)}  ${role}${scope ? ` — ${scope}` : ""}`);
  }
}

await main();
