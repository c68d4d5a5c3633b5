import type { Config } from "@pris/config";
import { type AuditActor, type Db, endUserSessions, type Tx, users, writeAudit, writeOutbox } from "@pris/db";
import {
  PASSWORD_RESET_LINK_PROBLEMS,
  type PasswordChange,
  type PasswordResetLink,
  type PasswordResetLinkProblem,
} from "@pris/domain";
import { passwordFingerprint, verifyPasswordResetToken } from "@pris/domain/password-reset-token";
import { eq, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { enforcePasswordPolicy } from "../../auth/password-policy.ts";
import { hashPassword, verifyPassword } from "../../auth/passwords.ts";
import { checkUnderAnySecret } from "../../auth/tokens.ts";
import { AppError, UnauthorizedError, ValidationError } from "../../errors.ts";

type UserRow = typeof users.$inferSelect;

const labelOf = (user: UserRow) => `${user.displayName} (${user.email})`;

/**
 * A signed-in person changes their own password: the current one is asked again (a session left open
 * is not enough), the new one passes the policy, and every other session of theirs ends with it.
 */
export async function changeOwnPassword(
  db: Db,
  config: Config,
  actor: AuditActor,
  currentSessionId: string | undefined,
  body: PasswordChange,
): Promise<void> {
  if (!actor.userId) throw new UnauthorizedError();
  const [user] = await db.select().from(users).where(eq(users.id, actor.userId));
  if (!user?.active) throw new UnauthorizedError();
  if (!(await verifyPassword(user.passwordHash, body.currentPassword))) {
    throw new ValidationError(
      [{ field: "/currentPassword", message: "Le mot de passe actuel saisi est incorrect." }],
      "Le mot de passe actuel saisi est incorrect.",
    );
  }
  if (body.newPassword === body.currentPassword) {
    throw new ValidationError(
      [{ field: "/newPassword", message: "Le nouveau mot de passe doit être différent de l'actuel." }],
      "Le nouveau mot de passe doit être différent de l'actuel.",
    );
  }
  await enforcePasswordPolicy(config, body.newPassword, user, "/newPassword");
  const passwordHash = await hashPassword(body.newPassword);
  await db.transaction(async (tx) => {
    const now = new Date();
    await tx
      .update(users)
      .set({ passwordHash, passwordChangedAt: now, updatedAt: now })
      .where(eq(users.id, user.id));
    const sessionsEnded = await endUserSessions(tx, user.id, "password_change", currentSessionId);
    await writeAudit(tx, actor, {
      action: "user.password_change",
      objectKind: "user",
      objectId: user.id,
      objectLabel: labelOf(user),
      before: { passwordChangedAt: user.passwordChangedAt },
      after: { passwordChangedAt: now, sessionsEnded },
    });
  });
}

/**
 * Asks for a reset link. The same work whether the address has an account or not: one indexed read
 * and one outbox row, whose aggregate is the account or a fresh id the worker will not find. Whether
 * an e-mail goes out, and to whom, is decided off the request path.
 */
export async function requestPasswordReset(db: Db, config: Config, email: string): Promise<void> {
  const [user] = await db
    .select({ id: users.id })
    .from(users)
    .where(sql`lower(${users.email}) = ${email.toLowerCase()}`);
  const expiresAt = new Date(Date.now() + config.PASSWORD_RESET_TTL_MINUTES * 60_000).toISOString();
  await writeOutbox(db, {
    topic: "password.reset_requested",
    aggregateId: user?.id ?? uuidv7(),
    payload: { expiresAt },
  });
}

/** A reset link that cannot be used: not made by PRIS (404), or genuine but spent or lapsed (410). */
export class PasswordResetLinkError extends AppError {
  constructor(
    readonly reason: PasswordResetLinkProblem,
    /** The account of a genuine link, for the trail when someone tries to use it. */
    readonly user?: { id: string; email: string; displayName: string },
  ) {
    const invalid = reason === "reset_link_invalid";
    super(invalid ? 404 : 410, reason, invalid ? "Not found" : "Gone", PASSWORD_RESET_LINK_PROBLEMS[reason]);
  }
}

/** The account a genuine, unspent, unexpired link opens; locked when read by the reset itself. */
async function openResetLink(tx: Tx, config: Config, token: string, lock: boolean): Promise<UserRow> {
  const check = checkUnderAnySecret(config, (secret) => verifyPasswordResetToken(secret, token));
  if (!check.ok) throw new PasswordResetLinkError("reset_link_invalid");
  const query = tx.select().from(users).where(eq(users.id, check.userId));
  const [user] = lock ? await query.for("update") : await query;
  if (!user?.active) throw new PasswordResetLinkError("reset_link_invalid");
  // The password changed since the link was made: by this link, or otherwise.
  if (passwordFingerprint(check.secret, user) !== check.fingerprint) {
    throw new PasswordResetLinkError("reset_link_used", user);
  }
  if (check.expiresAt.getTime() <= Date.now()) throw new PasswordResetLinkError("reset_link_expired", user);
  return user;
}

/** Opening the link changes nothing: mail scanners open links too. */
export async function checkPasswordResetLink(
  db: Db,
  config: Config,
  token: string,
): Promise<PasswordResetLink> {
  const user = await openResetLink(db, config, token, false);
  const check = checkUnderAnySecret(config, (secret) => verifyPasswordResetToken(secret, token));
  return {
    email: user.email,
    displayName: user.displayName,
    expiresAt: (check.ok ? check.expiresAt : new Date()).toISOString(),
  };
}

/**
 * Sets the new password from a reset link: the link is spent by the change itself (its fingerprint no
 * longer matches), and every session of the person ends, whoever held them. The person acts here, so
 * the trail names them.
 */
export async function resetPassword(
  db: Db,
  config: Config,
  token: string,
  password: string,
  request: { id: string; ip: string },
): Promise<{ userId: string }> {
  const found = await openResetLink(db, config, token, false);
  await enforcePasswordPolicy(config, password, found);
  const passwordHash = await hashPassword(password);
  return db.transaction(async (tx) => {
    const user = await openResetLink(tx, config, token, true);
    const now = new Date();
    await tx
      .update(users)
      .set({ passwordHash, passwordChangedAt: now, updatedAt: now })
      .where(eq(users.id, user.id));
    const sessionsEnded = await endUserSessions(tx, user.id, "password_reset");
    const actor = { userId: user.id, label: user.displayName, requestId: request.id, ip: request.ip };
    await writeAudit(tx, actor, {
      action: "user.password_reset",
      objectKind: "user",
      objectId: user.id,
      objectLabel: labelOf(user),
      before: { passwordChangedAt: user.passwordChangedAt },
      after: { passwordChangedAt: now, sessionsEnded },
    });
    return { userId: user.id };
  });
}
