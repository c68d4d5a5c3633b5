import { type Config, mailDomain } from "@pris/config";
import {
  type BulletinObservable,
  bulletinDeliveries,
  bulletinRecipients,
  bulletinRevisions,
  bulletins,
  type Db,
  establishments,
  incidentObservables,
  incidents,
  type Tx,
  users,
  writeOutbox,
} from "@pris/db";
import {
  type AnswerInput,
  type AudiencePreview,
  type AudiencePreviewInput,
  audienceProblem,
  type Bulletin,
  type BulletinAnswer,
  type BulletinContentField,
  type BulletinDashboard,
  type BulletinDraft,
  type BulletinList,
  type BulletinListQuery,
  type BulletinRevisionInput,
  type BulletinSummary,
  bulletinCounterScope,
  bulletinIsEmailed,
  bulletinMessageId,
  bulletinReference,
  changedFields,
  contagionBulletinDraft,
  type DeliveryStatus,
  type FieldError,
  formatInZone,
  normalizeObservable,
  type ObservableType,
  type RecipientRole,
  RSIT_CLASSES,
  revisionPurpose,
  type Tlp,
  yearInZone,
} from "@pris/domain";
import { and, desc, eq, inArray, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { type Principal, requireUser } from "../../auth/principal.ts";
import { ConflictError, NotFoundError, ValidationError } from "../../errors.ts";
import { decodeCursor, encodeCursor } from "../../http.ts";
import { incidentScope } from "../incidents/incident-service.ts";
import { resolveAudience } from "./bulletin-recipients.ts";

type BulletinRow = typeof bulletins.$inferSelect;
type User = Extract<Principal, { kind: "user" }>;

/** The pole composes and publishes; the ARS and the task force read what was published; RSSIs read theirs. */
const requireAnalyst = (p: Principal | null) => requireUser(p, ["analyst"]);
const requireReader = (p: Principal | null) => requireUser(p, ["analyst", "ars", "taskforce", "rssi"]);

const INSERT_CHUNK = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function normalizedObservables(input: BulletinDraft["observables"]): BulletinObservable[] {
  const errors: FieldError[] = [];
  const out = input.map((o, i) => {
    const result = normalizeObservable(o.type, o.value);
    if ("error" in result) {
      errors.push({ field: `/observables/${i}/value`, message: result.error });
      return undefined;
    }
    return { type: o.type, value: o.value, normalized: result.value, comment: o.comment ?? null };
  });
  if (errors.length > 0) throw new ValidationError(errors);
  return out as BulletinObservable[];
}

function content(input: BulletinRevisionInput | BulletinDraft) {
  return {
    title: input.title,
    summary: input.summary,
    risks: input.risks,
    affectedSystems: input.affectedSystems,
    products: input.products,
    recommendations: input.recommendations,
    cves: [...new Set(input.cves)],
    links: input.links,
    observables: normalizedObservables(input.observables),
    severity: input.severity,
  };
}

function contentOf(row: BulletinRow): Record<BulletinContentField, unknown> {
  return {
    title: row.title,
    summary: row.summary,
    risks: row.risks,
    affectedSystems: row.affectedSystems,
    products: row.products,
    recommendations: row.recommendations,
    cves: row.cves,
    links: row.links,
    observables: row.observables,
    severity: row.severity,
  };
}

function assertAudience(tlp: Tlp, draft: Pick<BulletinDraft, "audience">) {
  const problem = audienceProblem(tlp, draft.audience);
  if (problem) throw new ValidationError([{ field: "/audience", message: problem }]);
}

function toSummary(row: BulletinRow, myAnswer?: BulletinAnswer | null): BulletinSummary {
  return {
    id: row.id,
    reference: row.reference,
    kind: row.kind as BulletinSummary["kind"],
    status: row.status as BulletinSummary["status"],
    title: row.title,
    severity: row.severity as BulletinSummary["severity"],
    tlp: row.tlp as Tlp,
    revision: row.revision,
    paused: row.pausedAt !== null,
    publishedAt: row.publishedAt?.toISOString() ?? null,
    updatedAt: row.updatedAt.toISOString(),
    ...(myAnswer !== undefined ? { myAnswer } : {}),
  };
}

/**
 * Which bulletins a reader sees. The pole sees all; the ARS and the task force the published ones; an
 * RSSI the published ones addressed to them by name, or (except TLP:RED, for named recipients only) to
 * one of their establishments.
 */
function readerScope(principal: User): SQL | undefined {
  if (principal.role === "analyst") return undefined;
  const published = eq(bulletins.status, "published");
  if (principal.role !== "rssi") return published;
  const mine =
    principal.establishmentIds.length > 0
      ? sql`(r.user_id = ${principal.id} OR (${bulletins.tlp} <> 'RED' AND r.establishment_id = ANY(${sql.param(principal.establishmentIds)}::uuid[])))`
      : sql`r.user_id = ${principal.id}`;
  return and(
    published,
    sql`EXISTS (SELECT 1 FROM bulletin_recipients r WHERE r.bulletin_id = ${bulletins.id} AND ${mine})`,
  );
}

async function visibleBulletin(db: Tx, principal: User, id: string): Promise<BulletinRow> {
  const [row] = await db
    .select()
    .from(bulletins)
    .where(and(eq(bulletins.id, id), readerScope(principal)));
  if (!row) throw new NotFoundError("Bulletin");
  return row;
}

async function detail(db: Tx, row: BulletinRow, myAnswer?: BulletinAnswer | null): Promise<Bulletin> {
  const revisions = await db
    .select({
      revision: bulletinRevisions.revision,
      publishedAt: bulletinRevisions.publishedAt,
      publishedBy: users.displayName,
      changes: bulletinRevisions.changes,
      changedFields: bulletinRevisions.changedFields,
    })
    .from(bulletinRevisions)
    .innerJoin(users, eq(users.id, bulletinRevisions.publishedByUserId))
    .where(eq(bulletinRevisions.bulletinId, row.id))
    .orderBy(desc(bulletinRevisions.revision));
  return {
    ...toSummary(row, myAnswer),
    summary: row.summary,
    risks: row.risks,
    affectedSystems: row.affectedSystems,
    products: row.products,
    recommendations: row.recommendations,
    cves: row.cves,
    links: row.links,
    observables: row.observables.map((o) => ({ ...o, type: o.type as ObservableType })),
    audience: row.audience,
    sourceIncidentId: row.sourceIncidentId,
    createdAt: row.createdAt.toISOString(),
    revisions: revisions.map((r) => ({ ...r, publishedAt: r.publishedAt.toISOString() })),
  };
}

export async function createDraft(
  db: Db,
  principal: Principal | null,
  input: BulletinDraft,
  sourceIncidentId: string | null = null,
): Promise<Bulletin> {
  const user = requireAnalyst(principal);
  assertAudience(input.tlp, input);
  const [row] = await db
    .insert(bulletins)
    .values({
      id: uuidv7(),
      kind: input.kind,
      tlp: input.tlp,
      audience: input.audience,
      ...content(input),
      sourceIncidentId,
      createdByUserId: user.id,
    })
    .returning();
  return detail(db, row!);
}

export async function updateDraft(
  db: Db,
  principal: Principal | null,
  id: string,
  input: BulletinDraft,
): Promise<Bulletin> {
  requireAnalyst(principal);
  assertAudience(input.tlp, input);
  const [row] = await db
    .update(bulletins)
    .set({
      kind: input.kind,
      tlp: input.tlp,
      audience: input.audience,
      ...content(input),
      updatedAt: new Date(),
    })
    .where(and(eq(bulletins.id, id), eq(bulletins.status, "draft")))
    .returning();
  if (!row) {
    const [exists] = await db.select({ id: bulletins.id }).from(bulletins).where(eq(bulletins.id, id));
    if (!exists) throw new NotFoundError("Bulletin");
    throw new ConflictError("bulletin_published", "A published bulletin changes by revision only");
  }
  return detail(db, row);
}

/** A draft has no reference, recipients or revisions yet: deleting it leaves no trace and no gap. */
export async function deleteDraft(db: Db, principal: Principal | null, id: string): Promise<void> {
  requireAnalyst(principal);
  const deleted = await db
    .delete(bulletins)
    .where(and(eq(bulletins.id, id), eq(bulletins.status, "draft")))
    .returning({ id: bulletins.id });
  if (deleted.length > 0) return;
  const [exists] = await db.select({ id: bulletins.id }).from(bulletins).where(eq(bulletins.id, id));
  if (!exists) throw new NotFoundError("Bulletin");
  throw new ConflictError("bulletin_published", "A published bulletin cannot be deleted: it was sent");
}

export async function listBulletins(
  db: Db,
  principal: Principal | null,
  query: BulletinListQuery,
): Promise<BulletinList> {
  const user = requireReader(principal);
  const limit = query.limit ?? 50;
  const [after] = decodeCursor(query.cursor, 1) ?? [];
  if (after !== undefined && !UUID.test(after)) {
    throw new ValidationError([{ field: "/cursor", message: "is not a cursor this API gave", in: "query" }]);
  }
  const rows = await db
    .select()
    .from(bulletins)
    .where(
      and(
        readerScope(user),
        query.status ? eq(bulletins.status, query.status) : undefined,
        query.kind ? eq(bulletins.kind, query.kind) : undefined,
        after ? lt(bulletins.id, after) : undefined,
      ),
    )
    .orderBy(desc(bulletins.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const answers =
    user.role === "rssi"
      ? await myAnswers(
          db,
          user,
          page.map((r) => r.id),
        )
      : undefined;
  return {
    items: page.map((r) => toSummary(r, answers ? (answers.get(r.id) ?? null) : undefined)),
    nextCursor: rows.length > limit ? encodeCursor([page.at(-1)!.id]) : null,
  };
}

/** The RSSI's own answer per bulletin: on their own recipient record, else their establishments'. */
async function myAnswers(db: Tx, user: User, bulletinIds: string[]) {
  const answers = new Map<string, BulletinAnswer | null>();
  if (bulletinIds.length === 0) return answers;
  const rows = await db
    .select({
      bulletinId: bulletinRecipients.bulletinId,
      userId: bulletinRecipients.userId,
      answer: bulletinRecipients.answer,
    })
    .from(bulletinRecipients)
    .where(and(inArray(bulletinRecipients.bulletinId, bulletinIds), ownRecipients(user)));
  for (const id of bulletinIds) {
    const own = rows.filter((r) => r.bulletinId === id);
    const mine = own.find((r) => r.userId === user.id) ?? own.find((r) => r.answer);
    answers.set(id, (mine?.answer as BulletinAnswer | null | undefined) ?? null);
  }
  return answers;
}

function ownRecipients(user: User) {
  return or(
    eq(bulletinRecipients.userId, user.id),
    user.establishmentIds.length > 0
      ? inArray(bulletinRecipients.establishmentId, user.establishmentIds)
      : undefined,
  );
}

/** A bulletin; an RSSI opening it counts as a read of their own record, the pole's preview never does. */
export async function getBulletin(db: Db, principal: Principal | null, id: string): Promise<Bulletin> {
  const user = requireReader(principal);
  const row = await visibleBulletin(db, user, id);
  if (user.role !== "rssi") return detail(db, row);
  await db
    .update(bulletinRecipients)
    .set({ readAt: new Date() })
    .where(
      and(
        eq(bulletinRecipients.bulletinId, id),
        eq(bulletinRecipients.userId, user.id),
        isNull(bulletinRecipients.readAt),
      ),
    );
  const answers = await myAnswers(db, user, [id]);
  return detail(db, row, answers.get(id) ?? null);
}

export async function previewAudience(
  db: Db,
  principal: Principal | null,
  input: AudiencePreviewInput,
): Promise<AudiencePreview> {
  requireAnalyst(principal);
  const problem = audienceProblem(input.tlp, input.audience);
  if (problem && !problem.startsWith("names nobody")) {
    throw new ValidationError([{ field: "/audience", message: problem }]);
  }
  const reached = await resolveAudience(db, input.tlp, input.audience);
  const covered = new Set(reached.recipients.map((r) => r.establishmentId));
  return {
    establishments: reached.establishments.length,
    people: reached.recipients.length,
    emailed: bulletinIsEmailed(input.tlp) ? reached.recipients.length : 0,
    withoutRecipient: reached.establishments.filter((e) => !covered.has(e)).length,
  };
}

async function lockBulletin(tx: Tx, id: string): Promise<BulletinRow> {
  const [row] = await tx.select().from(bulletins).where(eq(bulletins.id, id)).for("update");
  if (!row) throw new NotFoundError("Bulletin");
  return row;
}

async function drawReference(tx: Tx, config: Config, row: BulletinRow, now: Date): Promise<string> {
  const kind = row.kind as BulletinDraft["kind"];
  const year = yearInZone(now, config.REGION_TIMEZONE);
  const { rows } = await tx.execute<{ last: number }>(sql`
    INSERT INTO reference_counters AS c (scope, year, last)
    VALUES (${bulletinCounterScope(config.REGION_CODE, kind)}, ${year}, 1)
    ON CONFLICT (scope, year) DO UPDATE SET last = c.last + 1
    RETURNING last
  `);
  return bulletinReference(config.REGION_CODE, year, kind, rows[0]!.last);
}

async function queueDeliveries(
  tx: Tx,
  config: Config,
  bulletinId: string,
  revision: number,
  recipientIds: string[],
  now: Date,
): Promise<number> {
  const purpose = revisionPurpose(revision);
  const host = mailDomain(config);
  for (let i = 0; i < recipientIds.length; i += INSERT_CHUNK) {
    await tx
      .insert(bulletinDeliveries)
      .values(
        recipientIds.slice(i, i + INSERT_CHUNK).map((recipientId) => ({
          id: uuidv7(),
          bulletinId,
          recipientId,
          purpose,
          revision,
          messageId: bulletinMessageId(bulletinId, recipientId, purpose, host),
          nextAttemptAt: now,
          createdAt: now,
          updatedAt: now,
        })),
      )
      .onConflictDoNothing();
  }
  return recipientIds.length;
}

async function announce(tx: Tx, bulletinId: string, revision: number, now: Date) {
  await writeOutbox(tx, { topic: "bulletin.published", aggregateId: bulletinId, payload: { revision } }, now);
}

/**
 * Publication, in one transaction: the reference, the recipients fixed from the audience, one delivery
 * per recipient (none under TLP:RED, read in the application only), the first revision and the outbox
 * row that wakes the fan-out.
 */
export async function publishBulletin(db: Db, config: Config, principal: Principal | null, id: string) {
  const user = requireAnalyst(principal);
  const now = new Date();
  return db.transaction(async (tx) => {
    const row = await lockBulletin(tx, id);
    if (row.status !== "draft")
      throw new ConflictError("bulletin_published", "The bulletin is already published");
    const tlp = row.tlp as Tlp;
    assertAudience(tlp, row);
    const reached = await resolveAudience(tx, tlp, row.audience);
    if (reached.recipients.length === 0) {
      throw new ConflictError(
        "no_recipients",
        "The audience reaches nobody: no establishment has a recipient",
      );
    }
    const recipientIds: string[] = [];
    for (let i = 0; i < reached.recipients.length; i += INSERT_CHUNK) {
      const inserted = await tx
        .insert(bulletinRecipients)
        .values(
          reached.recipients.slice(i, i + INSERT_CHUNK).map((r) => ({
            id: uuidv7(),
            bulletinId: id,
            establishmentId: r.establishmentId,
            userId: r.userId,
            email: r.email.toLowerCase(),
            name: r.name,
            role: r.role,
            createdAt: now,
          })),
        )
        .returning({ id: bulletinRecipients.id });
      recipientIds.push(...inserted.map((r) => r.id));
    }
    const deliveries = bulletinIsEmailed(tlp)
      ? await queueDeliveries(tx, config, id, 1, recipientIds, now)
      : 0;
    const reference = await drawReference(tx, config, row, now);
    await tx.insert(bulletinRevisions).values({
      id: uuidv7(),
      bulletinId: id,
      revision: 1,
      changes: "Publication initiale",
      changedFields: [],
      content: contentOf(row),
      publishedByUserId: user.id,
      publishedAt: now,
    });
    const [published] = await tx
      .update(bulletins)
      .set({ status: "published", reference, revision: 1, publishedAt: now, updatedAt: now })
      .where(eq(bulletins.id, id))
      .returning();
    if (deliveries > 0) await announce(tx, id, 1, now);
    return { bulletin: await detail(tx, published!), recipients: recipientIds.length, deliveries };
  });
}

/**
 * A revision: new content, what changed, sent to the same recipients. E-mails of earlier revisions not
 * sent yet are superseded — the recipient gets the current text once.
 */
export async function reviseBulletin(
  db: Db,
  config: Config,
  principal: Principal | null,
  id: string,
  input: BulletinRevisionInput,
) {
  const user = requireAnalyst(principal);
  const next = content(input);
  const now = new Date();
  return db.transaction(async (tx) => {
    const row = await lockBulletin(tx, id);
    if (row.status !== "published")
      throw new ConflictError("bulletin_draft", "A draft is edited, not revised");
    const changed = changedFields(contentOf(row), next);
    if (changed.length === 0) {
      throw new ValidationError([{ field: "/", message: "changes nothing in the bulletin's content" }]);
    }
    const revision = row.revision + 1;
    await tx
      .update(bulletinDeliveries)
      .set({ status: "superseded", updatedAt: now })
      .where(
        and(
          eq(bulletinDeliveries.bulletinId, id),
          inArray(bulletinDeliveries.status, ["queued", "deferred"]),
          sql`${bulletinDeliveries.purpose} LIKE 'revision-%'`,
        ),
      );
    // The same people as at publication, less a functional mailbox that unsubscribed since.
    const recipients = await tx
      .select({ id: bulletinRecipients.id })
      .from(bulletinRecipients)
      .innerJoin(establishments, eq(establishments.id, bulletinRecipients.establishmentId))
      .where(
        and(
          eq(bulletinRecipients.bulletinId, id),
          sql`(${bulletinRecipients.role} <> 'mailbox' OR lower(${establishments.contacts}->>'functionalMailbox') = ${bulletinRecipients.email})`,
        ),
      );
    const tlp = row.tlp as Tlp;
    const deliveries = bulletinIsEmailed(tlp)
      ? await queueDeliveries(
          tx,
          config,
          id,
          revision,
          recipients.map((r) => r.id),
          now,
        )
      : 0;
    await tx.insert(bulletinRevisions).values({
      id: uuidv7(),
      bulletinId: id,
      revision,
      changes: input.changes,
      changedFields: changed,
      content: next,
      publishedByUserId: user.id,
      publishedAt: now,
    });
    const [revised] = await tx
      .update(bulletins)
      .set({ ...next, revision, updatedAt: now })
      .where(eq(bulletins.id, id))
      .returning();
    if (deliveries > 0) await announce(tx, id, revision, now);
    return { bulletin: await detail(tx, revised!), recipients: recipients.length, deliveries };
  });
}

export async function setPaused(db: Db, principal: Principal | null, id: string, paused: boolean) {
  requireAnalyst(principal);
  const now = new Date();
  const [row] = await db
    .update(bulletins)
    .set({ pausedAt: paused ? sql`COALESCE(${bulletins.pausedAt}, ${now})` : null, updatedAt: now })
    .where(and(eq(bulletins.id, id), eq(bulletins.status, "published")))
    .returning();
  if (!row) {
    const [exists] = await db.select({ id: bulletins.id }).from(bulletins).where(eq(bulletins.id, id));
    if (!exists) throw new NotFoundError("Bulletin");
    throw new ConflictError("bulletin_draft", "Only a published bulletin's fan-out can be paused or resumed");
  }
  if (!paused) {
    // Resuming wakes the fan-out at once rather than at its next poll.
    await writeOutbox(db, {
      topic: "bulletin.published",
      aggregateId: id,
      payload: { revision: row.revision, resumed: true },
    });
  }
  return toSummary(row);
}

const PENDING_LIST_MAX = 1000;

/** Delivery and acknowledgement per recipient, then by territory and category; for the pole and the ARS. */
export async function bulletinDashboard(
  db: Db,
  principal: Principal | null,
  id: string,
): Promise<BulletinDashboard> {
  const user = requireUser(principal, ["analyst", "ars"]);
  const row = await visibleBulletin(db, user, id);
  const current = revisionPurpose(row.revision);
  const { rows } = await db.execute<{
    recipient_id: string;
    name: string;
    email: string;
    role: RecipientRole;
    answer: BulletinAnswer | null;
    read_at: Date | null;
    establishment_id: string;
    establishment: string;
    territory: string;
    territory_name: string;
    category: string;
    status: DeliveryStatus | null;
    attempts: number | null;
    smtp_response: string | null;
    last_error: string | null;
    delivered: boolean;
    reminded_at: Date | null;
  }>(sql`
    SELECT r.id AS recipient_id, r.name, r.email, r.role, r.answer, r.read_at,
      e.id AS establishment_id, e.name AS establishment, e.territory, t.name AS territory_name, e.category,
      d.status, d.attempts, d.smtp_response, d.last_error,
      EXISTS (SELECT 1 FROM bulletin_deliveries x
              WHERE x.recipient_id = r.id AND x.status = 'sent' AND x.purpose LIKE 'revision-%') AS delivered,
      rem.sent_at AS reminded_at
    FROM bulletin_recipients r
    JOIN establishments e ON e.id = r.establishment_id
    JOIN territories t ON t.code = e.territory
    LEFT JOIN bulletin_deliveries d ON d.recipient_id = r.id AND d.purpose = ${current}
    LEFT JOIN bulletin_deliveries rem ON rem.recipient_id = r.id AND rem.purpose = 'reminder' AND rem.status = 'sent'
    WHERE r.bulletin_id = ${id}
    ORDER BY e.name, r.email
  `);
  const empty = () => ({
    recipients: 0,
    delivered: 0,
    acknowledged: 0,
    concerned: 0,
    notConcerned: 0,
    fixed: 0,
  });
  const add = (c: ReturnType<typeof empty>, r: (typeof rows)[number]) => {
    c.recipients += 1;
    if (r.delivered) c.delivered += 1;
    if (r.answer) c.acknowledged += 1;
    if (r.answer === "concerned") c.concerned += 1;
    if (r.answer === "not_concerned") c.notConcerned += 1;
    if (r.answer === "fixed") c.fixed += 1;
  };
  const totals = {
    ...empty(),
    received: 0,
    read: 0,
    queued: 0,
    deferred: 0,
    failed: 0,
    establishments: new Set(rows.map((r) => r.establishment_id)).size,
  };
  const byTerritory = new Map<string, { territory: string; name: string } & ReturnType<typeof empty>>();
  const byCategory = new Map<string, { category: string } & ReturnType<typeof empty>>();
  for (const r of rows) {
    add(totals, r);
    if (r.answer === "received") totals.received += 1;
    if (r.read_at || r.answer) totals.read += 1;
    if (r.status === "queued" || r.status === "deferred" || r.status === "failed") {
      totals[r.status] += 1;
    }
    const t = byTerritory.get(r.territory) ?? { territory: r.territory, name: r.territory_name, ...empty() };
    add(t, r);
    byTerritory.set(r.territory, t);
    const c = byCategory.get(r.category) ?? { category: r.category, ...empty() };
    add(c, r);
    byCategory.set(r.category, c);
  }
  return {
    bulletinId: id,
    totals,
    byTerritory: [...byTerritory.values()].sort((a, b) => a.name.localeCompare(b.name)),
    byCategory: [...byCategory.values()].sort((a, b) => a.category.localeCompare(b.category)),
    pending: rows
      .filter((r) => !r.answer)
      .slice(0, PENDING_LIST_MAX)
      .map((r) => ({
        recipientId: r.recipient_id,
        name: r.name,
        email: r.email,
        role: r.role,
        establishment: r.establishment,
        territory: r.territory,
        territoryName: r.territory_name,
        category: r.category,
        delivery: r.status,
        readAt: r.read_at ? new Date(r.read_at).toISOString() : null,
        remindedAt: r.reminded_at ? new Date(r.reminded_at).toISOString() : null,
      })),
    failures: rows
      .filter((r) => r.status === "failed")
      .map((r) => ({
        recipientId: r.recipient_id,
        email: r.email,
        attempts: r.attempts ?? 0,
        smtpResponse: r.smtp_response,
        lastError: r.last_error,
      })),
  };
}

/**
 * An RSSI answers in the application: on their own recipient record, or — reached only through their
 * establishment's contacts — on their establishments' records for this bulletin.
 */
export async function answerInApp(db: Db, principal: Principal | null, id: string, input: AnswerInput) {
  const user = requireUser(principal, ["rssi"]);
  await visibleBulletin(db, user, id);
  const now = new Date();
  const values = {
    answer: input.answer,
    answeredAt: now,
    readAt: sql`COALESCE(${bulletinRecipients.readAt}, ${now})`,
  };
  let answered = await db
    .update(bulletinRecipients)
    .set(values)
    .where(and(eq(bulletinRecipients.bulletinId, id), eq(bulletinRecipients.userId, user.id)))
    .returning({ id: bulletinRecipients.id });
  if (answered.length === 0 && user.establishmentIds.length > 0) {
    answered = await db
      .update(bulletinRecipients)
      .set(values)
      .where(
        and(
          eq(bulletinRecipients.bulletinId, id),
          inArray(bulletinRecipients.establishmentId, user.establishmentIds),
        ),
      )
      .returning({ id: bulletinRecipients.id });
  }
  if (answered.length === 0) throw new NotFoundError("Bulletin");
  return { answer: input.answer, answeredAt: now.toISOString(), recipients: answered.length };
}

/** A pre-filled contagion alert from an incident, anonymised, as a draft the analyst edits. */
export async function bulletinFromIncident(
  db: Db,
  config: Config,
  principal: Principal | null,
  incidentId: string,
) {
  const user = requireAnalyst(principal);
  const [incident] = await db
    .select({
      id: incidents.id,
      severity: incidents.severity,
      rsitClass: incidents.rsitClass,
      rsitType: incidents.rsitType,
      detectedAt: incidents.detectedAt,
    })
    .from(incidents)
    .where(and(eq(incidents.id, incidentId), incidentScope(user)));
  if (!incident) throw new NotFoundError("Incident");
  const observables = await db
    .select({ type: incidentObservables.type, value: incidentObservables.value })
    .from(incidentObservables)
    .where(eq(incidentObservables.incidentId, incidentId))
    .orderBy(incidentObservables.createdAt, incidentObservables.id);
  const rsitClass = RSIT_CLASSES.find((c) => c.value === incident.rsitClass);
  const rsitType = rsitClass?.types.find((t) => t.value === incident.rsitType);
  const draft = contagionBulletinDraft({
    severity: incident.severity,
    rsitTypeLabel: rsitType?.label ?? rsitClass?.label ?? "incident de sécurité",
    detectedOn: formatInZone(incident.detectedAt, config.REGION_TIMEZONE).replace(/ à .*$/, ""),
    observables,
  });
  return createDraft(
    db,
    user,
    { ...draft, observables: draft.observables as BulletinDraft["observables"] },
    incident.id,
  );
}
