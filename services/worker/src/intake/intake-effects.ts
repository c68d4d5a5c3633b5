import { mailDomain } from "@pris/config";
import {
  appendLogEntry,
  establishments,
  type IntakeAttachment,
  type IntakeAuthentication,
  incidents,
  mailDeliveries,
  mailIntake,
  type QuarantineReason,
  receiveEvidence,
  recordEvidence,
  type Tx,
  writeOutbox,
} from "@pris/db";
import { displayFileName, incidentMessage } from "@pris/domain";
import { eq, sql } from "drizzle-orm";
import type { WorkerContext } from "../context.ts";
import { authenticationVerdict } from "./authentication.ts";
import { declareByMail } from "./declare-by-mail.ts";
import type { IntakeMessage } from "./message.ts";

/** Where a message sits in the mailbox: its folder, the folder's UIDVALIDITY and its UID. */
export interface MailboxPlace {
  mailbox: string;
  uidValidity: number;
  uid: number;
}

export type IntakeOutcome =
  | { outcome: "declared"; incidentId: string; reference: string }
  | { outcome: "replied"; incidentId: string; logEntryId: string }
  | { outcome: "quarantined"; reason: QuarantineReason }
  /** Its row was there already: processed before (a crash before the \Seen flag, a copy). */
  | { outcome: "already-processed" };

/** Who a sender is to the directory: the RSSI account it belongs to, and the establishments it speaks for. */
interface Sender {
  userId: string | null;
  displayName: string | null;
  phone: string | null;
  establishmentIds: string[];
}

/**
 * The establishments an address speaks for: those that name it among their contacts (RSSI, deputy,
 * director, DPO, functional mailbox), and those of the active RSSI account with that e-mail (its own,
 * or every one of its GHT).
 */
async function findSender(tx: Tx, address: string): Promise<Sender> {
  const { rows } = await tx.execute<{
    establishment_id: string;
    user_id: string | null;
    display_name: string | null;
    phone: string | null;
  }>(sql`
    WITH account AS (
      SELECT id, display_name, phone, establishment_id, ght_id FROM users
      WHERE active AND role = 'rssi' AND lower(email) = ${address}
    )
    SELECT e.id AS establishment_id, a.id AS user_id, a.display_name, a.phone
    FROM account a JOIN establishments e
      ON e.active AND (e.id = a.establishment_id OR (a.establishment_id IS NULL AND e.ght_id = a.ght_id))
    UNION
    SELECT e.id, NULL, NULL, NULL FROM establishments e
    WHERE e.active AND ${address} IN (
      lower(e.contacts -> 'rssi' ->> 'email'), lower(e.contacts -> 'deputy' ->> 'email'),
      lower(e.contacts -> 'director' ->> 'email'), lower(e.contacts -> 'dpo' ->> 'email'),
      lower(e.contacts ->> 'functionalMailbox')
    )
  `);
  const account = rows.find((r) => r.user_id !== null);
  return {
    userId: account?.user_id ?? null,
    displayName: account?.display_name ?? null,
    phone: account?.phone ?? null,
    establishmentIds: [...new Set(rows.map((r) => r.establishment_id))],
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The incident a message answers: one whose reference is in the subject, or whose e-mail (a delivery
 * of the service: the declaration's acknowledgement, a message of the pole…) it replies to.
 * Undefined when it answers none.
 */
async function answeredIncident(
  tx: Tx,
  regionCode: string,
  message: IntakeMessage,
): Promise<{ id: string; establishmentId: string } | undefined> {
  const references = message.subject.match(
    new RegExp(`\\b${escapeRegExp(regionCode)}-\\d{4}-\\d{3,}\\b`, "g"),
  );
  if (references) {
    const [found] = await tx
      .select({ id: incidents.id, establishmentId: incidents.establishmentId })
      .from(incidents)
      .where(sql`${incidents.reference} = ANY(${sql.param(references)}::text[])`)
      .limit(1);
    if (found) return found;
  }
  if (message.answers.length === 0) return undefined;
  // A delivery's subject is its incident, or a main-courante entry of it (the pole's shared message).
  const { rows } = await tx.execute<{ id: string; establishment_id: string }>(sql`
    WITH subjects AS (
      SELECT DISTINCT subject_id FROM mail_deliveries
      WHERE message_id = ANY(${sql.param(message.answers)}::text[])
    )
    SELECT i.id, i.establishment_id FROM incidents i
    WHERE i.id IN (SELECT subject_id FROM subjects)
       OR i.id IN (SELECT l.incident_id FROM incident_log l WHERE l.id IN (SELECT subject_id FROM subjects))
    LIMIT 1
  `);
  return rows[0] && { id: rows[0].id, establishmentId: rows[0].establishment_id };
}

/** The acknowledgement's Message-ID: one per declaration, whoever sends it and however often. */
export function intakeAcknowledgedMessageId(incidentId: string, domain: string): string {
  return `<intake-acknowledged.${incidentId}@${domain}>`;
}

/** A Buffer streamed in the chunks an upload would come in, so that the store and clamd see the same flow. */
async function* chunksOf(content: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let at = 0; at < content.length; at += size) yield content.subarray(at, at + size);
}

/** The attachments as the entries record them: one over EVIDENCE_MAX_BYTES marked refused, unread. */
export function attachmentsOf(ctx: WorkerContext, message: IntakeMessage): IntakeAttachment[] {
  return message.attachments.map((a, i) =>
    (message.contents[i]?.length ?? a.size) > ctx.evidence.maxBytes ? { ...a, refused: "too_large" } : a,
  );
}

/**
 * A declaring or answering message's attachments become evidence files of its incident, as an upload
 * does: each streamed from its Buffer to the store and to clamd at once, its type told from its bytes,
 * its name cleaned, then its row and its evidence_added entry (hash chain) written in the intake's
 * transaction, which holds the incident's row lock; an infected or unscannable one is announced to the
 * pole. The uploader is the message (its mail_intake row), the entry's author the RSSI account that
 * wrote, if the sender is one. The bytes are stored before the commit: a transaction that rolls back
 * afterwards leaves them orphaned in the store (no row names them; the message is read again).
 */
export async function storeAttachments(
  ctx: WorkerContext,
  tx: Tx,
  input: {
    incidentId: string;
    mailIntakeId: string;
    userId: string | null;
    message: IntakeMessage;
    attachments: IntakeAttachment[];
    at: Date;
  },
): Promise<IntakeAttachment[]> {
  const recorded: IntakeAttachment[] = [];
  for (const [i, attachment] of input.attachments.entries()) {
    const content = input.message.contents[i];
    if (attachment.refused || attachment.evidenceFileId || !content) {
      recorded.push(attachment);
      continue;
    }
    const received = await receiveEvidence(ctx.evidence, chunksOf(content));
    await recordEvidence(tx, {
      incidentId: input.incidentId,
      received,
      name: displayFileName(attachment.name),
      declaredMime: attachment.contentType.replace(/[^\x21-\x7e]/g, "").slice(0, 100) || null,
      uploader: { mailIntakeId: input.mailIntakeId },
      actor: { actorUserId: input.userId },
      entryBody: { channel: "email", from: input.message.fromAddress, messageId: input.message.messageId },
      at: input.at,
    });
    recorded.push({ ...attachment, evidenceFileId: received.id });
  }
  if (input.attachments.length > 0) {
    await tx.update(mailIntake).set({ attachments: recorded }).where(eq(mailIntake.id, input.mailIntakeId));
  }
  return recorded;
}

/**
 * Processes one message in one transaction: its mail_intake row first (unique by Message-ID and by
 * place in the mailbox: a message processed before stops here), then its effect — a declaration and
 * its acknowledgement, an entry in the main courante it answers, or the quarantine, which is the row
 * itself. The caller flags the message \Seen only once this has committed.
 */
export async function processMessage(
  ctx: WorkerContext,
  place: MailboxPlace,
  message: IntakeMessage,
  size: number,
): Promise<IntakeOutcome> {
  const { config } = ctx;
  const verdict = authenticationVerdict(message.authenticationResults, {
    authservId: config.INTAKE_AUTHSERV_ID,
    required: config.INTAKE_REQUIRE_AUTHENTICATION,
  });
  const attachments = attachmentsOf(ctx, message);
  const result = await ctx.db.transaction(async (tx): Promise<IntakeOutcome> => {
    const base = {
      messageId: message.messageId,
      ...place,
      fromAddress: message.fromAddress,
      fromName: message.fromName,
      subject: message.subject.slice(0, 998),
      sentAt: message.sentAt,
      size,
      bodyText: message.text,
      attachments,
      authentication: verdict.results,
    };
    const quarantine = async (reason: QuarantineReason): Promise<IntakeOutcome> => {
      const inserted = await tx
        .insert(mailIntake)
        .values({ ...base, outcome: "quarantined", quarantineReason: reason })
        .onConflictDoNothing()
        .returning({ id: mailIntake.id });
      return inserted.length > 0 ? { outcome: "quarantined", reason } : { outcome: "already-processed" };
    };
    if (await alreadyProcessed(tx, message.messageId, place)) return { outcome: "already-processed" };
    if (verdict.failure) return quarantine("authentication_failed");
    if (!message.fromAddress) return quarantine("unknown_sender");
    const sender = await findSender(tx, message.fromAddress);
    const answered = await answeredIncident(tx, config.REGION_CODE, message);
    if (answered) {
      // A reference the sender may not speak for attaches to nothing: not even a hint that it exists.
      if (sender.establishmentIds.length === 0) return quarantine("unknown_sender");
      if (!sender.establishmentIds.includes(answered.establishmentId)) return quarantine("forged_reference");
      const [row] = await tx
        .insert(mailIntake)
        .values({
          ...base,
          outcome: "replied",
          incidentId: answered.id,
          establishmentId: answered.establishmentId,
        })
        .onConflictDoNothing()
        .returning({ id: mailIntake.id });
      if (!row) return { outcome: "already-processed" };
      await tx
        .select({ id: incidents.id })
        .from(incidents)
        .where(eq(incidents.id, answered.id))
        .for("update");
      const now = new Date();
      const entry = await appendLogEntry(tx, {
        incidentId: answered.id,
        kind: "comment",
        visibility: "shared",
        body: {
          text: message.text,
          channel: "email",
          from: message.fromAddress,
          subject: message.subject,
          messageId: message.messageId,
          attachments,
        },
        actorUserId: sender.userId,
        at: now,
      });
      await storeAttachments(ctx, tx, {
        incidentId: answered.id,
        mailIntakeId: row.id,
        userId: sender.userId,
        message,
        attachments,
        at: now,
      });
      // Touching the row announces it on the analysts' live feed (the incidents trigger); the outbox
      // row lets the worker re-plan the incident's timers, as for an entry written in the page.
      await tx.update(incidents).set({ updatedAt: now }).where(eq(incidents.id, answered.id));
      await writeOutbox(tx, incidentMessage("incident.changed", answered.id));
      await tx.update(mailIntake).set({ logEntryId: entry.id }).where(eq(mailIntake.id, row.id));
      return { outcome: "replied", incidentId: answered.id, logEntryId: entry.id };
    }
    if (sender.establishmentIds.length === 0) return quarantine("unknown_sender");
    if (message.automatic) return quarantine("automatic");
    if (sender.establishmentIds.length > 1) return quarantine("ambiguous_sender");
    const [establishment] = await tx
      .select()
      .from(establishments)
      .where(eq(establishments.id, sender.establishmentIds[0]!));
    const [row] = await tx
      .insert(mailIntake)
      .values({ ...base, outcome: "declared", establishmentId: establishment!.id })
      .onConflictDoNothing()
      .returning({ id: mailIntake.id });
    if (!row) return { outcome: "already-processed" };
    const declared = await declareByMail(tx, config, {
      establishment: establishment!,
      declarant: {
        name: (sender.displayName ?? message.fromName ?? message.fromAddress).slice(0, 200),
        email: message.fromAddress,
        phone: sender.phone ?? "",
      },
      userId: sender.userId,
      subject: message.subject,
      text: message.text,
      message: { from: message.fromAddress, messageId: message.messageId, attachments },
      at: new Date(),
      sentAt: message.sentAt,
    });
    await storeAttachments(ctx, tx, {
      incidentId: declared.incidentId,
      mailIntakeId: row.id,
      userId: sender.userId,
      message,
      attachments,
      at: new Date(),
    });
    await tx
      .update(mailIntake)
      .set({ incidentId: declared.incidentId, logEntryId: declared.logEntryId })
      .where(eq(mailIntake.id, row.id));
    // The acknowledgement goes through the delivery fan-out like the pole's own e-mails.
    await tx
      .insert(mailDeliveries)
      .values({
        dedupeKey: `intake.acknowledged:${row.id}`,
        template: "intake-acknowledged",
        subjectId: declared.incidentId,
        userId: sender.userId,
        toAddress: message.fromAddress,
        messageId: intakeAcknowledgedMessageId(declared.incidentId, mailDomain(config)),
      })
      .onConflictDoNothing({ target: mailDeliveries.dedupeKey });
    return { outcome: "declared", incidentId: declared.incidentId, reference: declared.reference };
  });
  if (result.outcome === "declared") ctx.wakeDeliveryFanout();
  return result;
}

/** A message too large to read is quarantined on what the server says of it, unread. */
export async function quarantineUnread(
  ctx: WorkerContext,
  place: MailboxPlace,
  summary: {
    messageId: string;
    fromAddress: string | null;
    fromName: string | null;
    subject: string;
    sentAt: Date | null;
    size: number;
  },
  reason: QuarantineReason,
): Promise<IntakeOutcome> {
  return ctx.db.transaction(async (tx) => {
    if (await alreadyProcessed(tx, summary.messageId, place)) return { outcome: "already-processed" };
    const inserted = await tx
      .insert(mailIntake)
      .values({
        ...summary,
        subject: summary.subject.slice(0, 998),
        ...place,
        outcome: "quarantined",
        quarantineReason: reason,
      })
      .onConflictDoNothing()
      .returning({ id: mailIntake.id });
    return inserted.length > 0 ? { outcome: "quarantined", reason } : { outcome: "already-processed" };
  });
}

async function alreadyProcessed(tx: Tx, messageId: string, place: MailboxPlace): Promise<boolean> {
  const { rows } = await tx.execute(sql`
    SELECT 1 FROM mail_intake
    WHERE message_id = ${messageId}
       OR (mailbox = ${place.mailbox} AND uid_validity = ${place.uidValidity} AND uid = ${place.uid})
    LIMIT 1
  `);
  return rows.length > 0;
}

export type { IntakeAuthentication };
