import type { InvitationStatus } from "@pris/domain";
import { type SQL, sql } from "drizzle-orm";
import type { Tx } from "./client.ts";

/**
 * Which invitations a caller reads and manages: everything (administrators), those of RSSIs (the pole's
 * analysts), or those of RSSIs for the members of one GHT (that GHT's RSSI).
 */
export type InvitationScope = { kind: "all" } | { kind: "rssi" } | { kind: "ght"; ghtId: string };

function inScope(scope: InvitationScope): SQL {
  switch (scope.kind) {
    case "all":
      return sql`true`;
    case "rssi":
      return sql`i.role = 'rssi'`;
    case "ght":
      return sql`i.role = 'rssi' AND i.establishment_id IN (SELECT id FROM establishments WHERE ght_id = ${scope.ghtId})`;
  }
}

/** An invitation still waiting (the unique index's predicate): its link may be re-sent or cancelled. */
const OPEN = sql`i.accepted_at IS NULL AND i.cancelled_at IS NULL`;

function withStatus(status: InvitationStatus | undefined): SQL {
  switch (status) {
    case undefined:
      return sql`true`;
    case "pending":
      return sql`${OPEN} AND i.expires_at > now()`;
    case "expired":
      return sql`${OPEN} AND i.expires_at <= now()`;
    case "accepted":
      return sql`i.accepted_at IS NOT NULL`;
    case "cancelled":
      return sql`i.cancelled_at IS NOT NULL AND i.accepted_at IS NULL`;
  }
}

export interface InvitationRow {
  id: string;
  email: string;
  displayName: string;
  role: string;
  establishmentId: string | null;
  establishmentFiness: string | null;
  establishmentName: string | null;
  ghtId: string | null;
  ghtName: string | null;
  invitedBy: string | null;
  createdAt: Date;
  expiresAt: Date;
  sendCount: number;
  lastSentAt: Date;
  acceptedAt: Date | null;
  cancelledAt: Date | null;
  deliveryStatus: string | null;
  deliverySentAt: Date | null;
  deliveryError: string | null;
}

const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));

function toRow(r: Record<string, unknown>): InvitationRow {
  return {
    id: r.id as string,
    email: r.email as string,
    displayName: r.display_name as string,
    role: r.role as string,
    establishmentId: (r.establishment_id as string | null) ?? null,
    establishmentFiness: (r.establishment_finess as string | null) ?? null,
    establishmentName: (r.establishment_name as string | null) ?? null,
    ghtId: (r.ght_id as string | null) ?? null,
    ghtName: (r.ght_name as string | null) ?? null,
    invitedBy: (r.invited_by as string | null) ?? null,
    createdAt: date(r.created_at)!,
    expiresAt: date(r.expires_at)!,
    sendCount: Number(r.send_count),
    lastSentAt: date(r.last_sent_at)!,
    acceptedAt: date(r.accepted_at),
    cancelledAt: date(r.cancelled_at),
    deliveryStatus: (r.delivery_status as string | null) ?? null,
    deliverySentAt: date(r.delivery_sent_at),
    deliveryError: (r.delivery_error as string | null) ?? null,
  };
}

/** The invitation with what a list shows beside it: establishment, GHT, inviter and last e-mail. */
const SELECT = sql`
  SELECT i.id, i.email, i.display_name, i.role, i.establishment_id, e.finess AS establishment_finess,
         e.name AS establishment_name, i.ght_id, g.name AS ght_name, u.display_name AS invited_by,
         i.created_at, i.expires_at, i.send_count, i.last_sent_at, i.accepted_at, i.cancelled_at,
         d.status AS delivery_status, d.sent_at AS delivery_sent_at, d.last_error AS delivery_error
  FROM invitations i
  LEFT JOIN establishments e ON e.id = i.establishment_id
  LEFT JOIN ghts g ON g.id = i.ght_id
  LEFT JOIN users u ON u.id = i.invited_by_user_id
  LEFT JOIN LATERAL (
    SELECT status, sent_at, last_error FROM mail_deliveries
    WHERE subject_id = i.id AND template = 'invitation'
    ORDER BY created_at DESC, id DESC LIMIT 1
  ) d ON true`;

export interface InvitationListFilter {
  status?: InvitationStatus;
  q?: string;
  limit: number;
  /** The last id of the previous page (ids are UUIDv7: newest first is id descending). */
  afterId?: string;
}

export async function listInvitations(
  db: Tx,
  scope: InvitationScope,
  filter: InvitationListFilter,
): Promise<{ rows: InvitationRow[]; total: number }> {
  const text = filter.q ? `%${filter.q.replace(/[\\%_]/g, "\\$&")}%` : null;
  const where = sql`${inScope(scope)} AND ${withStatus(filter.status)}
    AND (${text}::text IS NULL OR i.email ILIKE ${text} OR i.display_name ILIKE ${text}
         OR e.name ILIKE ${text} OR e.finess ILIKE ${text})`;
  const { rows } = await db.execute(sql`${SELECT}
    WHERE ${where} AND (${filter.afterId ?? null}::uuid IS NULL OR i.id < ${filter.afterId ?? null}::uuid)
    ORDER BY i.id DESC LIMIT ${filter.limit + 1}`);
  const { rows: counted } = await db.execute<{ total: number }>(sql`
    SELECT count(*)::int AS total FROM invitations i
    LEFT JOIN establishments e ON e.id = i.establishment_id
    WHERE ${where}`);
  return { rows: rows.map(toRow), total: counted[0]?.total ?? 0 };
}

/** One invitation within the caller's scope; undefined when it does not exist or is outside it. */
export async function findInvitation(
  db: Tx,
  scope: InvitationScope,
  id: string,
): Promise<InvitationRow | undefined> {
  const { rows } = await db.execute(sql`${SELECT} WHERE i.id = ${id} AND ${inScope(scope)}`);
  return rows[0] ? toRow(rows[0]) : undefined;
}

export interface BulkInvitationCandidate {
  establishmentId: string;
  finess: string;
  establishmentName: string;
  territory: string;
  email: string;
  displayName: string;
}

/**
 * The establishments a bulk invitation reaches: active, with an RSSI e-mail among their imported
 * contacts, without an active RSSI account of their own nor an invitation still waiting; and whose RSSI
 * address is nobody's account nor waiting invitation yet. An address shared by several establishments
 * is invited once, for the first by name (one account is attached to one establishment).
 */
export async function bulkInvitationCandidates(
  db: Tx,
  options: { ghtId?: string; territory?: string },
): Promise<BulkInvitationCandidate[]> {
  const { rows } = await db.execute<{
    id: string;
    finess: string;
    name: string;
    territory: string;
    email: string;
    display_name: string;
  }>(sql`
    SELECT DISTINCT ON (lower(c.email)) e.id, e.finess, e.name, e.territory, c.email, c.display_name
    FROM establishments e
    CROSS JOIN LATERAL (
      SELECT btrim(e.contacts->'rssi'->>'email') AS email,
             COALESCE(NULLIF(btrim(e.contacts->'rssi'->>'name'), ''), btrim(e.contacts->'rssi'->>'email'))
               AS display_name
    ) c
    WHERE e.active
      AND c.email LIKE '_%@_%'
      AND (${options.ghtId ?? null}::uuid IS NULL OR e.ght_id = ${options.ghtId ?? null}::uuid)
      AND (${options.territory ?? null}::text IS NULL OR e.territory = ${options.territory ?? null}::text)
      AND NOT EXISTS (SELECT 1 FROM users u
                      WHERE u.establishment_id = e.id AND u.role = 'rssi' AND u.active)
      AND NOT EXISTS (SELECT 1 FROM invitations i
                      WHERE i.establishment_id = e.id AND ${OPEN})
      AND NOT EXISTS (SELECT 1 FROM users u WHERE lower(u.email) = lower(c.email))
      AND NOT EXISTS (SELECT 1 FROM invitations i WHERE lower(i.email) = lower(c.email) AND ${OPEN})
    ORDER BY lower(c.email), e.name, e.id`);
  return rows
    .map((r) => ({
      establishmentId: r.id,
      finess: r.finess,
      establishmentName: r.name,
      territory: r.territory,
      email: r.email.toLowerCase(),
      displayName: r.display_name,
    }))
    .sort((a, b) => a.establishmentName.localeCompare(b.establishmentName, "fr"));
}
