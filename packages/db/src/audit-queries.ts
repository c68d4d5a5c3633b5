import { and, desc, eq, gte, ilike, lt, type SQL, sql } from "drizzle-orm";
import type { Tx } from "./client.ts";
import { auditLog } from "./schema-admin.ts";

/** Reading the administration trail: filters, newest first, keyset on (at, id). */

export type AuditRow = typeof auditLog.$inferSelect;

export interface AuditFilters {
  actorUserId?: string;
  objectKind?: string;
  objectId?: string;
  /** Actions starting with this ("user." or "user.deactivate"). */
  action?: string;
  from?: Date;
  to?: Date;
  /** Text in the object's label at the time. */
  q?: string;
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, "\\$&");

function whereOf(f: AuditFilters): SQL[] {
  return [
    f.actorUserId ? eq(auditLog.actorUserId, f.actorUserId) : undefined,
    f.objectKind ? eq(auditLog.objectKind, f.objectKind) : undefined,
    f.objectId ? eq(auditLog.objectId, f.objectId) : undefined,
    f.action ? sql`${auditLog.action} LIKE ${`${escapeLike(f.action)}%`}` : undefined,
    f.from ? gte(auditLog.at, f.from) : undefined,
    f.to ? lt(auditLog.at, f.to) : undefined,
    f.q ? ilike(auditLog.objectLabel, `%${escapeLike(f.q)}%`) : undefined,
  ].filter((w): w is SQL => w !== undefined);
}

/**
 * Entries after the entry `afterId` (the last of the previous page) in the order newest first. The
 * position is read from that entry's row: its instant has microseconds a JavaScript Date would lose.
 */
export async function listAudit(
  tx: Tx,
  filters: AuditFilters,
  page: { limit: number; afterId?: string },
): Promise<AuditRow[]> {
  const where = whereOf(filters);
  if (page.afterId) {
    where.push(
      sql`(${auditLog.at}, ${auditLog.id}) < (SELECT a.at, a.id FROM audit_log a WHERE a.id = ${page.afterId}::uuid)`,
    );
  }
  return tx
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(page.limit);
}

/**
 * The whole filtered trail in pages of `batch`, newest first, for an export: memory stays bounded by one
 * page whatever the trail's length.
 */
export async function* auditBatches(tx: Tx, filters: AuditFilters, batch = 1000): AsyncGenerator<AuditRow[]> {
  let afterId: string | undefined;
  for (;;) {
    const rows = await listAudit(tx, filters, { limit: batch, ...(afterId ? { afterId } : {}) });
    if (rows.length > 0) yield rows;
    if (rows.length < batch) return;
    afterId = rows.at(-1)!.id;
  }
}
