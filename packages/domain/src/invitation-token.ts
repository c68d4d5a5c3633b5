import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Invitation links: `<invitation id>.<send count>.<expiry, seconds>.<signature>`, HMAC-SHA256 under a key
 * derived from the service's secret for this purpose only, so that no other token of the service (an
 * acknowledgement link, a session) can pass for one. Signed for the send count: re-sending an invitation
 * makes every earlier link useless. The API signs it to check a link and the worker signs it again to
 * put it in the e-mail, so no token is ever stored or carried in a job.
 * Server-side only (node:crypto), hence outside the package's index, which the browser imports.
 */
const PURPOSE = "pris/invitation/v1";

const keys = new Map<string, Buffer>();

function key(secret: string): Buffer {
  let derived = keys.get(secret);
  if (!derived) {
    derived = createHmac("sha256", secret).update(PURPOSE).digest();
    keys.set(secret, derived);
  }
  return derived;
}

function sign(secret: string, invitationId: string, sendCount: number, expires: number): string {
  return createHmac("sha256", key(secret))
    .update(`${invitationId}.${sendCount}.${expires}`)
    .digest("base64url");
}

export function signInvitationToken(
  secret: string,
  invitation: { id: string; sendCount: number; expiresAt: Date },
): string {
  const expires = Math.floor(invitation.expiresAt.getTime() / 1000);
  const { id, sendCount } = invitation;
  return `${id}.${sendCount}.${expires}.${sign(secret, id, sendCount, expires)}`;
}

export type InvitationTokenCheck =
  | { ok: true; invitationId: string; sendCount: number; expiresAt: Date }
  | { ok: false; reason: "invalid" };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COUNT = /^[1-9]\d{0,5}$/;
const SECONDS = /^(0|[1-9]\d{0,11})$/;

/**
 * Checks the signature only: whether the link is still good (expired, used, cancelled, replaced by a
 * newer one) is for the invitation's row to say, which the caller reads next.
 */
export function verifyInvitationToken(secret: string, token: string): InvitationTokenCheck {
  const [invitationId, countText, expiresText, signature, ...rest] = token.split(".");
  if (rest.length > 0 || !invitationId || !countText || !expiresText || !signature)
    return { ok: false, reason: "invalid" };
  // Only the form signInvitationToken writes: one token, one spelling.
  if (!UUID.test(invitationId) || !COUNT.test(countText) || !SECONDS.test(expiresText))
    return { ok: false, reason: "invalid" };
  const sendCount = Number(countText);
  const expires = Number(expiresText);
  const expected = Buffer.from(sign(secret, invitationId, sendCount, expires));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: "invalid" };
  }
  return { ok: true, invitationId, sendCount, expiresAt: new Date(expires * 1000) };
}
