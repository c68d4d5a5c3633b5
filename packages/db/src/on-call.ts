import { slotCovering, weekMinuteAt } from "@pris/domain";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Tx } from "./client.ts";
import { users } from "./schema.ts";
import { onCallSlots } from "./schema-admin.ts";

/** A person of the rota, as pages and e-mails need them. */
export interface OnCallPerson {
  id: string;
  email: string;
  displayName: string;
  phone: string | null;
  role: string;
  active: boolean;
}

export interface OnCallSlotRow {
  id: string;
  startMinute: number;
  endMinute: number;
  primary: OnCallPerson;
  backup: OnCallPerson | null;
  note: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const primaryUser = alias(users, "primary_user");
const backupUser = alias(users, "backup_user");

const person = <U extends typeof users | typeof primaryUser | typeof backupUser>(u: U) => ({
  id: u.id,
  email: u.email,
  displayName: u.displayName,
  phone: u.phone,
  role: u.role,
  active: u.active,
});

/** The rota's slots in the order of the week, with their people; `ids` narrows to some slots. */
export async function listOnCallSlots(tx: Tx, ids?: string[]): Promise<OnCallSlotRow[]> {
  const rows = await tx
    .select({
      id: onCallSlots.id,
      startMinute: onCallSlots.startMinute,
      endMinute: onCallSlots.endMinute,
      note: onCallSlots.note,
      createdAt: onCallSlots.createdAt,
      updatedAt: onCallSlots.updatedAt,
      primary: person(primaryUser),
      backup: person(backupUser),
    })
    .from(onCallSlots)
    .innerJoin(primaryUser, eq(primaryUser.id, onCallSlots.primaryUserId))
    .leftJoin(backupUser, eq(backupUser.id, onCallSlots.backupUserId))
    .where(ids ? inArray(onCallSlots.id, ids) : undefined)
    .orderBy(asc(onCallSlots.startMinute));
  // A left join's columns come back as one null object when the slot has no backup.
  return rows.map((r) => ({
    ...r,
    primary: r.primary as OnCallPerson,
    backup: r.backup?.id ? (r.backup as OnCallPerson) : null,
  }));
}

/** The slots that share a minute with [start, end), but `exceptId`: what the no-overlap constraint refuses. */
export async function overlappingOnCallSlots(
  tx: Tx,
  span: { startMinute: number; endMinute: number },
  exceptId?: string,
): Promise<OnCallSlotRow[]> {
  const rows = await tx
    .select({ id: onCallSlots.id })
    .from(onCallSlots)
    .where(
      and(
        sql`int4range(${onCallSlots.startMinute}, ${onCallSlots.endMinute}) && int4range(${span.startMinute}::int, ${span.endMinute}::int)`,
        exceptId ? sql`${onCallSlots.id} <> ${exceptId}` : undefined,
      ),
    );
  return rows.length > 0
    ? listOnCallSlots(
        tx,
        rows.map((r) => r.id),
      )
    : [];
}

/** The rota's slot in force at an instant: the minute of the week the region's clocks then show. */
export async function onCallSlotAt(tx: Tx, at: Date, timeZone: string): Promise<OnCallSlotRow | undefined> {
  const minute = weekMinuteAt(at, timeZone);
  const slots = await tx
    .select({ id: onCallSlots.id, startMinute: onCallSlots.startMinute, endMinute: onCallSlots.endMinute })
    .from(onCallSlots)
    .where(and(sql`${onCallSlots.startMinute} <= ${minute}`, sql`${onCallSlots.endMinute} > ${minute}`));
  const slot = slotCovering(slots, minute);
  if (!slot) return undefined;
  const [row] = await listOnCallSlots(tx, [slot.id]);
  return row;
}

/** Who is on duty and who is the backup at an instant: the rota's slot in force, and its usable people. */
export interface OnCallAt {
  slot: OnCallSlotRow | undefined;
  primary: OnCallPerson | null;
  backup: OnCallPerson | null;
}

const usable = (p: OnCallPerson | null | undefined): p is OnCallPerson =>
  Boolean(p?.active && p.role === "analyst");

/**
 * Who is on duty and who is the backup at instant `at`: the rota's slot covering it, its people if they
 * are still active analysts. Nobody (no slot in force, or its people gone): the caller decides (the worker
 * then speaks to every active analyst).
 */
export async function onCallAt(tx: Tx, at: Date, timeZone: string): Promise<OnCallAt> {
  const slot = await onCallSlotAt(tx, at, timeZone);
  const fromRota = (p: OnCallPerson | null | undefined) => (usable(p) ? p : null);
  return { slot, primary: fromRota(slot?.primary), backup: fromRota(slot?.backup) };
}
