import type { ObservableType } from "@pris/domain";

/** Why a value is not an observable of that type, with an example, in French. */
const MESSAGES: Record<ObservableType, string> = {
  ipv4: "Adresse IPv4 invalide. Exemple : 203.0.113.45",
  ipv6: "Adresse IPv6 invalide. Exemple : 2001:db8::1",
  cidr: "Plage d'adresses invalide. Exemple : 203.0.113.0/24",
  domain: "Nom de domaine invalide. Exemple : exemple-malveillant.com",
  url: "URL invalide : elle doit commencer par http://, https:// ou ftp://",
  email: "Adresse e-mail invalide. Exemple : expediteur@exemple.com",
  md5: "Empreinte MD5 invalide : 32 caractères hexadécimaux (0-9, a-f).",
  sha1: "Empreinte SHA-1 invalide : 40 caractères hexadécimaux (0-9, a-f).",
  sha256: "Empreinte SHA-256 invalide : 64 caractères hexadécimaux (0-9, a-f).",
  filename: "Nom de fichier trop long (255 caractères au plus).",
  cve: "Identifiant CVE invalide. Exemple : CVE-2024-3400",
};

export function observableErrorFr(type: ObservableType): string {
  return MESSAGES[type];
}

/** Placeholder shown in the value field, so the expected shape is visible before typing. */
export const OBSERVABLE_PLACEHOLDERS: Record<ObservableType, string> = {
  ipv4: "203.0.113.45",
  ipv6: "2001:db8::1",
  cidr: "203.0.113.0/24",
  domain: "exemple-malveillant.com",
  url: "https://exemple.com/page",
  email: "expediteur@exemple.com",
  md5: "32 caractères hexadécimaux",
  sha1: "40 caractères hexadécimaux",
  sha256: "64 caractères hexadécimaux",
  filename: "facture_2026.pdf.exe",
  cve: "CVE-2024-3400",
};
