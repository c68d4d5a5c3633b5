import { createHash, randomInt } from "node:crypto";
import { RECOVERY_CODE_COUNT } from "@pris/domain";

/** Letters and digits that cannot be mistaken for one another when written down (no 0/O, 1/I/L). */
const ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/** Ten codes of 10 characters (about 49 bits each), written XXXXX-XXXXX. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** As typed: case, spaces and dashes do not matter. */
export function normaliseRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "");
}

/** Random codes of this length need no slow hash: a SHA-256 digest is kept, found by equality. */
export function recoveryCodeDigest(code: string): string {
  return createHash("sha256").update(normaliseRecoveryCode(code)).digest("base64url");
}
