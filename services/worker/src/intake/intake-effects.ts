import { mailDomain } from "@pris/config";
import {
  appendLogEntry,
  establishments,
  type IntakeAttachment,
  type IntakeAuthentication,
  incidents,
  mailIntake,
  type QuarantineReason,
  receiveEvidence,
  recordEvidence,
  type Tx,
  writeOutbox,
} from "@pris/db";
import { displayFileName, incidentMessage } from "@pris/domain";
import { eq, type SQL, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
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

/** A message of the mailbox ready for its effect: parsed, or to be quarantined on what the server says. */
export type IntakeItem =
  | { place: MailboxPlace; size: number; message: IntakeMessage }
  | { place: MailboxPlace; size: number; unread: UnreadSummary; reason: QuarantineReason };

export interface UnreadSummary {
  messageId: string;
  fromAddress: string | null;
  fromName: string | null;
  subject: string;
  sentAt: Date | null;
  size: number;
}

/**
 * What the messages of one transaction look up once: the Message-IDs and places already recorded (read
 * in one statement for the whole batch, then kept up to date as its rows are written), the senders and
 * their establishments. Only the reader (one at a time, by its lock) writes mail_intake rows, so what
 * was read at the start of the batch stays true; the unique keys remain the last word.
 */
interface BatchLookups {
  messageIds: Set<string>;
  uids: Set<number>;
  senders: Map<string, Sender>;
  establishments: Map<string, typeof establishments.$inferSelect>;
}

function itemMessageId(item: IntakeItem): string {
  return "message" in item ? item.message.messageId : item.unread.messageId;
}

async function lookupsFor(tx: Tx, items: IntakeItem[]): Promise<BatchLookups> {
  const place = items[0]!.place;
  const { rows } = await tx.execute<{ message_id: string; uid: string | number; here: boolean }>(sql`
    SELECT message_id, uid, (mailbox = ${place.mailbox} AND uid_validity = ${place.uidValidity}) AS here
    FROM mail_intake
    WHERE message_id = ANY(${sql.param(items.map(itemMessageId))}::text[])
       OR (mailbox = ${place.mailbox} AND uid_validity = ${place.uidValidity}
           AND uid = ANY(${sql.param(items.map((i) => i.place.uid))}::bigint[]))
  `);
  return {
    messageIds: new Set(rows.map((r) => r.message_id)),
    uids: new Set(rows.filter((r) => r.here).map((r) => Number(r.uid))),
    senders: new Map(),
    establishments: new Map(),
  };
}

/**
 * Processes messages of one folder in one transaction, in the order given: a message recorded before,
 * or earlier in the batch under the same Message-ID or place, is found done and stops there; the others
 * get their effect and their mail_intake row. The caller flags them \Seen only once this has committed.
 * Messages are taken until `budgetMs` has passed (at least one): the transaction holds the region's
 * reference counter from its first declaration to its commit, and API declarations wait on it that
 * long. Resolves with the outcomes of the messages taken, a prefix of `items`.
 */
export async function processBatch(
  ctx: WorkerContext,
  items: IntakeItem[],
  budgetMs = Number.POSITIVE_INFINITY,
): Promise<IntakeOutcome[]> {
  if (items.length === 0) return [];
  const started = performance.now();
  const outcomes = await ctx.db.transaction(async (tx) => {
    const lookups = await lookupsFor(tx, items);
    const taken: IntakeOutcome[] = [];
    for (const item of items) {
      if (taken.length > 0 && performance.now() - started > budgetMs) break;
      taken.push(await processItemIn(ctx, tx, item, lookups));
    }
    return taken;
  });
  if (outcomes.some((o) => o.outcome === "declared")) ctx.wakeDeliveryFanout();
  return outcomes;
}

async function processItemIn(
  ctx: WorkerContext,
  tx: Tx,
  item: IntakeItem,
  lookups: BatchLookups,
): Promise<IntakeOutcome> {
  const messageId = itemMessageId(item);
  if (lookups.messageIds.has(messageId) || lookups.uids.has(item.place.uid)) {
    return { outcome: "already-processed" };
  }
  const outcome =
    "message" in item
      ? await processMessageIn(ctx, tx, item.place, item.message, item.size, lookups)
      : await quarantineUnreadIn(tx, item.place, item.unread, item.reason);
  lookups.messageIds.add(messageId);
  lookups.uids.add(item.place.uid);
  return outcome;
}

/**
 * A declared or answering message's row, written after its effect (it names the incident and the
 * entry), with `also` — a statement that may read the row's id from `recorded` — in the same round
 * trip. The batch looked the message up before its effect, under the reader's lock: a row there already
 * is a race the unique keys catch, and the transaction is rolled back with what it wrote (the reader
 * then takes its messages one at a time, and finds this one done).
 */
async function recordRow(tx: Tx, values: typeof mailIntake.$inferInsert, also: SQL): Promise<string> {
  const inserted = tx
    .insert(mailIntake)
    .values(values)
    .onConflictDoNothing()
    .returning({ id: mailIntake.id });
  const { rows } = await tx.execute<{ id: string }>(sql`
    WITH recorded AS ${inserted}, also AS (${also})
    SELECT id FROM recorded
  `);
  if (!rows[0]) throw new Error(`mail_intake already has ${values.messageId} or its place`);
  return rows[0].id;
}

/**
 * One message in the batch's transaction: its effect — a declaration and its acknowledgement, an entry in
 * the main courante it answers, or the quarantine, which is the row itself — and its mail_intake row
 * (unique by Message-ID and by place in the mailbox).
 */
async function processMessageIn(
  ctx: WorkerContext,
  tx: Tx,
  place: MailboxPlace,
  message: IntakeMessage,
  size: number,
  lookups: BatchLookups,
): Promise<IntakeOutcome> {
  const { config } = ctx;
  const verdict = authenticationVerdict(message.authenticationResults, {
    authservId: config.INTAKE_AUTHSERV_ID,
    required: config.INTAKE_REQUIRE_AUTHENTICATION,
  });
  const attachments = attachmentsOf(ctx, message);
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
  const quarantine = (reason: QuarantineReason) => insertQuarantined(tx, base, reason);
  if (verdict.failure) return quarantine("authentication_failed");
  if (!message.fromAddress) return quarantine("unknown_sender");
  let sender = lookups.senders.get(message.fromAddress);
  if (!sender) {
    sender = await findSender(tx, message.fromAddress);
    lookups.senders.set(message.fromAddress, sender);
  }
  const answered = await answeredIncident(tx, config.REGION_CODE, message);
  if (answered) {
    // A reference the sender may not speak for attaches to nothing: not even a hint that it exists.
    if (sender.establishmentIds.length === 0) return quarantine("unknown_sender");
    if (!sender.establishmentIds.includes(answered.establishmentId)) return quarantine("forged_reference");
    await tx.select({ id: incidents.id }).from(incidents).where(eq(incidents.id, answered.id)).for("update");
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
    // Touching the incident's row announces the entry on the analysts' live feed (the incidents
    // trigger), in the statement that writes the message's row; the outbox row lets the worker re-plan
    // the incident's timers, as for an entry written in the page.
    const row = await recordRow(
      tx,
      {
        ...base,
        outcome: "replied",
        incidentId: answered.id,
        establishmentId: answered.establishmentId,
        logEntryId: entry.id,
      },
      sql`UPDATE incidents SET updated_at = ${now} WHERE id = ${answered.id}`,
    );
    await storeAttachments(ctx, tx, {
      incidentId: answered.id,
      mailIntakeId: row,
      userId: sender.userId,
      message,
      attachments,
      at: now,
    });
    await writeOutbox(tx, incidentMessage("incident.changed", answered.id));
    return { outcome: "replied", incidentId: answered.id, logEntryId: entry.id };
  }
  if (sender.establishmentIds.length === 0) return quarantine("unknown_sender");
  if (message.automatic) return quarantine("automatic");
  if (sender.establishmentIds.length > 1) return quarantine("ambiguous_sender");
  const establishmentId = sender.establishmentIds[0]!;
  let establishment = lookups.establishments.get(establishmentId);
  if (!establishment) {
    [establishment] = await tx.select().from(establishments).where(eq(establishments.id, establishmentId));
    lookups.establishments.set(establishmentId, establishment!);
  }
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
  // Its row and its acknowledgement in one statement, the acknowledgement going through the delivery
  // fan-out like the pole's own e-mails.
  const row = await recordRow(
    tx,
    {
      ...base,
      outcome: "declared",
      establishmentId: establishment!.id,
      incidentId: declared.incidentId,
      logEntryId: declared.logEntryId,
    },
    sql`
      INSERT INTO mail_deliveries (id, dedupe_key, template, subject_id, user_id, to_address, message_id)
      SELECT ${uuidv7()}::uuid, 'intake.acknowledged:' || recorded.id, 'intake-acknowledged',
             ${declared.incidentId}::uuid, ${sender.userId}::uuid, ${message.fromAddress}::text,
             ${intakeAcknowledgedMessageId(declared.incidentId, mailDomain(config))}::text
      FROM recorded
      ON CONFLICT (dedupe_key) DO NOTHING`,
  );
  await storeAttachments(ctx, tx, {
    incidentId: declared.incidentId,
    mailIntakeId: row,
    userId: sender.userId,
    message,
    attachments,
    at: new Date(),
  });
  return { outcome: "declared", incidentId: declared.incidentId, reference: declared.reference };
}

/** A message too large to read, or unreadable, is quarantined on what the server says of it. */
async function quarantineUnreadIn(
  tx: Tx,
  place: MailboxPlace,
  summary: UnreadSummary,
  reason: QuarantineReason,
): Promise<IntakeOutcome> {
  return insertQuarantined(tx, { ...summary, subject: summary.subject.slice(0, 998), ...place }, reason);
}

/** The quarantine is the message's row itself; one there already (same Message-ID or place) is done. */
async function insertQuarantined(
  tx: Tx,
  values: Omit<typeof mailIntake.$inferInsert, "outcome" | "quarantineReason">,
  reason: QuarantineReason,
): Promise<IntakeOutcome> {
  const inserted = await tx
    .insert(mailIntake)
    .values({ ...values, outcome: "quarantined", quarantineReason: reason })
    .onConflictDoNothing()
    .returning({ id: mailIntake.id });
  return inserted.length > 0 ? { outcome: "quarantined", reason } : { outcome: "already-processed" };
}

export type { IntakeAuthentication };
