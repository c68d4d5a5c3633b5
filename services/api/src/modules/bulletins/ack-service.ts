import type { Config } from "@pris/config";
import { bulletinRecipients, bulletins, type Db, establishments } from "@pris/db";
import type { AckView, AnswerInput, BulletinAnswer, BulletinSummary, Tlp } from "@pris/domain";
import { verifyAckToken } from "@pris/domain/ack-token";
import { and, eq, sql } from "drizzle-orm";
import { checkUnderAnySecret } from "../../auth/tokens.ts";
import { AppError } from "../../errors.ts";

/** A link that was not made by PRIS (or was altered): nothing about any bulletin is revealed. */
export class InvalidLinkError extends AppError {
  constructor() {
    super(404, "invalid_link", "Not found", "This acknowledgement link is not valid");
  }
}

export class ExpiredLinkError extends AppError {
  constructor() {
    super(410, "link_expired", "Gone", "This acknowledgement link has expired");
  }
}

/** The recipient a genuine, unexpired link answers for, with its published, e-mailed bulletin. */
async function recipientOf(db: Db, config: Config, token: string) {
  const check = checkUnderAnySecret(config, (secret) => verifyAckToken(secret, token));
  if (!check.ok) throw check.reason === "expired" ? new ExpiredLinkError() : new InvalidLinkError();
  const [row] = await db
    .select({ recipient: bulletinRecipients, bulletin: bulletins, establishment: establishments.name })
    .from(bulletinRecipients)
    .innerJoin(bulletins, eq(bulletins.id, bulletinRecipients.bulletinId))
    .innerJoin(establishments, eq(establishments.id, bulletinRecipients.establishmentId))
    .where(
      and(
        eq(bulletinRecipients.id, check.recipientId),
        eq(bulletins.status, "published"),
        sql`${bulletins.tlp} <> 'RED'`,
      ),
    );
  if (!row) throw new InvalidLinkError();
  return { ...row, expiresAt: check.expiresAt };
}

function view(row: Awaited<ReturnType<typeof recipientOf>>): AckView {
  const { bulletin, recipient } = row;
  return {
    reference: bulletin.reference!,
    kind: bulletin.kind as BulletinSummary["kind"],
    title: bulletin.title,
    severity: bulletin.severity as BulletinSummary["severity"],
    tlp: bulletin.tlp as Tlp,
    revision: bulletin.revision,
    summary: bulletin.summary,
    recommendations: bulletin.recommendations,
    recipientName: recipient.name,
    establishment: row.establishment,
    answer: recipient.answer as BulletinAnswer | null,
    answeredAt: recipient.answeredAt?.toISOString() ?? null,
    expiresAt: row.expiresAt.toISOString(),
  };
}

/** Reading the link changes nothing: mail scanners open links, and that is not the recipient reading. */
export async function ackView(db: Db, config: Config, token: string): Promise<AckView> {
  return view(await recipientOf(db, config, token));
}

export async function ackAnswer(db: Db, config: Config, token: string, input: AnswerInput): Promise<AckView> {
  const row = await recipientOf(db, config, token);
  const now = new Date();
  const [updated] = await db
    .update(bulletinRecipients)
    .set({
      answer: input.answer,
      answeredAt: now,
      readAt: sql`COALESCE(${bulletinRecipients.readAt}, ${now})`,
    })
    .where(eq(bulletinRecipients.id, row.recipient.id))
    .returning();
  return view({ ...row, recipient: updated! });
}
