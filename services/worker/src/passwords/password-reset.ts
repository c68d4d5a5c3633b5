import { type Config, mailDomain } from "@pris/config";
import { mailDeliveries, outbox, type Tx, users } from "@pris/db";
import type { OutboxJob, OutboxPayload } from "@pris/domain";
import { signPasswordResetToken } from "@pris/domain/password-reset-token";
import { and, count, eq, gt, ne } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { markProcessed } from "../handlers/outbox-row.ts";
import { frenchDateTime } from "../mail/invitation-mail.ts";
import { poleContact, type RenderedMail, renderPasswordReset } from "../mail/templates.ts";
import { enqueueOwedDeliveries } from "../queues.ts";

/**
 * An account gets at most this many reset e-mails an hour, whatever the API replicas and their own
 * throttles: asking for links again and again does not flood a person's mailbox.
 */
export const PASSWORD_RESET_MAILS_PER_HOUR = 3;

export interface PasswordResetRequestedResult {
  status: "done" | "no-account" | "expired" | "throttled";
}

/**
 * Someone asked for a reset link: one delivery row (keyed by the request) to an active account's own
 * address, then its send-mail job. An address without an account gets nothing, and nobody is told.
 * The delivery carries no link: it is signed from the account as it is when the e-mail is sent.
 */
export async function handlePasswordResetRequested(
  ctx: WorkerContext,
  job: OutboxJob,
  payload: OutboxPayload<"password.reset_requested">,
): Promise<PasswordResetRequestedResult> {
  const { db, config, queues, tuning } = ctx;
  const [user] = await db.select().from(users).where(eq(users.id, job.aggregateId));
  if (!user?.active) {
    await markProcessed(ctx, job.outboxId, "no active account for this reset request");
    return { status: "no-account" };
  }
  if (new Date(payload.expiresAt).getTime() <= Date.now()) {
    await markProcessed(ctx, job.outboxId, "reset request expired before its e-mail");
    return { status: "expired" };
  }
  const key = `password-reset:${job.outboxId}`;
  // Under the account's lock: requests handled side by side count each other's e-mails.
  const owed = await db.transaction(async (tx) => {
    await tx.select({ id: users.id }).from(users).where(eq(users.id, user.id)).for("update");
    const [recent] = await tx
      .select({ n: count() })
      .from(mailDeliveries)
      .where(
        and(
          eq(mailDeliveries.template, "password-reset"),
          eq(mailDeliveries.userId, user.id),
          gt(mailDeliveries.createdAt, new Date(Date.now() - 3600_000)),
          ne(mailDeliveries.dedupeKey, key),
        ),
      );
    if ((recent?.n ?? 0) >= PASSWORD_RESET_MAILS_PER_HOUR) return false;
    await tx
      .insert(mailDeliveries)
      .values({
        dedupeKey: key,
        template: "password-reset",
        subjectId: job.outboxId,
        userId: user.id,
        toAddress: user.email,
        messageId: `<password-reset.${job.outboxId}@${mailDomain(config)}>`,
      })
      .onConflictDoNothing({ target: mailDeliveries.dedupeKey });
    return true;
  });
  if (!owed) {
    await markProcessed(ctx, job.outboxId, "too many reset e-mails to this account in the last hour");
    return { status: "throttled" };
  }
  await enqueueOwedDeliveries(db, queues.sendMail, [key], tuning);
  await markProcessed(ctx, job.outboxId, null);
  return { status: "done" };
}

export function passwordResetLink(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/mot-de-passe/${token}`;
}

/**
 * The reset e-mail, from the request (its expiry) and the account as they are when sent. Nothing is
 * sent for an account deactivated since, or a request whose link would already have expired.
 */
export async function renderPasswordResetMail(
  tx: Tx,
  config: Config,
  delivery: { subjectId: string; userId: string | null },
): Promise<RenderedMail | undefined> {
  if (!delivery.userId) return undefined;
  const [request] = await tx
    .select({ payload: outbox.payload })
    .from(outbox)
    .where(eq(outbox.id, delivery.subjectId));
  const expiresText = request?.payload.expiresAt;
  if (typeof expiresText !== "string") return undefined;
  const expiresAt = new Date(expiresText);
  if (!(expiresAt.getTime() > Date.now())) return undefined;
  const [user] = await tx.select().from(users).where(eq(users.id, delivery.userId));
  if (!user?.active) return undefined;
  const token = signPasswordResetToken(config.JWT_SECRET, user, expiresAt);
  return renderPasswordReset(
    {
      regionName: config.REGION_NAME,
      displayName: user.displayName,
      email: user.email,
      link: passwordResetLink(config.PUBLIC_URL, token),
      minutes: config.PASSWORD_RESET_TTL_MINUTES,
      expiresOn: frenchDateTime(expiresAt, config.REGION_TIMEZONE),
    },
    user.role === "rssi" ? poleContact(config) : undefined,
  );
}
