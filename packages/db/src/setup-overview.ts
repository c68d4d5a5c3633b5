import { sql } from "drizzle-orm";
import type { Tx } from "./client.ts";

/** Where a region stands in setting itself up: what exists of each thing its first day needs. */
export interface SetupCounts {
  territories: number;
  placeMappings: number;
  categoryMappings: number;
  establishments: number;
  lastImportAt: Date | null;
  analysts: number;
  arsAgents: number;
  establishmentsWithRssi: number;
  pendingInvitations: number;
  onCallSlots: number;
  onCallMinutes: number;
}

/** One round trip of counts, each on a small table or an index: cheap enough to show on every visit. */
export async function setupCounts(tx: Tx): Promise<SetupCounts> {
  const { rows } = await tx.execute<Record<string, string | Date | null>>(sql`
    SELECT
      (SELECT count(*) FROM territories WHERE retired_at IS NULL) AS territories,
      (SELECT count(*) FROM registry_territory_mappings) AS place_mappings,
      (SELECT count(*) FROM registry_category_mappings) AS category_mappings,
      (SELECT count(*) FROM establishments WHERE active) AS establishments,
      (SELECT max(applied_at) FROM registry_imports WHERE status = 'applied') AS last_import_at,
      (SELECT count(*) FROM users WHERE active AND role = 'analyst') AS analysts,
      (SELECT count(*) FROM users WHERE active AND role = 'ars') AS ars_agents,
      (SELECT count(*) FROM establishments e
        WHERE e.active AND EXISTS (
          SELECT 1 FROM users u
          WHERE u.active AND u.role = 'rssi'
            AND (u.establishment_id = e.id OR (u.ght_id IS NOT NULL AND u.ght_id = e.ght_id)))
      ) AS establishments_with_rssi,
      (SELECT count(*) FROM invitations
        WHERE accepted_at IS NULL AND cancelled_at IS NULL AND expires_at > now()) AS pending_invitations,
      (SELECT count(*) FROM on_call_slots) AS on_call_slots,
      (SELECT coalesce(sum(end_minute - start_minute), 0) FROM on_call_slots) AS on_call_minutes
  `);
  const r = rows[0]!;
  const n = (v: unknown) => Number(v ?? 0);
  return {
    territories: n(r.territories),
    placeMappings: n(r.place_mappings),
    categoryMappings: n(r.category_mappings),
    establishments: n(r.establishments),
    lastImportAt: r.last_import_at ? new Date(r.last_import_at as string | Date) : null,
    analysts: n(r.analysts),
    arsAgents: n(r.ars_agents),
    establishmentsWithRssi: n(r.establishments_with_rssi),
    pendingInvitations: n(r.pending_invitations),
    onCallSlots: n(r.on_call_slots),
    onCallMinutes: n(r.on_call_minutes),
  };
}
