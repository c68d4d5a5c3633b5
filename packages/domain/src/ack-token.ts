import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Links e-mailed to a bulletin's recipients: `<recipient id>.<expiry, seconds>.<signature>`, HMAC-SHA256
 * under a key derived from the service's secret for one purpose only, so that a token of one kind can never
 * pass for another: the personal acknowledgement link, and a functional mailbox's one-click unsubscribe
 * link (RFC 8058). No login: the link answers for its recipient and nobody else.
 * Server-side only (node:crypto), hence outside the package's index, which the browser imports.
 */
const ACK_PURPOSE = "pris/bulletin-ack/v1";
const UNSUBSCRIBE_PURPOSE = "pris/bulletin-unsubscribe/v1";

const keys = new Map<string, Buffer>();

function key(secret: string, purpose: string): Buffer {
  const id = `${purpose}\n${secret}`;
  let derived = keys.get(id);
  if (!derived) {
    derived = createHmac("sha256", secret).update(purpose).digest();
    keys.set(id, derived);
  }
  return derived;
}

function sign(secret: string, purpose: string, recipientId: string, expires: number): string {
  return createHmac("sha256", key(secret, purpose)).update(`${recipientId}.${expires}`).digest("base64url");
}

function signToken(secret: string, purpose: string, recipientId: string, expiresAt: Date): string {
  const expires = Math.floor(expiresAt.getTime() / 1000);
  return `${recipientId}.${expires}.${sign(secret, purpose, recipientId, expires)}`;
}

export function signAckToken(secret: string, recipientId: string, expiresAt: Date): string {
  return signToken(secret, ACK_PURPOSE, recipientId, expiresAt);
}

export function signUnsubscribeToken(secret: string, recipientId: string, expiresAt: Date): string {
  return signToken(secret, UNSUBSCRIBE_PURPOSE, recipientId, expiresAt);
}

export type AckTokenCheck =
  | { ok: true; recipientId: string; expiresAt: Date }
  | { ok: false; reason: "invalid" | "expired" };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks the signature first: an expired link says so only when it is genuine. */
export function verifyAckToken(secret: string, token: string, now = new Date()): AckTokenCheck {
  return verifyToken(secret, ACK_PURPOSE, token, now);
}

export function verifyUnsubscribeToken(secret: string, token: string, now = new Date()): AckTokenCheck {
  return verifyToken(secret, UNSUBSCRIBE_PURPOSE, token, now);
}

function verifyToken(secret: string, purpose: string, token: string, now: Date): AckTokenCheck {
  const [recipientId, expiresText, signature, ...rest] = token.split(".");
  if (rest.length > 0 || !recipientId || !expiresText || !signature) return { ok: false, reason: "invalid" };
  // Only the form signAckToken writes: "0123" would otherwise pass as the signed 123, one token
  // spelled several ways.
  if (!UUID.test(recipientId) || !/^(0|[1-9]\d{0,11})$/.test(expiresText))
    return { ok: false, reason: "invalid" };
  const expires = Number(expiresText);
  const expected = Buffer.from(sign(secret, purpose, recipientId, expires));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: "invalid" };
  }
  if (expires * 1000 <= now.getTime()) return { ok: false, reason: "expired" };
  return { ok: true, recipientId, expiresAt: new Date(expires * 1000) };
}
