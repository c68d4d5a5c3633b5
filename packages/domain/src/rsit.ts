/**
 * ENISA / TF-CSIRT Reference Security Incident Taxonomy (RSIT), current working copy:
 * every class and type with its machine value, plus plain French wording for a stressed declarant.
 */
export interface RsitType {
  value: string;
  label: string;
  /** What a non-specialist would recognise, in French. */
  plain: string;
}
export interface RsitClass {
  value: string;
  label: string;
  plain: string;
  types: readonly RsitType[];
}

export const RSIT_CLASSES = [
  {
    value: "abusive-content",
    label: "Contenu abusif",
    plain: "Messages indésirables ou contenus illicites",
    types: [
      { value: "spam", label: "Spam", plain: "Envoi massif de messages non sollicités" },
      {
        value: "harmful-speech",
        label: "Discours nuisible",
        plain: "Harcèlement, menaces ou propos discriminatoires en ligne",
      },
      {
        value: "violence",
        label: "Contenu violent ou pédocriminel",
        plain: "Contenu pédocriminel, sexuel ou violent",
      },
    ],
  },
  {
    value: "malicious-code",
    label: "Code malveillant",
    plain: "Un virus ou un logiciel malveillant",
    types: [
      {
        value: "infected-system",
        label: "Système infecté",
        plain: "Un poste ou un serveur est infecté (virus, rançongiciel…)",
      },
      {
        value: "c2-server",
        label: "Serveur de commande (C2)",
        plain: "Un serveur qui pilote des machines infectées",
      },
      {
        value: "malware-distribution",
        label: "Distribution de logiciel malveillant",
        plain: "Un lien ou site distribue un logiciel malveillant",
      },
      {
        value: "malware-configuration",
        label: "Configuration de logiciel malveillant",
        plain: "Un fichier de configuration d'un logiciel malveillant",
      },
    ],
  },
  {
    value: "information-gathering",
    label: "Collecte d'informations",
    plain: "Quelqu'un cherche des failles ou des informations",
    types: [
      {
        value: "scanner",
        label: "Balayage (scan)",
        plain: "Des tentatives de repérage de nos systèmes (scan de ports…)",
      },
      { value: "sniffing", label: "Écoute du réseau", plain: "Quelqu'un intercepte le trafic réseau" },
      {
        value: "social-engineering",
        label: "Ingénierie sociale",
        plain: "Quelqu'un tente d'obtenir des informations par ruse (appel, faux technicien…)",
      },
    ],
  },
  {
    value: "intrusion-attempts",
    label: "Tentative d'intrusion",
    plain: "Une tentative d'intrusion qui n'a pas (encore) réussi",
    types: [
      {
        value: "ids-alert",
        label: "Exploitation de vulnérabilité connue",
        plain: "Une tentative d'exploiter une faille connue (CVE)",
      },
      {
        value: "brute-force",
        label: "Tentatives de connexion",
        plain: "De nombreuses tentatives de mots de passe",
      },
      {
        value: "exploit",
        label: "Nouvelle signature d'attaque",
        plain: "Une attaque utilisant une faille inconnue",
      },
    ],
  },
  {
    value: "intrusions",
    label: "Intrusion",
    plain: "Un attaquant est entré dans nos systèmes",
    types: [
      {
        value: "privileged-account-compromise",
        label: "Compromission de compte à privilèges",
        plain: "Un compte administrateur est compromis",
      },
      {
        value: "unprivileged-account-compromise",
        label: "Compromission de compte utilisateur",
        plain: "Un compte utilisateur ou de service est compromis",
      },
      {
        value: "application-compromise",
        label: "Compromission d'application",
        plain: "Une application ou un site est compromis (injection…)",
      },
      {
        value: "system-compromise",
        label: "Compromission de système",
        plain: "Un serveur ou un poste est contrôlé par un attaquant",
      },
      {
        value: "burglary",
        label: "Intrusion physique",
        plain: "Une intrusion physique (vol, salle serveur…)",
      },
    ],
  },
  {
    value: "availability",
    label: "Disponibilité",
    plain: "Un service ne fonctionne plus ou est saturé",
    types: [
      { value: "dos", label: "Déni de service", plain: "Un service est rendu indisponible par une attaque" },
      {
        value: "ddos",
        label: "Déni de service distribué",
        plain: "Un service est saturé par un grand nombre de machines",
      },
      {
        value: "misconfiguration",
        label: "Mauvaise configuration",
        plain: "Une erreur de configuration rend un service indisponible",
      },
      {
        value: "sabotage",
        label: "Sabotage",
        plain: "Un sabotage physique (câbles coupés, incendie volontaire…)",
      },
      {
        value: "outage",
        label: "Panne",
        plain: "Une panne (climatisation, électricité, catastrophe naturelle…)",
      },
    ],
  },
  {
    value: "information-content-security",
    label: "Sécurité de l'information",
    plain: "Des données ont été consultées, modifiées, chiffrées, perdues ou ont fuité",
    types: [
      {
        value: "unauthorised-information-access",
        label: "Accès non autorisé à l'information",
        plain: "Des données ont été consultées sans autorisation",
      },
      {
        value: "unauthorised-information-modification",
        label: "Modification non autorisée de l'information",
        plain: "Des données ont été modifiées ou chiffrées (rançongiciel)",
      },
      {
        value: "data-loss",
        label: "Perte de données",
        plain: "Des données ont été perdues (panne de disque, vol de matériel…)",
      },
      { value: "data-leak", label: "Fuite de données", plain: "Des données ont fuité ou ont été publiées" },
    ],
  },
  {
    value: "fraud",
    label: "Fraude",
    plain: "Une escroquerie, une usurpation ou de l'hameçonnage",
    types: [
      {
        value: "unauthorized-use-of-resources",
        label: "Utilisation non autorisée de ressources",
        plain: "Nos ressources sont utilisées à d'autres fins (minage…)",
      },
      { value: "copyright", label: "Droit d'auteur", plain: "Logiciels ou contenus piratés" },
      {
        value: "masquerade",
        label: "Usurpation d'identité",
        plain: "Quelqu'un se fait passer pour nous ou pour un tiers (faux fournisseur, fraude au président…)",
      },
      { value: "phishing", label: "Hameçonnage", plain: "Un faux message pour voler des identifiants" },
    ],
  },
  {
    value: "vulnerable",
    label: "Vulnérabilité",
    plain: "Une faille découverte, sans attaque constatée",
    types: [
      {
        value: "weak-crypto",
        label: "Chiffrement faible",
        plain: "Un service exposé utilise un chiffrement faible",
      },
      {
        value: "ddos-amplifier",
        label: "Amplificateur de DDoS",
        plain: "Un service exposé peut servir à amplifier des attaques",
      },
      {
        value: "potentially-unwanted-accessible",
        label: "Service exposé non souhaité",
        plain: "Un service exposé sur Internet qui ne devrait pas l'être (RDP, VNC…)",
      },
      {
        value: "information-disclosure",
        label: "Divulgation d'informations",
        plain: "Un service exposé divulgue des informations",
      },
      {
        value: "vulnerable-system",
        label: "Système vulnérable",
        plain: "Un système non à jour ou mal configuré",
      },
    ],
  },
  {
    value: "other",
    label: "Autre",
    plain: "Autre chose, ou je ne sais pas encore",
    types: [
      { value: "other", label: "Autre", plain: "Un incident qui n'entre dans aucune catégorie" },
      { value: "undetermined", label: "Indéterminé", plain: "Je ne sais pas encore de quoi il s'agit" },
    ],
  },
  {
    value: "test",
    label: "Test",
    plain: "Un signalement de test",
    types: [{ value: "test", label: "Test", plain: "Un signalement de test" }],
  },
] as const satisfies readonly RsitClass[];

export type RsitClassValue = (typeof RSIT_CLASSES)[number]["value"];
export type RsitTypeValue = (typeof RSIT_CLASSES)[number]["types"][number]["value"];

export const RSIT_CLASS_VALUES = RSIT_CLASSES.map((c) => c.value) as RsitClassValue[];
export const RSIT_TYPE_VALUES = [
  ...new Set(RSIT_CLASSES.flatMap((c) => c.types.map((t) => t.value))),
] as RsitTypeValue[];

export const RSIT_UNDETERMINED = { class: "other", type: "undetermined" } as const;

export function rsitClassOf(type: string): RsitClass | undefined {
  return RSIT_CLASSES.find((c) => c.types.some((t) => t.value === type));
}

export function isRsitPair(rsitClass: string, rsitType: string): boolean {
  return RSIT_CLASSES.some((c) => c.value === rsitClass && c.types.some((t) => t.value === rsitType));
}
