import type { Config } from "@pris/config";
import { type Db, establishments, ghts, invitations, type Tx, users, writeAudit } from "@pris/db";
import {
  INVITATION_LINK_PROBLEMS,
  type InvitationLink,
  type InvitationLinkProblem,
  invitationStatus,
  type Role,
} from "@pris/domain";
import { verifyInvitationToken } from "@pris/domain/invitation-token";
import { eq } from "drizzle-orm";
import { enforcePasswordPolicy } from "../../auth/password-policy.ts";
import { hashPassword } from "../../auth/passwords.ts";
import { checkUnderAnySecret } from "../../auth/tokens.ts";
import { AppError, ConflictError } from "../../errors.ts";
import { accountExists } from "./invitation-service.ts";

/**
 * A link that cannot be used, saying why in French for the page the invitee opened: not made by PRIS
 * (404, nothing revealed), or one that was genuine but is no longer good (410).
 */
export class InvitationLinkError extends AppError {
  constructor(
    readonly reason: InvitationLinkProblem,
    /** The invitation of a genuine link, for the trail when someone tries to use it. */
    readonly invitation?: { id: string; email: string },
  ) {
    const invalid = reason === "invalid_link";
    super(invalid ? 404 : 410, reason, invalid ? "Not found" : "Gone", INVITATION_LINK_PROBLEMS[reason]);
  }
}

/** The invitation a genuine, still good link opens, locked when read in a transaction that will accept it. */
async function openLink(tx: Tx, config: Config, token: string, lock: boolean) {
  const check = checkUnderAnySecret(config, (secret) => verifyInvitationToken(secret, token));
  if (!check.ok) throw new InvitationLinkError("invalid_link");
  const query = tx
    .select({
      invitation: invitations,
      establishmentName: establishments.name,
      ghtName: ghts.name,
    })
    .from(invitations)
    .leftJoin(establishments, eq(establishments.id, invitations.establishmentId))
    .leftJoin(ghts, eq(ghts.id, invitations.ghtId))
    .where(eq(invitations.id, check.invitationId));
  const [row] = lock ? await query.for("update", { of: invitations }) : await query;
  if (!row) throw new InvitationLinkError("invalid_link");
  const { invitation } = row;
  const now = new Date();
  switch (invitationStatus(invitation, now)) {
    case "accepted":
      throw new InvitationLinkError("invitation_used", invitation);
    case "cancelled":
      throw new InvitationLinkError("invitation_cancelled", invitation);
    default:
  }
  if (invitation.sendCount !== check.sendCount)
    throw new InvitationLinkError("invitation_superseded", invitation);
  if (Math.min(invitation.expiresAt.getTime(), check.expiresAt.getTime()) <= now.getTime()) {
    throw new InvitationLinkError("invitation_expired", invitation);
  }
  return row;
}

/** Opening the link changes nothing: mail scanners open links too. */
export async function checkInvitationLink(db: Db, config: Config, token: string): Promise<InvitationLink> {
  const { invitation, establishmentName, ghtName } = await openLink(db, config, token, false);
  return {
    email: invitation.email,
    displayName: invitation.displayName,
    role: invitation.role as Role,
    establishmentName,
    ghtName,
    expiresAt: invitation.expiresAt.toISOString(),
  };
}

/**
 * The invitee's account, created with the password they chose, in one transaction with the invitation
 * marked accepted and both trail entries: the link works once. The person acts here, so the trail
 * names them.
 */
export async function acceptInvitation(
  db: Db,
  config: Config,
  token: string,
  password: string,
  request: { id: string; ip: string },
): Promise<{ userId: string }> {
  // Refused links are refused before the policy and the (deliberately slow) hash; checked again under the lock.
  const { invitation: invited } = await openLink(db, config, token, false);
  await enforcePasswordPolicy(config, password, invited);
  const passwordHash = await hashPassword(password);
  return db.transaction(async (tx) => {
    const { invitation } = await openLink(tx, config, token, true);
    if (await accountExists(tx, invitation.email)) {
      throw new ConflictError("email_taken", "An account with this e-mail exists: sign in instead");
    }
    const now = new Date();
    const [user] = await tx
      .insert(users)
      .values({
        email: invitation.email.toLowerCase(),
        displayName: invitation.displayName,
        role: invitation.role,
        establishmentId: invitation.establishmentId,
        ghtId: invitation.ghtId,
        passwordHash,
        passwordChangedAt: now,
        lastLoginAt: now,
      })
      .onConflictDoNothing()
      .returning();
    if (!user) throw new ConflictError("email_taken", "An account with this e-mail exists: sign in instead");
    await tx
      .update(invitations)
      .set({ acceptedAt: now, userId: user!.id })
      .where(eq(invitations.id, invitation.id));
    const actor = { userId: user!.id, label: user!.displayName, requestId: request.id, ip: request.ip };
    await writeAudit(tx, actor, {
      action: "invitation.accept",
      objectKind: "invitation",
      objectId: invitation.id,
      objectLabel: invitation.email,
      before: { acceptedAt: null, userId: null },
      after: { acceptedAt: now, userId: user!.id },
    });
    await writeAudit(tx, actor, {
      action: "user.create",
      objectKind: "user",
      objectId: user!.id,
      objectLabel: user!.email,
      after: {
        email: user!.email,
        displayName: user!.displayName,
        role: user!.role,
        establishmentId: user!.establishmentId,
        ghtId: user!.ghtId,
        active: true,
        invitationId: invitation.id,
      },
    });
    return { userId: user!.id };
  });
}
