import { establishments, onCallAt, type Tx, users } from "@pris/db";
import type { TimerKind } from "@pris/domain";
import { and, eq, inArray, isNotNull, or, type SQL } from "drizzle-orm";

export interface Recipient {
  id: string;
  email: string;
}

interface IncidentPeople {
  establishmentId: string;
  assigneeUserId: string | null;
}

const active = eq(users.active, true);

async function select(tx: Tx, where: SQL | undefined): Promise<Recipient[]> {
  return tx
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(and(active, where))
    .orderBy(users.id);
}

const analysts = (tx: Tx) => select(tx, eq(users.role, "analyst"));

/** Who the rota has on duty and as backup at the instant the timer fires. */
async function onDuty(tx: Tx, roster: Roster): Promise<{ primary: Recipient[]; backup: Recipient[] }> {
  const people = await onCallAt(tx, roster.at, roster.timeZone);
  const one = (p: Recipient | null) => (p ? [{ id: p.id, email: p.email }] : []);
  return { primary: one(people.primary), backup: one(people.backup) };
}

/** The instant a timer fires and the region's zone, in which the rota's week is read. */
export interface Roster {
  at: Date;
  timeZone: string;
}

async function assignee(tx: Tx, incident: IncidentPeople): Promise<Recipient[]> {
  return incident.assigneeUserId ? select(tx, eq(users.id, incident.assigneeUserId)) : [];
}

/** The establishment's RSSIs: attached to it, or to its GHT (a GHT's RSSI covers its members). */
export async function establishmentRssis(tx: Tx, establishmentId: string): Promise<Recipient[]> {
  const [est] = await tx
    .select({ ghtId: establishments.ghtId })
    .from(establishments)
    .where(eq(establishments.id, establishmentId));
  const attached = est?.ghtId
    ? or(eq(users.establishmentId, establishmentId), and(isNotNull(users.ghtId), eq(users.ghtId, est.ghtId)))
    : eq(users.establishmentId, establishmentId);
  return select(tx, and(eq(users.role, "rssi"), attached));
}

function union(...groups: Recipient[][]): Recipient[] {
  const seen = new Map<string, Recipient>();
  for (const r of groups.flat()) if (!seen.has(r.id)) seen.set(r.id, r);
  return [...seen.values()];
}

async function orAllAnalysts(tx: Tx, people: Recipient[]): Promise<Recipient[]> {
  return people.length > 0 ? people : analysts(tx);
}

/**
 * Who a timer speaks to, among active users:
 * - a service level about to be missed: the analyst on duty when it fires (the rota's slot covering
 *   that instant, if its people are still active analysts), else every analyst;
 * - missed: the backup of that moment (likewise), else every analyst, and the one on duty too;
 * - a follow-up date: the assignee, else every analyst;
 * - a regulatory clock: the establishment's RSSIs and the assignee.
 */
export async function timerRecipients(
  tx: Tx,
  kind: TimerKind,
  incident: IncidentPeople,
  roster: Roster,
): Promise<Recipient[]> {
  switch (kind) {
    case "sla.remind":
      return orAllAnalysts(tx, (await onDuty(tx, roster)).primary);
    case "sla.missed": {
      const { primary, backup } = await onDuty(tx, roster);
      return union(await orAllAnalysts(tx, backup), primary);
    }
    case "followup.due":
      return orAllAnalysts(tx, await assignee(tx, incident));
    case "clock.remind":
    case "clock.overdue":
      return union(await establishmentRssis(tx, incident.establishmentId), await assignee(tx, incident));
  }
}

/** The task force and the ARS: who is mobilised when an incident is raised to P1. */
export async function escalationRecipients(tx: Tx): Promise<Recipient[]> {
  return select(tx, inArray(users.role, ["taskforce", "ars"]));
}
