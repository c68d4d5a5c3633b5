import {
  type AuditActor,
  type AuthMethod,
  type Db,
  enrolledMethods,
  listPasskeys,
  policyOf,
  recoveryCodeSummary,
  totpOf,
  users,
  writeAudit,
} from "@pris/db";
import { type MyFactors, type Role, type SecondFactorMethod, secondFactorRequiredNow } from "@pris/domain";
import { eq } from "drizzle-orm";
import type { FastifyRequest } from "fastify";
import { auditActor } from "../../audit.ts";
import { AppError } from "../../errors.ts";
import { currentSession, requireRecentCheck } from "./factor-session.ts";

/**
 * What sign-in asks after the password: "verify" when the person has a factor, "enrol" when their role
 * requires one now and they have none, nothing otherwise.
 */
export async function secondFactorStep(
  db: Db,
  user: { id: string; role: Role },
): Promise<{ secondFactor: "verify" | "enrol"; methods: SecondFactorMethod[] } | null> {
  const methods = await enrolledMethods(db, user.id);
  if (methods.includes("webauthn") || methods.includes("totp")) return { secondFactor: "verify", methods };
  if (secondFactorRequiredNow(await policyOf(db, user.role)))
    return { secondFactor: "enrol", methods: ["webauthn", "totp"] };
  // Recovery codes alone (their factor removed) still prove the person: asked for as a factor.
  if (methods.includes("recovery")) return { secondFactor: "verify", methods };
  return null;
}

export async function myFactors(db: Db, request: FastifyRequest): Promise<MyFactors> {
  const { user, session } = currentSession(request);
  const [passkeys, totp, codes, policy] = await Promise.all([
    listPasskeys(db, user.id),
    totpOf(db, user.id),
    recoveryCodeSummary(db, user.id),
    policyOf(db, user.role),
  ]);
  return {
    passkeys: passkeys.map((p) => ({
      id: p.id,
      name: p.name,
      createdAt: p.createdAt.toISOString(),
      lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
    })),
    totp: { enrolled: !!totp?.confirmedAt, confirmedAt: totp?.confirmedAt?.toISOString() ?? null },
    recoveryCodes: { remaining: codes.remaining, generatedAt: codes.generatedAt?.toISOString() ?? null },
    required: secondFactorRequiredNow(policy),
    requiredFrom: policy?.required && policy.requiredFrom ? policy.requiredFrom.toISOString() : null,
    pending: session.pending,
  };
}

/**
 * Who may add a factor: anyone signed in who has none yet (the enrolment at first sign-in, even while the
 * session is pending); once a factor exists, only a session that proved one in the last minutes, so that
 * a password alone (or a stolen cookie) never adds an attacker's factor.
 */
export async function guardEnrolment(db: Db, request: FastifyRequest): Promise<void> {
  const { user, session } = currentSession(request);
  const methods = await enrolledMethods(db, user.id);
  if (!methods.includes("webauthn") && !methods.includes("totp")) return;
  if (session.pending) {
    throw new AppError(403, "second_factor_required", "Forbidden", "Give your second factor first");
  }
  requireRecentCheck(request);
}

export async function userLabel(db: Db, userId: string): Promise<{ label: string; email: string } | null> {
  const [row] = await db
    .select({ email: users.email, displayName: users.displayName })
    .from(users)
    .where(eq(users.id, userId));
  return row ? { label: `${row.displayName} <${row.email}>`, email: row.email } : null;
}

/** A person's own factor change, in the trail. */
export async function auditOwn(
  db: Db,
  request: FastifyRequest,
  action: "mfa.enrol" | "mfa.remove" | "mfa.recovery_codes" | "mfa.failed",
  after: Record<string, unknown>,
): Promise<void> {
  const actor: AuditActor = auditActor(request);
  const who = await userLabel(db, actor.userId!);
  await db.transaction((tx) =>
    writeAudit(tx, actor, {
      action,
      objectKind: "user",
      objectId: actor.userId!,
      objectLabel: who?.label ?? actor.label,
      after,
    }),
  );
}

/** A wrong code or a passkey that is not this person's: one trail entry and a 401, nothing else. */
export async function refuse(
  db: Db,
  request: FastifyRequest,
  method: SecondFactorMethod,
  detail: string,
): Promise<never> {
  request.server.metrics.signInFailures.inc({ step: "second_factor" });
  await auditOwn(db, request, "mfa.failed", { method });
  throw new AppError(401, "second_factor_invalid", "Unauthorized", detail);
}

export const AMR_OF: Record<SecondFactorMethod, AuthMethod> = {
  webauthn: "webauthn",
  totp: "otp",
  recovery: "recovery",
};
