import { establishments, type Tx, users } from "@pris/db";
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
const onDuty = (tx: Tx, duty: "primary" | "backup") => select(tx, eq(users.duty, duty));

async function assignee(tx: Tx, incident: IncidentPeople): Promise<Recipient[]> {
  return incident.assigneeUserId ? select(tx, eq(users.id, incident.assigneeUserId)) : [];
}

/** The establishment's RSSIs: attached to it, or to its GHT (a GHT's RSSI covers its members). */
async function rssis(tx: Tx, establishmentId: string): Promise<Recipient[]> {
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
 * - a service level about to be missed: the on-duty analyst (duty "primary"), else every analyst;
 * - missed: the backup (duty "backup"), else every analyst, and the on-duty analyst too;
 * - a follow-up date: the assignee, else every analyst;
 * - a regulatory clock: the establishment's RSSIs and the assignee.
 */
export async function timerRecipients(
  tx: Tx,
  kind: TimerKind,
  incident: IncidentPeople,
): Promise<Recipient[]> {
  switch (kind) {
    case "sla.remind":
      return orAllAnalysts(tx, await onDuty(tx, "primary"));
    case "sla.missed":
      return union(await orAllAnalysts(tx, await onDuty(tx, "backup")), await onDuty(tx, "primary"));
    case "followup.due":
      return orAllAnalysts(tx, await assignee(tx, incident));
    case "clock.remind":
    case "clock.overdue":
      return union(await rssis(tx, incident.establishmentId), await assignee(tx, incident));
  }
}

/** The task force and the ARS: who is mobilised when an incident is raised to P1. */
export async function escalationRecipients(tx: Tx): Promise<Recipient[]> {
  return select(tx, inArray(users.role, ["taskforce", "ars"]));
}
