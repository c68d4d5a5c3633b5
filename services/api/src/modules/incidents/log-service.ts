import {
  apiKeys,
  appendLogEntry,
  checkIncidentLog,
  currentLogChain,
  type Db,
  incidentLog,
  incidents,
  incidentTasks,
  type Tx,
  users,
  writeOutbox,
} from "@pris/db";
import {
  incidentMessage,
  type LogEntry,
  type LogEntryCreate,
  type LogQuery,
  type LogVerification,
  mayWorkOnIncident,
  messageSharedMessage,
  seesInternalLog,
  type Task,
  type TaskCreate,
} from "@pris/domain";
import { and, asc, eq, gt } from "drizzle-orm";
import type { Principal } from "../../auth/principal.ts";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../../errors.ts";
import { incidentScope } from "./incident-service.ts";
import { actorOf, type IncidentRow, lockIncident, requireWorker } from "./workflow-service.ts";

type LogRow = typeof incidentLog.$inferSelect;

function toLogEntryView(row: LogRow, actorName: string | null): LogEntry {
  const actor = row.actorUserId
    ? { kind: "user" as const, id: row.actorUserId, name: actorName ?? "" }
    : row.actorApiKeyId
      ? { kind: "api_key" as const, id: row.actorApiKeyId, name: actorName ?? "" }
      : null;
  return {
    id: row.id,
    seq: row.seq,
    at: row.at.toISOString(),
    kind: row.kind,
    visibility: row.visibility as LogEntry["visibility"],
    actor,
    body: row.body,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

/**
 * A new entry is activity on the incident: touching the row announces it on the live feed (the
 * incidents trigger), and the outbox row lets the worker re-plan its timers.
 */
async function announce(tx: Tx, id: string, now: Date) {
  await tx.update(incidents).set({ updatedAt: now }).where(eq(incidents.id, id));
  await writeOutbox(tx, incidentMessage("incident.changed", id));
}

/** The incident if the caller may read it; the same 404 whether it does not exist or is out of scope. */
async function visibleIncident(db: Tx, principal: Principal, id: string) {
  const [row] = await db
    .select({ id: incidents.id, crisisCell: incidents.crisisCell, status: incidents.status })
    .from(incidents)
    .where(and(eq(incidents.id, id), incidentScope(principal)));
  if (!row) throw new NotFoundError("Incident");
  return row;
}

/** The main courante in order; the establishment reads only what is shared with it. */
export async function listLog(db: Db, principal: Principal, id: string, query: LogQuery) {
  await visibleIncident(db, principal, id);
  const limit = query.limit ?? 200;
  const rows = await db
    .select({ entry: incidentLog, userName: users.displayName, apiKeyName: apiKeys.name })
    .from(incidentLog)
    .leftJoin(users, eq(users.id, incidentLog.actorUserId))
    .leftJoin(apiKeys, eq(apiKeys.id, incidentLog.actorApiKeyId))
    .where(
      and(
        eq(incidentLog.incidentId, id),
        query.afterSeq !== undefined ? gt(incidentLog.seq, query.afterSeq) : undefined,
        seesInternalLog(principal.role) ? undefined : eq(incidentLog.visibility, "shared"),
      ),
    )
    .orderBy(asc(incidentLog.seq))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    items: page.map((r) => toLogEntryView(r.entry, r.userName ?? r.apiKeyName)),
    nextAfterSeq: rows.length > limit ? page.at(-1)!.entry.seq : null,
  };
}

/**
 * A comment, a phone call or an action written by hand. The establishment answers and adds
 * information (comments and actions, always shared); the pole's entries are internal unless shared.
 */
export async function addLogEntry(
  db: Db,
  principal: Principal,
  id: string,
  input: LogEntryCreate,
  now = new Date(),
): Promise<LogEntry> {
  return db.transaction(async (tx) => {
    const row = await lockIncident(tx, principal, id);
    let visibility: "internal" | "shared";
    if (principal.role === "rssi" || principal.role === "api_key") {
      if (input.kind === "call") throw new ForbiddenError("Phone calls are logged by the pole");
      if (input.visibility === "internal") {
        throw new ValidationError([
          { field: "/visibility", message: "an establishment's entries are always shared with the pole" },
        ]);
      }
      visibility = "shared";
    } else {
      requireWorker(principal, row);
      visibility = input.visibility ?? "internal";
    }
    const body: Record<string, unknown> =
      input.kind === "call" ? { with: input.with, summary: input.summary } : { text: input.text };
    const entry = await appendLogEntry(tx, {
      incidentId: id,
      kind: input.kind,
      visibility,
      body,
      ...actorOf(principal),
      at: now,
    });
    await announce(tx, id, now);
    // The pole writing to the establishment: its RSSIs need not keep the page open to learn it.
    if (visibility === "shared" && principal.role !== "rssi" && principal.role !== "api_key") {
      await writeOutbox(tx, messageSharedMessage(id, entry.id));
    }
    return toLogEntryView(entry, principal.kind === "user" ? principal.displayName : principal.name);
  });
}

/**
 * Recomputes every entry's keyed hash from its canonical content and the previous entry's hash, then
 * holds the table against its anchor and the latest signed checkpoint. The first entry that does not
 * match is named (altered, rewritten without the key, out of sequence); entries cut from the end are
 * reported as the missing range, with what attests them.
 */
export async function verifyLog(db: Db, principal: Principal, id: string): Promise<LogVerification> {
  const incident = await visibleIncident(db, principal, id);
  requireWorker(principal, incident);
  const check = await checkIncidentLog(db, currentLogChain(), id);
  return {
    ...check,
    checkpoint: check.checkpoint && {
      ...check.checkpoint,
      issuedAt: check.checkpoint.issuedAt.toISOString(),
    },
  };
}

type TaskRow = typeof incidentTasks.$inferSelect;

function toTaskView(row: TaskRow, ownerName: string | null): Task {
  return {
    id: row.id,
    incidentId: row.incidentId,
    title: row.title,
    owner: row.ownerUserId ? { id: row.ownerUserId, name: ownerName ?? "" } : null,
    dueAt: row.dueAt?.toISOString() ?? null,
    doneAt: row.doneAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

async function taskOwner(tx: Tx, incident: IncidentRow, ownerUserId: string | undefined) {
  if (!ownerUserId) return null;
  const [owner] = await tx
    .select({ id: users.id, name: users.displayName, role: users.role, active: users.active })
    .from(users)
    .where(eq(users.id, ownerUserId));
  if (!owner?.active || !mayWorkOnIncident(owner.role, incident)) {
    throw new ValidationError([{ field: "/ownerUserId", message: "is not an active member of the pole" }]);
  }
  return { id: owner.id, name: owner.name };
}

export async function createTask(
  db: Db,
  principal: Principal,
  id: string,
  input: TaskCreate,
  now = new Date(),
): Promise<Task> {
  return db.transaction(async (tx) => {
    const incident = await lockIncident(tx, principal, id);
    const actor = requireWorker(principal, incident);
    if (incident.status === "merged" || incident.status === "rejected") {
      throw new ConflictError("incident_not_open", `The incident is ${incident.status}`);
    }
    const owner = await taskOwner(tx, incident, input.ownerUserId);
    const [task] = await tx
      .insert(incidentTasks)
      .values({
        incidentId: id,
        title: input.title,
        ownerUserId: owner?.id ?? null,
        dueAt: input.dueAt ? new Date(input.dueAt) : null,
        createdByUserId: actor.id,
        createdAt: now,
      })
      .returning();
    await appendLogEntry(tx, {
      incidentId: id,
      kind: "task_added",
      visibility: "internal",
      body: {
        task: { id: task!.id, title: task!.title },
        owner,
        dueAt: task!.dueAt?.toISOString() ?? null,
      },
      actorUserId: actor.id,
      at: now,
    });
    await announce(tx, id, now);
    return toTaskView(task!, owner?.name ?? null);
  });
}

export async function completeTask(
  db: Db,
  principal: Principal,
  id: string,
  taskId: string,
  now = new Date(),
): Promise<Task> {
  return db.transaction(async (tx) => {
    const incident = await lockIncident(tx, principal, id);
    const actor = requireWorker(principal, incident);
    const [found] = await tx
      .select({ task: incidentTasks, ownerName: users.displayName })
      .from(incidentTasks)
      .leftJoin(users, eq(users.id, incidentTasks.ownerUserId))
      .where(and(eq(incidentTasks.id, taskId), eq(incidentTasks.incidentId, id)));
    if (!found) throw new NotFoundError("Task");
    if (found.task.doneAt) throw new ConflictError("task_already_done", "The task is already done");
    const [task] = await tx
      .update(incidentTasks)
      .set({ doneAt: now })
      .where(eq(incidentTasks.id, taskId))
      .returning();
    await appendLogEntry(tx, {
      incidentId: id,
      kind: "task_done",
      visibility: "internal",
      body: { task: { id: taskId, title: found.task.title } },
      actorUserId: actor.id,
      at: now,
    });
    await announce(tx, id, now);
    return toTaskView(task!, found.ownerName);
  });
}

export async function listTasks(db: Db, principal: Principal, id: string) {
  await visibleIncident(db, principal, id);
  if (!seesInternalLog(principal.role)) throw new ForbiddenError("Tasks are the pole's");
  const rows = await db
    .select({ task: incidentTasks, ownerName: users.displayName })
    .from(incidentTasks)
    .leftJoin(users, eq(users.id, incidentTasks.ownerUserId))
    .where(eq(incidentTasks.incidentId, id))
    .orderBy(asc(incidentTasks.createdAt), asc(incidentTasks.id));
  return { items: rows.map((r) => toTaskView(r.task, r.ownerName)) };
}
