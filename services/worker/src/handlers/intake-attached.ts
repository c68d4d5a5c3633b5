import { incidents, mailIntake, writeOutbox } from "@pris/db";
import { type IntakeAttachedPayload, incidentMessage, type OutboxJob } from "@pris/domain";
import { eq } from "drizzle-orm";
import { ImapFlow } from "imapflow";
import type { WorkerContext } from "../context.ts";
import { attachmentsOf, storeAttachments } from "../intake/intake-effects.ts";
import { readMessage } from "../intake/message.ts";
import { markProcessed } from "./outbox-row.ts";

export interface IntakeAttachedResult {
  status: "done" | "already-processed" | "not-attached" | "gone";
  stored: number;
}

/**
 * The message's bytes, read again from the intake mailbox (the intake only flags messages \Seen, it
 * never moves them): by its UID while the folder's UIDVALIDITY is the same, else by its Message-ID.
 */
async function fetchAgain(
  ctx: WorkerContext,
  place: { mailbox: string; uidValidity: number; uid: number; messageId: string },
): Promise<Buffer | null> {
  const url = new URL(ctx.config.INTAKE_IMAP_URL);
  const client = new ImapFlow({
    host: url.hostname,
    port: Number(url.port) || (url.protocol === "imaps:" ? 993 : 143),
    secure: url.protocol === "imaps:",
    auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) },
    logger: false,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 60_000,
  });
  client.on("error", (err) => ctx.logger.warn({ err }, "intake mailbox connection error"));
  await client.connect();
  try {
    const box = await client.mailboxOpen(place.mailbox, { readOnly: true });
    let uid: number | undefined = place.uid;
    if (Number(box.uidValidity) !== place.uidValidity) {
      const found = (await client.search({ header: { "message-id": place.messageId } }, { uid: true })) || [];
      uid = found[0];
    }
    if (uid === undefined) return null;
    const fetched = await client.fetchOne(String(uid), { source: true }, { uid: true });
    return fetched === false || !fetched.source ? null : fetched.source;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/**
 * A quarantined message the pole attached to an establishment: its attachments, only recorded while it
 * sat in quarantine, become evidence files of the incident it became, as a declaring message's do
 * (storeAttachments: the same store, scan, chain and quarantine notice). Each stored one is named on
 * the message's row, so that a replay stores nothing twice. The entries' author is the analyst who
 * attached it. A message no longer in the mailbox leaves its attachments recorded only, said so in the
 * outbox row.
 */
export async function handleIntakeAttached(
  ctx: WorkerContext,
  job: OutboxJob,
  { mailIntakeId }: IntakeAttachedPayload,
): Promise<IntakeAttachedResult> {
  const [row] = await ctx.db.select().from(mailIntake).where(eq(mailIntake.id, mailIntakeId));
  if (!row?.incidentId || row.review !== "attached") {
    await markProcessed(ctx, job.outboxId, "message not attached to an incident");
    return { status: "not-attached", stored: 0 };
  }
  if (!row.attachments.some((a) => !a.evidenceFileId && !a.refused)) {
    await markProcessed(ctx, job.outboxId, null);
    return { status: "already-processed", stored: 0 };
  }
  const raw = await fetchAgain(ctx, row);
  if (!raw) {
    ctx.logger.warn(
      { mailIntakeId },
      "attached message no longer in the intake mailbox; attachments not stored",
    );
    await markProcessed(ctx, job.outboxId, "message no longer in the mailbox: attachments recorded only");
    return { status: "gone", stored: 0 };
  }
  const message = await readMessage(raw);
  const incidentId = row.incidentId;
  const stored = await ctx.db.transaction(async (tx) => {
    const [locked] = await tx.select().from(mailIntake).where(eq(mailIntake.id, mailIntakeId)).for("update");
    await tx.select({ id: incidents.id }).from(incidents).where(eq(incidents.id, incidentId)).for("update");
    // Those stored by a previous attempt keep their file.
    const done = new Map(
      (locked?.attachments ?? []).filter((a) => a.evidenceFileId).map((a) => [a.sha256, a.evidenceFileId]),
    );
    const attachments = attachmentsOf(ctx, message).map((a) =>
      done.has(a.sha256) ? { ...a, evidenceFileId: done.get(a.sha256) } : a,
    );
    const at = new Date();
    const recorded = await storeAttachments(ctx, tx, {
      incidentId,
      mailIntakeId,
      userId: locked?.reviewedByUserId ?? null,
      message,
      attachments,
      at,
    });
    await tx.update(incidents).set({ updatedAt: at }).where(eq(incidents.id, incidentId));
    await writeOutbox(tx, incidentMessage("incident.changed", incidentId));
    return recorded.filter((a) => a.evidenceFileId && !done.has(a.sha256)).length;
  });
  await markProcessed(ctx, job.outboxId, null);
  return { status: "done", stored };
}
