import { withoutLinkTokens } from "@pris/api";
import { invitableRoles, invitationStatus } from "@pris/domain";
import { signAckToken, verifyAckToken } from "@pris/domain/ack-token";
import { signInvitationToken, verifyInvitationToken } from "@pris/domain/invitation-token";
import { describe, expect, test } from "vitest";

const SECRET = "a-secret-of-at-least-thirty-two-characters";
const ID = "0190abcd-0000-7000-8000-00000000000f";
const invitation = { id: ID, sendCount: 2, expiresAt: new Date("2027-01-01T00:00:00Z") };

describe("invitation links", () => {
  test("a signed link names its invitation, send count and expiry", () => {
    const token = signInvitationToken(SECRET, invitation);
    expect(token.startsWith(`${ID}.2.1798761600.`)).toBe(true);
    expect(verifyInvitationToken(SECRET, token)).toEqual({
      ok: true,
      invitationId: ID,
      sendCount: 2,
      expiresAt: invitation.expiresAt,
    });
  });

  test("another secret, another send count or expiry, or another spelling is refused", () => {
    const token = signInvitationToken(SECRET, invitation);
    const [id, , expires, signature] = token.split(".");
    for (const bad of [
      token.replace(/.$/, (c) => (c === "A" ? "B" : "A")),
      `${id}.3.${expires}.${signature}`,
      `${id}.2.${Number(expires) + 1}.${signature}`,
      `${id}.02.${expires}.${signature}`,
      `${id!.toUpperCase()}.2.${expires}.${signature}`,
      `${token}.x`,
      "",
    ]) {
      expect(verifyInvitationToken(SECRET, bad), bad).toEqual({ ok: false, reason: "invalid" });
    }
    expect(verifyInvitationToken("another-secret-of-at-least-thirty-two-chars", token).ok).toBe(false);
  });

  test("a token of one purpose never passes for the other", () => {
    const ack = signAckToken(SECRET, ID, invitation.expiresAt);
    expect(verifyInvitationToken(SECRET, ack).ok).toBe(false);
    // Same shape as an acknowledgement token once the count is dropped: still refused.
    const [id, , expires, signature] = signInvitationToken(SECRET, invitation).split(".");
    expect(verifyAckToken(SECRET, `${id}.${expires}.${signature}`, new Date(0)).ok).toBe(false);
  });

  test("never logged", () => {
    expect(withoutLinkTokens("/api/v1/invitation-links/abc.1.2.sig/accept?x=1")).toBe(
      "/api/v1/invitation-links/[redacted]/accept?x=1",
    );
    expect(withoutLinkTokens("/invitation/abc.1.2.sig")).toBe("/invitation/[redacted]");
    expect(withoutLinkTokens("/api/v1/invitations/0190/resend")).toBe("/api/v1/invitations/0190/resend");
  });
});

describe("invitation rules", () => {
  test("status: closed first, then the expiry", () => {
    const now = new Date("2026-06-01T00:00:00Z");
    const later = new Date("2026-06-02T00:00:00Z");
    const earlier = new Date("2026-05-01T00:00:00Z");
    expect(invitationStatus({ acceptedAt: null, cancelledAt: null, expiresAt: later }, now)).toBe("pending");
    expect(invitationStatus({ acceptedAt: null, cancelledAt: null, expiresAt: now }, now)).toBe("expired");
    expect(invitationStatus({ acceptedAt: earlier, cancelledAt: null, expiresAt: earlier }, now)).toBe(
      "accepted",
    );
    expect(invitationStatus({ acceptedAt: null, cancelledAt: earlier, expiresAt: later }, now)).toBe(
      "cancelled",
    );
  });

  test("who may invite whom", () => {
    expect(invitableRoles("admin", null)).toEqual(["rssi", "analyst", "taskforce", "ars", "admin"]);
    expect(invitableRoles("analyst", null)).toEqual(["rssi"]);
    expect(invitableRoles("rssi", ID)).toEqual(["rssi"]);
    expect(invitableRoles("rssi", null)).toEqual([]);
    expect(invitableRoles("taskforce", null)).toEqual([]);
    expect(invitableRoles("ars", null)).toEqual([]);
  });
});
