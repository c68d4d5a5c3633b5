import ipaddr from "ipaddr.js";

/** Kinds of observables (indicators of compromise) a declaration may carry. */
export const OBSERVABLE_TYPES = [
  "ipv4",
  "ipv6",
  "cidr",
  "domain",
  "url",
  "email",
  "md5",
  "sha1",
  "sha256",
  "filename",
  "cve",
] as const;
export type ObservableType = (typeof OBSERVABLE_TYPES)[number];

export const OBSERVABLE_LABELS: Record<ObservableType, string> = {
  ipv4: "Adresse IPv4",
  ipv6: "Adresse IPv6",
  cidr: "Plage d'adresses (CIDR)",
  domain: "Nom de domaine",
  url: "URL",
  email: "Adresse e-mail",
  md5: "Empreinte MD5",
  sha1: "Empreinte SHA-1",
  sha256: "Empreinte SHA-256",
  filename: "Nom de fichier",
  cve: "Vulnérabilité (CVE)",
};

const HEX = (n: number) => new RegExp(`^[0-9a-f]{${n}}$`);
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;

/** Strict parsing: dotted-quad IPv4 only (no "10.1" or octal forms), any valid IPv6. */
function parseIp(v: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(v)) return ipaddr.IPv4.parse(v);
  if (ipaddr.IPv6.isValid(v) && v.includes(":")) return ipaddr.IPv6.parse(v);
  return undefined;
}

function canonicalIp(ip: ipaddr.IPv4 | ipaddr.IPv6): string {
  return ip.kind() === "ipv6" ? (ip as ipaddr.IPv6).toRFC5952String() : ip.toString();
}

/** Removes the defanging analysts use in mails: hxxp, [.], (.), [@]. */
function refang(value: string): string {
  return value
    .trim()
    .replace(/\[\.\]|\(\.\)|\{\.\}/g, ".")
    .replace(/\[@\]|\(@\)|\[at\]/gi, "@")
    .replace(/^hxxp/i, "http")
    .replace(/\[:\]/g, ":");
}

/**
 * The canonical form used to match observables across incidents, or why the value is not one.
 * Never throws: the caller turns the error into a 400 on the right field.
 */
export function normalizeObservable(
  type: ObservableType,
  raw: string,
): { value: string } | { error: string } {
  const v = refang(raw);
  if (v.length === 0) return { error: "empty value" };
  switch (type) {
    case "ipv4":
    case "ipv6": {
      const ip = parseIp(v);
      if (!ip || ip.kind() !== type) return { error: `not a valid ${type.toUpperCase()} address` };
      return { value: canonicalIp(ip) };
    }
    case "cidr": {
      const [addr = "", bits = "", ...extra] = v.split("/");
      const ip = parseIp(addr);
      const n = Number(bits);
      if (!ip || extra.length > 0 || !/^\d{1,3}$/.test(bits) || n > (ip.kind() === "ipv4" ? 32 : 128)) {
        return { error: "not a valid CIDR range" };
      }
      return { value: `${canonicalIp(ip)}/${n}` };
    }
    case "domain": {
      const d = v.toLowerCase().replace(/\.$/, "");
      return DOMAIN.test(d) ? { value: d } : { error: "not a valid domain name" };
    }
    case "url": {
      try {
        const u = new URL(v);
        if (!/^https?:|^ftp:/.test(u.protocol)) return { error: "not an http, https or ftp URL" };
        return { value: u.href };
      } catch {
        return { error: "not a valid URL" };
      }
    }
    case "email": {
      const e = v.toLowerCase();
      const at = e.lastIndexOf("@");
      return at > 0 && DOMAIN.test(e.slice(at + 1)) && !/\s/.test(e)
        ? { value: e }
        : { error: "not a valid e-mail address" };
    }
    case "md5":
    case "sha1":
    case "sha256": {
      const h = v.toLowerCase();
      const len = { md5: 32, sha1: 40, sha256: 64 }[type];
      return HEX(len).test(h)
        ? { value: h }
        : { error: `not a ${type.toUpperCase()} hash (${len} hexadecimal characters)` };
    }
    case "filename":
      return v.length <= 255 ? { value: v } : { error: "file name longer than 255 characters" };
    case "cve": {
      const c = v.toUpperCase();
      return /^CVE-\d{4}-\d{4,}$/.test(c) ? { value: c } : { error: "not a CVE identifier (CVE-YYYY-NNNN)" };
    }
  }
}
