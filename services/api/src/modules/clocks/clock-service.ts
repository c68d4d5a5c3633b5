import {
  appendLogEntry,
  type Db,
  establishments,
  incidentClocks,
  incidentLog,
  incidents,
  type Tx,
  users,
  writeOutbox,
} from "@pris/db";
import {
  addOneMonth,
  CLOCK_KINDS,
  CLOCK_LABELS,
  CLOCK_STATE_LABELS,
  type ClockKind,
  type ClockRecord,
  type ClockView,
  clockState,
  computeClocks,
  type IncidentStatus,
  incidentMessage,
  isOpen,
  type Nis2Status,
  type NotificationExport,
  type ReportKind,
  type Severity,
  type Tlp,
  type YesNoUnknown,
} from "@pris/domain";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Principal } from "../../auth/principal.ts";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../../errors.ts";
import { incidentScope } from "../incidents/incident-service.ts";
import { toClockView } from "../incidents/incident-views.ts";
import { nextDeadlineOf } from "../incidents/workflow-service.ts";

export interface ClockSettings {
  timeZone: string;
  nationalPortalDueHours: number;
}

/** A clock recorded a little in the future is a clock skew; more is a mistake. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

/** Who records what was notified: the pole, and the establishment itself for its own incidents. */
function mayRecord(principal: Principal): boolean {
  return principal.role === "analyst" || principal.role === "rssi" || principal.role === "api_key";
}

function actor(principal: Principal) {
  return principal.kind === "user" ? { actorUserId: principal.id } : { actorApiKeyId: principal.id };
}

/** The incident row, locked for this transaction, if the caller may see it. */
export async function lockIncident(tx: Tx, principal: Principal, id: string) {
  const [row] = await tx
    .select()
    .from(incidents)
    .where(and(eq(incidents.id, id), incidentScope(principal)))
    .for("update");
  if (!row) throw new NotFoundError("Incident");
  return row;
}

/**
 * Recomputes the incident's nearest open deadline (the queue sorts on it) and tells the worker, which
 * re-plans reminders, that the incident's clocks or observables changed. Callers hold the row lock.
 */
export async function incidentChanged(
  tx: Tx,
  incident: Pick<typeof incidents.$inferSelect, "id" | "ackDueAt" | "acknowledgedAt" | "status">,
  now: Date,
) {
  await tx
    .update(incidents)
    .set({ nextDeadlineAt: await nextDeadlineOf(tx, incident), updatedAt: now })
    .where(eq(incidents.id, incident.id));
  await writeOutbox(tx, incidentMessage("incident.changed", incident.id));
}

/** Whether a progress report was filed on the incident's NIS2 final-report clock. */
async function progressReportFiled(tx: Tx, incidentId: string): Promise<boolean> {
  const entries = await tx
    .select({ body: incidentLog.body })
    .from(incidentLog)
    .where(and(eq(incidentLog.incidentId, incidentId), eq(incidentLog.kind, "clock_recorded")));
  return entries.some((e) => e.body.clock === "nis2_final_report" && e.body.report === "progress");
}

/**
 * The NIS2 final report after a progress report is owed one month after the incident ends. The
 * lifecycle calls this when it closes an incident; recording the final report applies it too.
 */
export async function retimeFinalReportOnClose(
  tx: Tx,
  incidentId: string,
  closedAt: Date,
  timeZone: string,
): Promise<boolean> {
  if (!(await progressReportFiled(tx, incidentId))) return false;
  const updated = await tx
    .update(incidentClocks)
    .set({ startsAt: closedAt, dueAt: addOneMonth(closedAt, timeZone), provisional: false })
    .where(
      and(
        eq(incidentClocks.incidentId, incidentId),
        eq(incidentClocks.kind, "nis2_final_report"),
        eq(incidentClocks.provisional, true),
      ),
    )
    .returning({ id: incidentClocks.id });
  return updated.length > 0;
}

/**
 * Records that an obligation was met (or corrects an earlier record): one transaction with the log
 * entry, the incident's next deadline and the worker's `incident.changed`.
 *
 * NIS2 final report: `report: "progress"` while the incident is open records a progress report; the
 * clock stays open, re-timed one month after it (provisional: the final report is owed one month
 * after the incident ends, and the pole follows up monthly until then). Once the incident is closed,
 * the final report is due one month after the closure.
 */
export async function recordClock(
  db: Db,
  settings: ClockSettings,
  principal: Principal,
  incidentId: string,
  kind: ClockKind,
  input: ClockRecord,
  now = new Date(),
): Promise<ClockView> {
  if (!mayRecord(principal)) throw new ForbiddenError("Your role does not record notifications");
  const doneAt = new Date(input.doneAt);
  if (doneAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
    throw new ValidationError([{ field: "/doneAt", message: "is in the future" }]);
  }
  const report: ReportKind | null = kind === "nis2_final_report" ? (input.report ?? "final") : null;
  if (input.report && kind !== "nis2_final_report") {
    throw new ValidationError([{ field: "/report", message: "applies only to the NIS2 final report" }]);
  }

  return db.transaction(async (tx) => {
    const incident = await lockIncident(tx, principal, incidentId);
    const clocks = await tx.select().from(incidentClocks).where(eq(incidentClocks.incidentId, incidentId));
    const clock = clocks.find((c) => c.kind === kind);
    if (!clock) throw new NotFoundError("Clock");
    if (doneAt.getTime() < incident.detectedAt.getTime()) {
      throw new ValidationError([
        { field: "/doneAt", message: "is before the establishment became aware of the incident" },
      ]);
    }

    let { startsAt, dueAt, provisional } = clock;
    if (kind === "nis2_final_report") {
      const notification = clocks.find((c) => c.kind === "nis2_notification");
      if (!notification?.doneAt) {
        throw new ConflictError(
          "notification_not_recorded",
          "Record the NIS2 incident notification first: the final report is due one month after it",
        );
      }
      if (doneAt.getTime() < notification.doneAt.getTime()) {
        throw new ValidationError([{ field: "/doneAt", message: "is before the NIS2 notification" }]);
      }
      const open = isOpen(incident.status as IncidentStatus);
      if (report === "progress" && !open) {
        throw new ConflictError(
          "incident_closed",
          "The incident is closed: record the final report, not a progress report",
        );
      }
      if (report === "final" && !open && incident.closedAt && (await progressReportFiled(tx, incidentId))) {
        startsAt = incident.closedAt;
        dueAt = addOneMonth(incident.closedAt, settings.timeZone);
        provisional = false;
      }
    }

    const late = doneAt.getTime() > dueAt.getTime();
    if (late && !input.lateReason) {
      throw new ValidationError([
        {
          field: "/lateReason",
          message: "is required: the obligation was met after its due time, say why (GDPR art. 33(1))",
        },
      ]);
    }

    const recorded = {
      reference: input.reference ?? null,
      authority: input.authority,
      note: input.note ?? null,
      lateReason: late ? (input.lateReason ?? null) : null,
      recordedByUserId: principal.kind === "user" ? principal.id : null,
    };
    let updated: typeof incidentClocks.$inferSelect;
    if (report === "progress") {
      // The final report is still owed; the progress report's details stay on the row and in the log.
      [updated] = (await tx
        .update(incidentClocks)
        .set({
          ...recorded,
          doneAt: null,
          startsAt: doneAt,
          dueAt: addOneMonth(doneAt, settings.timeZone),
          provisional: true,
        })
        .where(eq(incidentClocks.id, clock.id))
        .returning()) as [typeof incidentClocks.$inferSelect];
    } else {
      [updated] = (await tx
        .update(incidentClocks)
        // Done: its due time is settled, whatever it depended on.
        .set({
          ...recorded,
          doneAt,
          startsAt,
          dueAt,
          provisional: kind === "nis2_final_report" ? false : provisional,
        })
        .where(eq(incidentClocks.id, clock.id))
        .returning()) as [typeof incidentClocks.$inferSelect];
    }

    if (kind === "nis2_notification") await retimeFinalReport(tx, settings, incident, clocks, doneAt);
    if (kind === "national_portal") {
      await tx
        .update(incidents)
        .set({
          nationalPortalDeclared: true,
          nationalPortalDeclaredAt: doneAt,
          nationalPortalReference: input.reference ?? incident.nationalPortalReference,
        })
        .where(eq(incidents.id, incidentId));
    }

    const view = toClockView(updated, now);
    await appendLogEntry(tx, {
      incidentId,
      kind: "clock_recorded",
      visibility: "shared",
      body: {
        clock: kind,
        label: CLOCK_LABELS[kind].label,
        report,
        doneAt: doneAt.toISOString(),
        dueAt: (report === "progress" ? clock.dueAt : updated.dueAt).toISOString(),
        authority: recorded.authority,
        reference: recorded.reference,
        note: recorded.note,
        lateReason: recorded.lateReason,
        correction: clock.doneAt !== null,
        by: principal.kind === "user" ? principal.displayName : principal.name,
      },
      at: now,
      ...actor(principal),
    });
    await incidentChanged(tx, incident, now);
    return view;
  });
}

/** The final report is due one month after the notification, in the region's zone (no longer provisional). */
async function retimeFinalReport(
  tx: Tx,
  settings: ClockSettings,
  incident: typeof incidents.$inferSelect,
  clocks: (typeof incidentClocks.$inferSelect)[],
  notifiedAt: Date,
) {
  const final = clocks.find((c) => c.kind === "nis2_final_report");
  // Once a progress report was filed, the final report follows the incident's end, not the notification.
  if (!final || final.doneAt || (await progressReportFiled(tx, incident.id))) return;
  const [establishment] = await tx
    .select({ nis2Status: establishments.nis2Status })
    .from(establishments)
    .where(eq(establishments.id, incident.establishmentId));
  const recomputed = computeClocks(
    {
      awareAt: incident.detectedAt,
      personalDataBreach: incident.personalDataBreach as YesNoUnknown,
      // The clock exists, so the incident is subject to NIS2 whatever the registry says today.
      nis2Status: (establishment?.nis2Status === "not_subject"
        ? "important"
        : establishment?.nis2Status) as Nis2Status,
      done: { nis2_notification: notifiedAt },
    },
    settings,
  ).find((c) => c.kind === "nis2_final_report")!;
  await tx
    .update(incidentClocks)
    .set({ startsAt: recomputed.startsAt, dueAt: recomputed.dueAt, provisional: recomputed.provisional })
    .where(eq(incidentClocks.id, final.id));
}

/** Who may read the regulator export: the pole, and the establishment for its own incidents. */
function mayExport(principal: Principal): boolean {
  return mayRecord(principal);
}

/** "What was notified to whom and when": every clock with its record and the history of submissions. */
export async function notificationExport(
  db: Db,
  settings: ClockSettings,
  principal: Principal,
  incidentId: string,
  now = new Date(),
): Promise<NotificationExport> {
  if (!mayExport(principal)) throw new ForbiddenError("Your role does not read the regulator export");
  const [found] = await db
    .select({ incident: incidents, name: establishments.name, finess: establishments.finess })
    .from(incidents)
    .innerJoin(establishments, eq(establishments.id, incidents.establishmentId))
    .where(and(eq(incidents.id, incidentId), incidentScope(principal)));
  if (!found) throw new NotFoundError("Incident");
  const [clocks, entries] = await Promise.all([
    db
      .select()
      .from(incidentClocks)
      .where(eq(incidentClocks.incidentId, incidentId))
      .orderBy(asc(incidentClocks.dueAt)),
    db
      .select({
        at: incidentLog.at,
        body: incidentLog.body,
        userName: users.displayName,
      })
      .from(incidentLog)
      .leftJoin(users, eq(users.id, incidentLog.actorUserId))
      .where(and(eq(incidentLog.incidentId, incidentId), inArray(incidentLog.kind, ["clock_recorded"])))
      .orderBy(asc(incidentLog.seq)),
  ]);
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  const { incident } = found;
  return {
    reference: incident.reference,
    title: incident.title,
    tlp: incident.tlp as Tlp,
    establishment: { name: found.name, finess: found.finess },
    severity: incident.severity as Severity,
    status: incident.status as IncidentStatus,
    declarant: incident.declarant,
    detectedAt: incident.detectedAt.toISOString(),
    declaredAt: incident.declaredAt.toISOString(),
    timeZone: settings.timeZone,
    generatedAt: now.toISOString(),
    notifications: clocks
      .sort(
        (a, b) =>
          a.dueAt.getTime() - b.dueAt.getTime() || CLOCK_KINDS.indexOf(a.kind) - CLOCK_KINDS.indexOf(b.kind),
      )
      .map((c) => {
        const { kind } = c;
        const state = clockState(c, now);
        return {
          kind,
          obligation: CLOCK_LABELS[kind],
          startsAt: c.startsAt.toISOString(),
          dueAt: c.dueAt.toISOString(),
          provisional: c.provisional,
          doneAt: c.doneAt?.toISOString() ?? null,
          authority: c.authority,
          reference: c.reference,
          note: c.note,
          lateReason: c.lateReason,
          state,
          stateLabel: CLOCK_STATE_LABELS[state],
          submissions: entries
            .filter((e) => e.body.clock === kind && typeof e.body.doneAt === "string")
            .map((e) => ({
              recordedAt: e.at.toISOString(),
              doneAt: e.body.doneAt as string,
              report: (str(e.body.report) as ReportKind | null) ?? null,
              authority: str(e.body.authority) ?? "",
              reference: str(e.body.reference),
              note: str(e.body.note),
              lateReason: str(e.body.lateReason),
              recordedBy: str(e.body.by) ?? e.userName ?? "",
            })),
        };
      }),
  };
}
