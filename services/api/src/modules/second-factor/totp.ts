import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";

/** RFC 6238 as every authenticator application reads it: SHA-1, 6 digits, 30 s steps. */
const PERIOD = 30;
/** A code of the step before or after is accepted too: clocks drift, people type slowly. */
const WINDOW = 1;

/**
 * The AES-256-GCM keys of TOTP secrets, derived for this purpose only from JWT_SECRET (the first, which
 * seals) and from the former secrets of a rotation (which still open what they sealed).
 */
export function totpKeys(secrets: string[]): Buffer[] {
  return secrets.map((secret) =>
    Buffer.from(hkdfSync("sha256", secret, "pris", "pris totp secret encryption v1", 32)),
  );
}

/** iv.tag.ciphertext, each base64url. */
export function encryptSecret(key: Buffer, base32: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ciphertext = Buffer.concat([cipher.update(base32, "utf8"), cipher.final()]);
  return [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString("base64url")).join(".");
}

/** The secret, and whether it was sealed under a former key (then it is sealed again under the current). */
export function decryptSecret(keys: Buffer[], sealed: string): { secret: string; stale: boolean } {
  const [iv, tag, ciphertext] = sealed.split(".").map((p) => Buffer.from(p, "base64url"));
  if (!iv || !tag || !ciphertext) throw new Error("malformed TOTP secret");
  for (const [index, key] of keys.entries()) {
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAuthTag(tag);
    try {
      const secret = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
      return { secret, stale: index > 0 };
    } catch {
      // Sealed under another key: try the next.
    }
  }
  throw new Error("TOTP secret sealed under none of the service's keys");
}

function totpOf(base32: string, label = "PRIS", issuer = "PRIS Cyber Santé") {
  return new OTPAuth.TOTP({
    issuer,
    label,
    algorithm: "SHA1",
    digits: 6,
    period: PERIOD,
    secret: OTPAuth.Secret.fromBase32(base32),
  });
}

/** A new secret, its otpauth:// URI and the QR code holding it, as SVG. */
export async function newTotp(label: string, issuer: string) {
  const secret = new OTPAuth.Secret({ size: 20 }).base32;
  const uri = totpOf(secret, label, issuer).toString();
  const { default: QRCode } = await import("qrcode");
  const qrSvg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return { secret, uri, qrSvg };
}

/** The time step a code belongs to, or null when it matches none of the window's. */
export function matchingStep(base32: string, code: string, now = Date.now()): number | null {
  const delta = totpOf(base32).validate({ token: code, timestamp: now, window: WINDOW });
  if (delta === null) return null;
  return Math.floor(now / 1000 / PERIOD) + delta;
}
