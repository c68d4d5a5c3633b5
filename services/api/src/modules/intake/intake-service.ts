import { type Db, type DeclarationSettings, establishments, mailIntake, writeOutbox } from "@pris/db";
import {
  declarationFromMail,
  intakeAttachedMessage,
  QUARANTINE_REASON_LABELS,
  type QuarantinedMessage,
} from "@pris/domain";
import { and, count, desc, eq, isNull, sql } from "drizzle-orm";
import type { Principal } from "../../auth/principal.ts";
import { ConflictError, NotFoundError, ValidationError } from "../../errors.ts";
import { declareIncident } from "../incidents/incident-service.ts";

/** Quarantined, not reviewed, and not yet blanked by the retention (RETENTION_QUARANTINE_DAYS). */
const awaitingReview = and(
  eq(mailIntake.outcome, "quarantined"),
  isNull(mailIntake.review),
  isNull(mailIntake.purgedAt),
);

function toView(row: typeof mailIntake.$inferSelect): QuarantinedMessage {
  const reason = row.quarantineReason!;
  return {
    id: row.id,
    receivedAt: row.receivedAt.toISOString(),
    sentAt: row.sentAt?.toISOString() ?? null,
    from: row.fromAddress,
    fromName: row.fromName,
    subject: row.subject,
    reason,
    reasonLabel: QUARANTINE_REASON_LABELS[reason],
    size: row.size,
    text: row.bodyText,
    attachments: row.attachments,
    authentication: row.authentication,
  };
}

/** The messages the pole has to look at: quarantined and not reviewed yet, newest first. */
export async function listQuarantine(db: Db, limit: number) {
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(mailIntake)
      .where(awaitingReview)
      .orderBy(desc(mailIntake.receivedAt), desc(mailIntake.id))
      .limit(limit),
    db.select({ total: count() }).from(mailIntake).where(awaitingReview),
  ]);
  return { items: rows.map(toView), total: total?.total ?? 0 };
}

/** The quarantined message, locked for its review; 404 for any other id, 409 once reviewed or purged. */
async function lockQuarantined(tx: Db, id: string) {
  const [row] = await tx
    .select()
    .from(mailIntake)
    .where(and(eq(mailIntake.id, id), eq(mailIntake.outcome, "quarantined")))
    .for("update");
  if (!row) throw new NotFoundError("Quarantined message");
  if (row.review) {
    throw new ConflictError("already_reviewed", `The message was already ${row.review}`);
  }
  if (row.purgedAt) {
    throw new ConflictError(
      "quarantine_purged",
      "Le contenu de ce message a été effacé au terme de sa durée de conservation : il ne peut plus être rattaché.",
    );
  }
  return row;
}

/**
 * An analyst attaches a quarantined message to an establishment: it becomes a declaration "to
 * complete", declared by the analyst on the sender's behalf through the API's own declaration path,
 * in the same transaction as the review. Its channel is e-mail: that is how it came.
 */
export async function attachQuarantined(
  db: Db,
  settings: DeclarationSettings,
  principal: Principal,
  id: string,
  establishmentId: string,
  now = new Date(),
) {
  return db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    const row = await lockQuarantined(tx, id);
    const [establishment] = await tx
      .select()
      .from(establishments)
      .where(eq(establishments.id, establishmentId));
    if (!establishment?.active) {
      throw new ValidationError([{ field: "/establishmentId", message: "is not an active establishment" }]);
    }
    const declaration = declarationFromMail({
      declarant: {
        name: row.fromName || row.fromAddress || "Expéditeur inconnu",
        email: row.fromAddress,
        phone: "",
      },
      subject: row.subject,
      text: row.bodyText,
      at: now,
      sentAt: row.sentAt,
    });
    const result = await declareIncident(
      tx,
      settings,
      principal,
      establishment,
      declaration,
      "email",
      undefined,
      now,
    );
    if (result.replayed) throw new Error("a declaration without an Idempotency-Key cannot be a replay");
    await tx
      .update(mailIntake)
      .set({
        review: "attached",
        establishmentId,
        incidentId: result.incident.id,
        reviewedByUserId: principal.kind === "user" ? principal.id : null,
        reviewedAt: now,
      })
      .where(eq(mailIntake.id, id));
    // Its attachments were only recorded: the worker reads the message again and stores them now.
    if (row.attachments.length > 0) {
      await writeOutbox(tx, intakeAttachedMessage(result.incident.id, id));
    }
    return { incidentId: result.incident.id, reference: result.incident.reference };
  });
}

/** An analyst sets a quarantined message aside for good: kept, no longer listed. */
export async function discardQuarantined(db: Db, principal: Principal, id: string, now = new Date()) {
  await db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    await lockQuarantined(tx, id);
    await tx
      .update(mailIntake)
      .set({
        review: "discarded",
        reviewedByUserId: principal.kind === "user" ? principal.id : null,
        reviewedAt: sql`${now.toISOString()}::timestamptz`,
      })
      .where(eq(mailIntake.id, id));
  });
}
