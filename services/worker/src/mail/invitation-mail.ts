import type { Config } from "@pris/config";
import { establishments, ghts, invitations, type Tx, users } from "@pris/db";
import { ROLE_LABELS, type Role } from "@pris/domain";
import { signInvitationToken } from "@pris/domain/invitation-token";
import { and, eq, isNull } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { poleContact, type RenderedMail, renderInvitation } from "./templates.ts";

/** "lundi 14 décembre 2026 à 10:30", in the region's zone. */
export function frenchDateTime(at: Date, timeZone: string): string {
  const day = new Intl.DateTimeFormat("fr-FR", { dateStyle: "full", timeZone }).format(at);
  const time = new Intl.DateTimeFormat("fr-FR", { timeStyle: "short", timeZone }).format(at);
  return `${day} à ${time}`;
}

export function invitationLink(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/invitation/${token}`;
}

const inviters = alias(users, "inviter");

/**
 * The invitation e-mail, from the invitation as it is when sent: its current link (signed for its send
 * count) and expiry. A closed invitation (accepted or cancelled since) renders nothing and is not sent.
 */
export async function renderInvitationMail(
  tx: Tx,
  config: Config,
  invitationId: string,
): Promise<RenderedMail | undefined> {
  const [row] = await tx
    .select({
      invitation: invitations,
      inviterName: inviters.displayName,
      establishmentName: establishments.name,
      ghtName: ghts.name,
    })
    .from(invitations)
    .leftJoin(inviters, eq(inviters.id, invitations.invitedByUserId))
    .leftJoin(establishments, eq(establishments.id, invitations.establishmentId))
    .leftJoin(ghts, eq(ghts.id, invitations.ghtId))
    .where(
      and(eq(invitations.id, invitationId), isNull(invitations.acceptedAt), isNull(invitations.cancelledAt)),
    );
  if (!row) return undefined;
  const { invitation } = row;
  const token = signInvitationToken(config.JWT_SECRET, invitation);
  return renderInvitation(
    {
      regionName: config.REGION_NAME,
      displayName: invitation.displayName,
      inviterName: row.inviterName ?? "L'équipe PRIS",
      roleLabel: ROLE_LABELS[invitation.role as Role] ?? invitation.role,
      establishmentName: row.establishmentName,
      ghtName: row.ghtName,
      email: invitation.email,
      link: invitationLink(config.PUBLIC_URL, token),
      expiresOn: frenchDateTime(invitation.expiresAt, config.REGION_TIMEZONE),
    },
    invitation.role === "rssi" ? poleContact(config) : undefined,
  );
}
