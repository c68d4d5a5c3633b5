import {
  type Db,
  incidentClocks,
  incidentLog,
  incidents,
  mailDeliveries,
  onCallSlots,
  outbox,
  outboxValues,
  timers,
} from "@pris/db";
import { type ClockKind, type IncidentTopic, incidentMessage } from "@pris/domain";
import { and, eq, inArray, sql } from "drizzle-orm";

type IncidentChange = Partial<typeof incidents.$inferInsert>;

/**
 * What the API commits on a change: the incident's new state and its outbox rows, together.
 * `incident.changed` always; others (`incident.escalated`) when asked.
 */
export async function changeIncident(
  db: Db,
  incidentId: string,
  change: IncidentChange,
  extraTopics: IncidentTopic[] = [],
): Promise<{ outboxIds: string[] }> {
  return db.transaction(async (tx) => {
    if (Object.keys(change).length > 0) {
      await tx
        .update(incidents)
        .set({ ...change, updatedAt: sql`now()` })
        .where(eq(incidents.id, incidentId));
    }
    const rows = await tx
      .insert(outbox)
      .values(
        (["incident.changed", ...extraTopics] as const).map((topic) =>
          outboxValues(incidentMessage(topic, incidentId)),
        ),
      )
      .returning({ id: outbox.id });
    return { outboxIds: rows.map((r) => r.id) };
  });
}

export interface RotaSlot {
  startMinute: number;
  endMinute: number;
  primaryUserId: string;
  backupUserId?: string | null;
}

/** Replaces the pole's whole rota with these slots (minutes of the week, region's zone). */
export async function setRota(db: Db, slots: RotaSlot[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(onCallSlots);
    if (slots.length > 0) await tx.insert(onCallSlots).values(slots);
  });
}

/** One slot all week long: this analyst on duty, that one the backup. */
export async function setOnCall(db: Db, primaryUserId: string, backupUserId: string | null): Promise<void> {
  await setRota(db, [{ startMinute: 0, endMinute: 10080, primaryUserId, backupUserId }]);
}

export async function addClock(
  db: Db,
  incidentId: string,
  kind: ClockKind,
  window: { startsAt: Date; dueAt: Date },
): Promise<string> {
  const [row] = await db
    .insert(incidentClocks)
    .values({ incidentId, kind, startsAt: window.startsAt, dueAt: window.dueAt })
    .returning({ id: incidentClocks.id });
  return row!.id;
}

/** An incident's timers, whatever their subject (the incident or one of its clocks). */
export async function timersOf(db: Db, incidentId: string) {
  return db
    .select()
    .from(timers)
    .where(sql`${timers.payload}->>'incidentId' = ${incidentId}`)
    .orderBy(timers.dueAt, timers.kind);
}

/** The deliveries created for an incident's timers. */
export async function timerDeliveriesOf(db: Db, incidentId: string) {
  const ids = (await timersOf(db, incidentId)).map((t) => t.id);
  if (ids.length === 0) return [];
  return db.select().from(mailDeliveries).where(inArray(mailDeliveries.subjectId, ids));
}

/** Notification entries of the main courante written for timers. */
export async function timerLogEntries(db: Db, incidentId: string) {
  return db
    .select()
    .from(incidentLog)
    .where(
      and(
        eq(incidentLog.incidentId, incidentId),
        eq(incidentLog.kind, "notification"),
        sql`${incidentLog.body} ? 'timer'`,
      ),
    )
    .orderBy(incidentLog.seq);
}

export const minutesFromNow = (minutes: number) => new Date(Date.now() + minutes * 60_000);
