import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Personal acknowledgement links of alert bulletins: `<recipient id>.<expiry, seconds>.<signature>`,
 * HMAC-SHA256 under a key derived from the service's secret for this purpose only, so that a token of
 * one kind can never pass for another. No login: the link answers for its recipient and nobody else.
 * Server-side only (node:crypto), hence outside the package's index, which the browser imports.
 */
const PURPOSE = "pris/bulletin-ack/v1";

const keys = new Map<string, Buffer>();

function key(secret: string): Buffer {
  let derived = keys.get(secret);
  if (!derived) {
    derived = createHmac("sha256", secret).update(PURPOSE).digest();
    keys.set(secret, derived);
  }
  return derived;
}

function sign(secret: string, recipientId: string, expires: number): string {
  return createHmac("sha256", key(secret)).update(`${recipientId}.${expires}`).digest("base64url");
}

export function signAckToken(secret: string, recipientId: string, expiresAt: Date): string {
  const expires = Math.floor(expiresAt.getTime() / 1000);
  return `${recipientId}.${expires}.${sign(secret, recipientId, expires)}`;
}

export type AckTokenCheck =
  | { ok: true; recipientId: string; expiresAt: Date }
  | { ok: false; reason: "invalid" | "expired" };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks the signature first: an expired link says so only when it is genuine. */
export function verifyAckToken(secret: string, token: string, now = new Date()): AckTokenCheck {
  const [recipientId, expiresText, signature, ...rest] = token.split(".");
  if (rest.length > 0 || !recipientId || !expiresText || !signature) return { ok: false, reason: "invalid" };
  // Only the form signAckToken writes: "0123" would otherwise pass as the signed 123, one token
  // spelled several ways.
  if (!UUID.test(recipientId) || !/^(0|[1-9]\d{0,11})$/.test(expiresText))
    return { ok: false, reason: "invalid" };
  const expires = Number(expiresText);
  const expected = Buffer.from(sign(secret, recipientId, expires));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: "invalid" };
  }
  if (expires * 1000 <= now.getTime()) return { ok: false, reason: "expired" };
  return { ok: true, recipientId, expiresAt: new Date(expires * 1000) };
}
