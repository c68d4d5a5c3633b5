import type { Tx } from "@pris/db";
import {
  type Audience,
  type RecipientCandidate,
  type RecipientRole,
  selectRecipients,
  type Tlp,
} from "@pris/domain";
import { type SQL, sql } from "drizzle-orm";

/** The establishments an audience names: the union of its criteria, active ones only. */
function audienceCondition(a: Audience): SQL {
  const parts: SQL[] = [];
  if (a.all) parts.push(sql`true`);
  if (a.territories?.length) parts.push(sql`e.territory = ANY(${sql.param(a.territories)}::text[])`);
  if (a.categories?.length) parts.push(sql`e.category = ANY(${sql.param(a.categories)}::text[])`);
  if (a.ghtIds?.length) parts.push(sql`e.ght_id = ANY(${sql.param(a.ghtIds)}::uuid[])`);
  if (a.establishmentIds?.length) parts.push(sql`e.id = ANY(${sql.param(a.establishmentIds)}::uuid[])`);
  for (const p of a.products ?? []) {
    parts.push(sql`EXISTS (
      SELECT 1 FROM jsonb_array_elements(e.products) AS p
      WHERE lower(p->>'vendor') = lower(${p.vendor})
        ${p.product ? sql`AND lower(p->>'product') = lower(${p.product})` : sql``}
    )`);
  }
  if (parts.length === 0) return sql`false`;
  return sql`e.active AND (${sql.join(parts, sql` OR `)})`;
}

export interface Reached {
  establishments: string[];
  recipients: RecipientCandidate[];
}

/**
 * Who an audience reaches: its establishments, and in each the RSSIs with an account (their own, or a GHT
 * RSSI covering it), the RSSI and deputy contacts and the functional mailbox of the directory; then one
 * recipient per address, by the domain's rule (only account holders under RED).
 */
export async function resolveAudience(db: Tx, tlp: Tlp, audience: Audience): Promise<Reached> {
  const where = audienceCondition(audience);
  const { rows } = await db.execute<{
    establishment_id: string;
    email: string | null;
    name: string | null;
    role: RecipientRole | null;
    user_id: string | null;
  }>(sql`
    WITH reached AS (SELECT e.id, e.name, e.ght_id, e.contacts FROM establishments e WHERE ${where})
    SELECT r.id AS establishment_id, c.email, c.name, c.role, c.user_id
    FROM reached r
    LEFT JOIN LATERAL (
      SELECT u.email, u.display_name AS name, 'rssi' AS role, u.id AS user_id, 0 AS rank
      FROM users u
      WHERE u.role = 'rssi' AND u.active
        AND (u.establishment_id = r.id OR (r.ght_id IS NOT NULL AND u.ght_id = r.ght_id))
      UNION ALL
      SELECT r.contacts->'rssi'->>'email', r.contacts->'rssi'->>'name', 'rssi', NULL, 1
      WHERE r.contacts->'rssi'->>'email' IS NOT NULL
      UNION ALL
      SELECT r.contacts->'deputy'->>'email', r.contacts->'deputy'->>'name', 'deputy', NULL, 2
      WHERE r.contacts->'deputy'->>'email' IS NOT NULL
      UNION ALL
      SELECT r.contacts->>'functionalMailbox', 'Boîte fonctionnelle — ' || r.name, 'mailbox', NULL, 3
      WHERE r.contacts->>'functionalMailbox' IS NOT NULL
    ) c ON true
    ORDER BY r.name, r.id, c.rank, c.email
  `);
  const establishments = [...new Set(rows.map((r) => r.establishment_id))];
  const candidates: RecipientCandidate[] = rows
    .filter((r) => r.email)
    .map((r) => ({
      establishmentId: r.establishment_id,
      email: r.email!,
      name: r.name ?? r.email!,
      role: r.role!,
      userId: r.user_id,
    }));
  return { establishments, recipients: selectRecipients(tlp, candidates) };
}
