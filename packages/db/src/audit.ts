import { isDeepStrictEqual } from "node:util";
import type { AuditTarget } from "@pris/domain";
import type { Tx } from "./client.ts";
import { auditLog } from "./schema-admin.ts";

/** Who makes an administrative change: a person (with the request that carried it), or the system. */
export interface AuditActor {
  userId: string | null;
  /** As the trail shows it: the person's name and e-mail, or "système". */
  label: string;
  requestId?: string;
  ip?: string;
}

/** One change: a declared action and its kind of object (packages/domain/src/audit.ts), and the object. */
export type AuditEntry = AuditTarget & {
  objectId: string;
  objectLabel: string;
  /** The object before and after; only the fields that differ are kept. Omit before for a creation. */
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
};

/**
 * The fields of `after` that differ from `before` (deep comparison), as two objects holding only them;
 * null when nothing changed. A field absent on one side is shown as null there.
 */
export function changedFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): { before: Record<string, unknown>; after: Record<string, unknown> } | null {
  const was: Record<string, unknown> = {};
  const now: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[key] ?? null;
    const b = after[key] ?? null;
    if (isDeepStrictEqual(a, b)) continue;
    was[key] = a;
    now[key] = b;
  }
  return Object.keys(now).length > 0 ? { before: was, after: now } : null;
}

const plain = (value: unknown) =>
  JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof Date ? v.toISOString() : v)));

/**
 * Writes one entry of the administration trail, in the caller's transaction so that the change and its
 * trace commit together. A change with both sides keeps only the fields that differ, and an update that
 * changes nothing writes nothing (returns false).
 */
export async function writeAudit(tx: Tx, actor: AuditActor, entry: AuditEntry): Promise<boolean> {
  let before = entry.before ? plain(entry.before) : null;
  let after = entry.after ? plain(entry.after) : null;
  if (before && after) {
    const diff = changedFields(before, after);
    if (!diff) return false;
    ({ before, after } = diff);
  }
  await tx.insert(auditLog).values({
    actorUserId: actor.userId,
    actorLabel: actor.label,
    action: entry.action,
    objectKind: entry.objectKind,
    objectId: entry.objectId,
    objectLabel: entry.objectLabel,
    before,
    after,
    requestId: actor.requestId ?? null,
    ip: actor.ip ?? null,
  });
  return true;
}

/** The system's own changes (bootstrap, scheduled jobs). */
export const SYSTEM_ACTOR: AuditActor = { userId: null, label: "système" };
