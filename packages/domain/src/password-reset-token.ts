import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Password reset links: `<user id>.<expiry, seconds>.<fingerprint>.<signature>`, HMAC-SHA256 under a key
 * derived from the service's secret for this purpose only (no invitation, acknowledgement link or session
 * can pass for one). The fingerprint is a keyed digest of the person's password hash as it was when the
 * link was made: once the password changes (through this link or any other way) the link no longer
 * matches, so it works once, and nothing is stored. The worker signs it when it sends the e-mail; the API
 * checks it. Server-side only (node:crypto), hence outside the package's index, which the browser imports.
 */
const PURPOSE = "pris/password-reset/v1";

const keys = new Map<string, Buffer>();

function key(secret: string): Buffer {
  let derived = keys.get(secret);
  if (!derived) {
    derived = createHmac("sha256", secret).update(PURPOSE).digest();
    keys.set(secret, derived);
  }
  return derived;
}

/** The password as it is now, in 12 characters that reveal nothing of its hash. */
export function passwordFingerprint(
  secret: string,
  user: { passwordHash: string; passwordChangedAt: Date | null },
): string {
  return createHmac("sha256", key(secret))
    .update(`fingerprint|${user.passwordHash}|${user.passwordChangedAt?.toISOString() ?? ""}`)
    .digest("base64url")
    .slice(0, 12);
}

/** 128 bits of HMAC-SHA256: the whole link stays under the router's 100 characters for a parameter. */
function sign(secret: string, userId: string, expires: number, fingerprint: string): string {
  return createHmac("sha256", key(secret))
    .update(`${userId}.${expires}.${fingerprint}`)
    .digest("base64url")
    .slice(0, 22);
}

export function signPasswordResetToken(
  secret: string,
  user: { id: string; passwordHash: string; passwordChangedAt: Date | null },
  expiresAt: Date,
): string {
  const expires = Math.floor(expiresAt.getTime() / 1000);
  const fingerprint = passwordFingerprint(secret, user);
  return `${user.id}.${expires}.${fingerprint}.${sign(secret, user.id, expires, fingerprint)}`;
}

export type PasswordResetTokenCheck =
  | { ok: true; userId: string; expiresAt: Date; fingerprint: string }
  | { ok: false; reason: "invalid" };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECONDS = /^(0|[1-9]\d{0,11})$/;
const FINGERPRINT = /^[A-Za-z0-9_-]{12}$/;

/**
 * Checks the signature only: whether the link has expired or the password changed since is for the
 * caller to say, with the user's row.
 */
export function verifyPasswordResetToken(secret: string, token: string): PasswordResetTokenCheck {
  const [userId, expiresText, fingerprint, signature, ...rest] = token.split(".");
  if (rest.length > 0 || !userId || !expiresText || !fingerprint || !signature)
    return { ok: false, reason: "invalid" };
  if (!UUID.test(userId) || !SECONDS.test(expiresText) || !FINGERPRINT.test(fingerprint))
    return { ok: false, reason: "invalid" };
  const expires = Number(expiresText);
  const expected = Buffer.from(sign(secret, userId, expires, fingerprint));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: "invalid" };
  }
  return { ok: true, userId, expiresAt: new Date(expires * 1000), fingerprint };
}
