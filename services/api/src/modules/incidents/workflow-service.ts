import { appendLogEntry, type Db, incidentClocks, incidents, type Tx, users, writeOutbox } from "@pris/db";
import {
  ackDueAt,
  allowedActions,
  closureErrors,
  type FieldError,
  type IncidentAction,
  type IncidentStatus,
  incidentMessage,
  isOpen,
  isRsitPair,
  mayWorkOnIncident,
  messageSharedMessage,
  nextDeadline,
  nextStatus,
  type QualificationPatch,
  type ServiceLevels,
  type TransitionRequest,
  type UserRef,
  WAITING_STATUSES,
  type WorkingStatus,
} from "@pris/domain";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Principal } from "../../auth/principal.ts";
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  TransitionNotAllowedError,
  ValidationError,
} from "../../errors.ts";
import { retimeFinalReportOnClose } from "../clocks/clock-service.ts";
import { incidentScope } from "./incident-service.ts";
import { actionsFor } from "./incident-views.ts";

export type IncidentRow = typeof incidents.$inferSelect;
type Worker = Extract<Principal, { kind: "user" }>;

/**
 * Locks the incidents (in the caller's scope) for the rest of the transaction, in id order so that
 * two transactions locking the same pair (a merge each way) cannot deadlock. Missing ids are out of
 * scope or do not exist.
 */
export async function lockIncidents(tx: Tx, principal: Principal, ids: string[]) {
  const rows = await tx
    .select()
    .from(incidents)
    .where(and(inArray(incidents.id, [...new Set(ids)]), incidentScope(principal)))
    .orderBy(asc(incidents.id))
    .for("update");
  return new Map(rows.map((r) => [r.id, r]));
}

export async function lockIncident(tx: Tx, principal: Principal, id: string): Promise<IncidentRow> {
  const row = (await lockIncidents(tx, principal, [id])).get(id);
  if (!row) throw new NotFoundError("Incident");
  return row;
}

/** The pole works incidents; the establishment, the ARS and a task force not yet mobilised only read. */
export function requireWorker(principal: Principal, row: Pick<IncidentRow, "crisisCell">): Worker {
  if (principal.kind !== "user" || !mayWorkOnIncident(principal.role, row)) {
    throw new ForbiddenError(
      row.crisisCell || principal.role !== "taskforce"
        ? "Only the regional cyber pole works on incidents"
        : "The task force acts once the crisis cell is open",
    );
  }
  return principal;
}

function requireOpen(principal: Principal, row: IncidentRow) {
  if (!isOpen(row.status as IncidentStatus)) {
    throw new ConflictError("incident_not_open", `The incident is ${row.status}`, {
      allowed: actionsFor(principal.role, row),
    });
  }
}

export function actorOf(principal: Principal) {
  return principal.kind === "user" ? { actorUserId: principal.id } : { actorApiKeyId: principal.id };
}

/**
 * The nearest open deadline the queue sorts on: the acknowledgement service level while nobody has
 * acknowledged an open incident, and the regulatory clocks not yet done. A rejected incident (not an
 * incident) or a merged one (its duplicate carries the work) has none; a closed one keeps its pending
 * regulatory clocks, which the law does not suspend.
 */
export async function nextDeadlineOf(
  tx: Tx,
  row: Pick<IncidentRow, "id" | "status" | "ackDueAt" | "acknowledgedAt">,
): Promise<Date | null> {
  if (row.status === "rejected" || row.status === "merged") return null;
  const clocks = await tx
    .select({ dueAt: incidentClocks.dueAt, doneAt: incidentClocks.doneAt })
    .from(incidentClocks)
    .where(eq(incidentClocks.incidentId, row.id));
  const acknowledged = row.acknowledgedAt !== null || !isOpen(row.status as IncidentStatus);
  return nextDeadline(row.ackDueAt, acknowledged, clocks);
}

async function userRef(tx: Tx, id: string | null): Promise<UserRef | null> {
  if (!id) return null;
  const [u] = await tx.select({ id: users.id, name: users.displayName }).from(users).where(eq(users.id, id));
  return u ?? { id, name: "" };
}

const waiting = new Set<string>(WAITING_STATUSES);

/**
 * Applies one lifecycle action: checked by the domain's state machine, written with its main-courante
 * entry and the outbox row that makes the worker re-plan its timers, in one transaction that holds
 * the incident's row lock.
 */
export async function transitionIncident(
  db: Db,
  principal: Principal,
  id: string,
  request: TransitionRequest,
  timeZone: string,
  now = new Date(),
): Promise<void> {
  await db.transaction(async (tx) => {
    const locked = await lockIncidents(
      tx,
      principal,
      request.action === "merge" ? [id, request.mergeInto] : [id],
    );
    const row = locked.get(id);
    if (!row) throw new NotFoundError("Incident");
    const actor = requireWorker(principal, row);
    const from = row.status as IncidentStatus;
    const context = { previousStatus: row.previousStatus as WorkingStatus | null };
    const to = nextStatus(from, request.action, context);
    if (!to) throw new TransitionNotAllowedError(from, request.action, allowedActions(from, context));

    const patch: Partial<IncidentRow> = { status: to, updatedAt: now };
    const body: Record<string, unknown> = { action: request.action, from, to };
    if (request.note) body.note = request.note;
    let visibility: "shared" | "internal" = "shared";
    let mergeTarget: IncidentRow | undefined;

    if (waiting.has(to)) {
      // Only reachable from a working status: the one to resume to.
      patch.previousStatus = from;
    } else {
      patch.previousStatus = null;
      patch.followUpAt = null;
    }
    switch (request.action) {
      case "acknowledge":
      case "investigate":
        if (!row.acknowledgedAt) patch.acknowledgedAt = now;
        break;
      case "contain":
      case "recover":
      case "monitor":
        // Reaching recovery or monitoring means it was contained by then, if not recorded earlier.
        if (!row.containedAt) patch.containedAt = now;
        break;
      case "wait_establishment":
      case "wait_third_party": {
        const followUp = new Date(request.followUpAt);
        if (!(followUp.getTime() > now.getTime())) {
          throw new ValidationError([{ field: "/followUpAt", message: "must be in the future" }]);
        }
        patch.followUpAt = followUp;
        body.followUpAt = followUp.toISOString();
        if (request.reason) body.reason = request.reason;
        break;
      }
      case "close": {
        const errors = closureErrors(request.closure);
        if (errors.length > 0) throw new ValidationError(errors);
        patch.closure = { ...request.closure };
        patch.closedAt = now;
        patch.rsitClass = request.closure.rsitClass;
        patch.rsitType = request.closure.rsitType;
        body.closure = { ...request.closure };
        break;
      }
      case "reject":
        body.reason = request.reason;
        break;
      case "reopen":
        patch.closedAt = null;
        patch.closure = null;
        body.reason = request.reason;
        break;
      case "merge": {
        const errors: FieldError[] = [];
        mergeTarget = locked.get(request.mergeInto);
        if (request.mergeInto === id)
          errors.push({ field: "/mergeInto", message: "is this incident itself" });
        else if (!mergeTarget)
          errors.push({ field: "/mergeInto", message: "is not an incident you can see" });
        else if (!isOpen(mergeTarget.status as IncidentStatus)) {
          errors.push({
            field: "/mergeInto",
            message: `is ${mergeTarget.status}: merge into an open incident`,
          });
        }
        if (errors.length > 0) throw new ValidationError(errors);
        patch.mergedIntoId = mergeTarget!.id;
        body.mergeInto = { id: mergeTarget!.id, reference: mergeTarget!.reference };
        // It names another incident, maybe another establishment's: the pole's eyes only.
        visibility = "internal";
        break;
      }
      case "resume":
        break;
    }
    // After a NIS2 progress report, the final report is due one month after the incident's end.
    if (request.action === "close") await retimeFinalReportOnClose(tx, id, now, timeZone);
    const next = { ...row, ...patch };
    patch.nextDeadlineAt = await nextDeadlineOf(tx, next);
    await tx.update(incidents).set(patch).where(eq(incidents.id, id));
    const entry = await appendLogEntry(tx, {
      incidentId: id,
      kind: "status_changed",
      visibility,
      body,
      actorUserId: actor.id,
      at: now,
    });
    await writeOutbox(tx, incidentMessage("incident.changed", id));
    // Waiting on the establishment is a question to it: its RSSIs are told by e-mail.
    if (request.action === "wait_establishment") await writeOutbox(tx, messageSharedMessage(id, entry.id));
    if (mergeTarget) {
      await appendLogEntry(tx, {
        incidentId: mergeTarget.id,
        kind: "merged_from",
        visibility: "internal",
        body: { incident: { id: row.id, reference: row.reference } },
        actorUserId: actor.id,
        at: now,
      });
      await tx.update(incidents).set({ updatedAt: now }).where(eq(incidents.id, mergeTarget.id));
      await writeOutbox(tx, incidentMessage("incident.changed", mergeTarget.id));
    }
  });
}

export type AssigneeChange = { via: "claim" } | { via: "assign"; userId: string } | { via: "unassign" };

/**
 * Claim (the caller takes it; claiming a new incident also acknowledges it), assign to a member of
 * the pole, or unassign. Setting what is already set writes nothing.
 */
export async function changeAssignee(
  db: Db,
  principal: Principal,
  id: string,
  change: AssigneeChange,
  now = new Date(),
): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await lockIncident(tx, principal, id);
    const actor = requireWorker(principal, row);
    requireOpen(principal, row);
    let assigneeId: string | null;
    if (change.via === "claim") assigneeId = actor.id;
    else if (change.via === "unassign") assigneeId = null;
    else {
      const [user] = await tx
        .select({ id: users.id, role: users.role, active: users.active })
        .from(users)
        .where(eq(users.id, change.userId));
      if (!user?.active || !mayWorkOnIncident(user.role, row)) {
        throw new ValidationError([
          {
            field: "/userId",
            message: row.crisisCell
              ? "is not an active analyst or task-force member"
              : "is not an active analyst",
          },
        ]);
      }
      assigneeId = user.id;
    }
    const acknowledges = change.via === "claim" && row.status === "new";
    const reassigned = assigneeId !== row.assigneeUserId;
    if (!reassigned && !acknowledges) return;

    const patch: Partial<IncidentRow> = { assigneeUserId: assigneeId, updatedAt: now };
    if (acknowledges) {
      patch.status = nextStatus("new", "acknowledge")!;
      if (!row.acknowledgedAt) patch.acknowledgedAt = now;
      patch.nextDeadlineAt = await nextDeadlineOf(tx, { ...row, ...patch });
    }
    await tx.update(incidents).set(patch).where(eq(incidents.id, id));
    if (reassigned) {
      await appendLogEntry(tx, {
        incidentId: id,
        kind: "assigned",
        visibility: "internal",
        body: {
          via: change.via,
          assignee: await userRef(tx, assigneeId),
          previous: await userRef(tx, row.assigneeUserId),
          ...(acknowledges ? { acknowledged: true } : {}),
        },
        actorUserId: actor.id,
        at: now,
      });
    }
    if (acknowledges) {
      await appendLogEntry(tx, {
        incidentId: id,
        kind: "status_changed",
        visibility: "shared",
        body: { action: "acknowledge" satisfies IncidentAction, from: "new", to: patch.status, via: "claim" },
        actorUserId: actor.id,
        at: now,
      });
    }
    await writeOutbox(tx, incidentMessage("incident.changed", id));
  });
}

/**
 * Severity (an override states why), RSIT classification and TLP. Making or confirming P1 opens the
 * crisis cell: the task force gains access and the worker e-mails it and the ARS.
 */
export async function qualifyIncident(
  db: Db,
  principal: Principal,
  id: string,
  request: QualificationPatch,
  serviceLevels: ServiceLevels,
  now = new Date(),
): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await lockIncident(tx, principal, id);
    const actor = requireWorker(principal, row);
    requireOpen(principal, row);

    const errors: FieldError[] = [];
    const severityChanges = request.severity !== undefined && request.severity !== row.severity;
    if (severityChanges && !request.reason) {
      errors.push({ field: "/reason", message: "is required when the severity changes" });
    }
    const rsitClass = request.rsitClass ?? row.rsitClass;
    const rsitType = request.rsitType ?? row.rsitType;
    if (!isRsitPair(rsitClass, rsitType)) {
      errors.push({
        field: request.rsitType ? "/rsitType" : "/rsitClass",
        message: `${rsitType} is not a type of the class ${rsitClass}`,
      });
    }
    if (errors.length > 0) throw new ValidationError(errors);

    const changes: Record<string, { from: unknown; to: unknown }> = {};
    const patch: Partial<IncidentRow> = {};
    for (const [field, value] of [
      ["severity", request.severity],
      ["rsitClass", rsitClass],
      ["rsitType", rsitType],
      ["tlp", request.tlp],
    ] as const) {
      if (value !== undefined && value !== row[field]) {
        changes[field] = { from: row[field], to: value };
        patch[field] = value;
      }
    }
    const escalates = request.severity === "P1" && !row.crisisCell;
    if (Object.keys(changes).length === 0 && !escalates) return;

    patch.updatedAt = now;
    if (severityChanges) {
      patch.severityOverrideReason = request.reason!;
      // Until acknowledged, the service level follows the severity, counted from the declaration.
      if (!row.acknowledgedAt) {
        patch.ackDueAt = ackDueAt(request.severity!, row.declaredAt, serviceLevels);
        patch.nextDeadlineAt = await nextDeadlineOf(tx, { ...row, ...patch });
      }
    }
    if (escalates) {
      patch.crisisCell = true;
      patch.escalatedAt = now;
    }
    await tx.update(incidents).set(patch).where(eq(incidents.id, id));
    if (Object.keys(changes).length > 0) {
      await appendLogEntry(tx, {
        incidentId: id,
        kind: "qualified",
        visibility: "internal",
        body: { changes, ...(request.reason ? { reason: request.reason } : {}) },
        actorUserId: actor.id,
        at: now,
      });
    }
    if (escalates) {
      await appendLogEntry(tx, {
        incidentId: id,
        kind: "escalated",
        visibility: "shared",
        body: { severity: "P1", crisisCell: true },
        actorUserId: actor.id,
        at: now,
      });
      await writeOutbox(tx, incidentMessage("incident.escalated", id));
    }
    await writeOutbox(tx, incidentMessage("incident.changed", id));
  });
}
