import {
  type Db,
  establishments,
  exerciseParticipations,
  exercises,
  improvementActions,
  retexFindings,
  type Tx,
  writeOutbox,
} from "@pris/db";
import {
  type ActionCreate,
  type ActionPatch,
  allowedParticipationActions,
  dayInZone,
  type Exercise,
  type ExerciseCreate,
  type ExerciseListQuery,
  type ExerciseParticipantsAdd,
  type ExercisePatch,
  type FindingCreate,
  type ImprovementActionStatus,
  isActionClosed,
  joiningStatus,
  type Participation,
  type ParticipationAction,
  type ParticipationStatus,
  type ParticipationSummary,
  participantRemovable,
  participationTransition,
  type RetexDecision,
  type RetexPut,
  type RetexShare,
  statusAfterActions,
} from "@pris/domain";
import { and, asc, count, desc, eq, exists, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../../errors.ts";
import { decodeCursor, encodeCursor } from "../../http.ts";
import {
  type ExercisePrincipal,
  mayActFor,
  participationScope,
  requireValidator,
  seesRegion,
} from "./exercise-scope.ts";

type ExerciseRow = typeof exercises.$inferSelect;
type ParticipationRow = typeof exerciseParticipations.$inferSelect;

const yearOf = (day: string) => Number(day.slice(0, 4));

function participationNotAllowed(status: string, action: ParticipationAction): ConflictError {
  return new ConflictError(
    "transition_not_allowed",
    `The action '${action}' is not allowed while the participation is '${status}'`,
    { allowed: allowedParticipationActions(status as ParticipationStatus) },
  );
}

/** The participations of exercises the caller may see, with their establishments, in one read. */
async function participationSummaries(
  db: Tx,
  principal: ExercisePrincipal,
  exerciseIds: string[],
): Promise<Map<string, ParticipationSummary[]>> {
  const byExercise = new Map<string, ParticipationSummary[]>();
  if (exerciseIds.length === 0) return byExercise;
  const rows = await db
    .select({
      id: exerciseParticipations.id,
      exerciseId: exerciseParticipations.exerciseId,
      establishmentId: exerciseParticipations.establishmentId,
      establishmentName: establishments.name,
      category: establishments.category,
      territory: establishments.territory,
      status: exerciseParticipations.status,
      actionsTotal: exerciseParticipations.actionsTotal,
      actionsClosed: exerciseParticipations.actionsClosed,
    })
    .from(exerciseParticipations)
    .innerJoin(establishments, eq(establishments.id, exerciseParticipations.establishmentId))
    .where(
      and(
        inArray(exerciseParticipations.exerciseId, exerciseIds),
        participationScope(principal, exerciseParticipations.establishmentId),
      ),
    )
    .orderBy(asc(establishments.name), asc(exerciseParticipations.id));
  for (const r of rows) {
    const list = byExercise.get(r.exerciseId) ?? [];
    list.push({
      id: r.id,
      establishmentId: r.establishmentId,
      establishmentName: r.establishmentName,
      category: r.category,
      territory: r.territory,
      status: r.status as ParticipationStatus,
      actionsOpen: r.actionsTotal - r.actionsClosed,
      actionsTotal: r.actionsTotal,
    });
    byExercise.set(r.exerciseId, list);
  }
  return byExercise;
}

async function totalParticipants(db: Tx, ids: string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ exerciseId: exerciseParticipations.exerciseId, n: count() })
    .from(exerciseParticipations)
    .where(inArray(exerciseParticipations.exerciseId, ids))
    .groupBy(exerciseParticipations.exerciseId);
  return new Map(rows.map((r) => [r.exerciseId, r.n]));
}

function toExercise(
  row: ExerciseRow,
  principal: ExercisePrincipal,
  participations: ParticipationSummary[],
  total: number,
): Exercise {
  return {
    id: row.id,
    kind: row.kind as Exercise["kind"],
    level: row.level as Exercise["level"],
    title: row.title,
    scenario: row.scenario,
    objectives: row.objectives,
    plannedOn: row.plannedOn,
    heldOn: row.heldOn,
    participants: row.participants,
    organiser: row.organiser,
    status: row.status as Exercise["status"],
    cancelReason: row.cancelReason,
    pooled: total > 1,
    // An RSSI learns how many of theirs take part, never how many others do.
    participantCount: seesRegion(principal) ? total : participations.length,
    participations,
    createdAt: row.createdAt.toISOString(),
  };
}

async function views(db: Tx, principal: ExercisePrincipal, rows: ExerciseRow[]): Promise<Exercise[]> {
  const ids = rows.map((r) => r.id);
  const [parts, totals] = await Promise.all([
    participationSummaries(db, principal, ids),
    totalParticipants(db, ids),
  ]);
  return rows.map((r) => toExercise(r, principal, parts.get(r.id) ?? [], totals.get(r.id) ?? 0));
}

/** Exercises with at least one participation in the caller's scope. */
function exerciseVisible(principal: ExercisePrincipal, establishmentId?: string): SQL | undefined {
  const scope = participationScope(principal, exerciseParticipations.establishmentId);
  if (!scope && !establishmentId) return undefined;
  return exists(
    sql`(SELECT 1 FROM ${exerciseParticipations} WHERE ${exerciseParticipations.exerciseId} = ${exercises.id}
      ${scope ? sql`AND ${scope}` : sql``}
      ${establishmentId ? sql`AND ${exerciseParticipations.establishmentId} = ${establishmentId}` : sql``})`,
  );
}

async function loadExercise(db: Tx, principal: ExercisePrincipal, id: string, lock = false) {
  const query = db
    .select()
    .from(exercises)
    .where(and(eq(exercises.id, id), exerciseVisible(principal)));
  const [row] = lock ? await query.for("update") : await query;
  if (!row) throw new NotFoundError("Exercise");
  return row;
}

/**
 * Who runs an exercise (edits it, records it held, cancels it): the ARS and the pole, any; an RSSI, one
 * that is not regional and whose participants are all theirs — a GHT RSSI for a pooled one.
 */
async function requireOrganiser(db: Tx, principal: ExercisePrincipal, row: ExerciseRow): Promise<void> {
  if (seesRegion(principal)) return;
  if (row.kind === "regional") throw new ForbiddenError("The regional exercise is run by the ARS");
  const [outside] = await db
    .select({ n: count() })
    .from(exerciseParticipations)
    .where(
      and(
        eq(exerciseParticipations.exerciseId, row.id),
        sql`NOT (${participationScope(principal, exerciseParticipations.establishmentId) ?? sql`true`})`,
      ),
    );
  if ((outside?.n ?? 0) > 0) throw new ForbiddenError("This exercise is run by another establishment");
}

/** Same words for an establishment that does not exist, is closed, or is someone else's. */
async function requireEstablishments(db: Tx, principal: ExercisePrincipal, ids: string[]): Promise<void> {
  const known = await db
    .select({ id: establishments.id })
    .from(establishments)
    .where(and(inArray(establishments.id, ids), eq(establishments.active, true)));
  const knownIds = new Set(known.map((k) => k.id));
  const bad = ids
    .map((id, i) => ({ id, i }))
    .filter(({ id }) => !knownIds.has(id) || !mayActFor(principal, id));
  if (bad.length > 0) {
    throw new ValidationError(
      bad.map(({ i }) => ({
        field: `/establishmentIds/${i}`,
        message: "is not an establishment you can act for",
        in: "body",
      })),
    );
  }
}

export async function createExercise(
  db: Db,
  principal: ExercisePrincipal,
  body: ExerciseCreate,
): Promise<Exercise> {
  if (body.kind === "regional" && !seesRegion(principal)) {
    throw new ForbiddenError("The regional exercise is created by the ARS or the pole");
  }
  await requireEstablishments(db, principal, body.establishmentIds);
  const row = await db.transaction(async (tx) => {
    const [exercise] = await tx
      .insert(exercises)
      .values({
        kind: body.kind,
        level: body.level,
        title: body.title,
        scenario: body.scenario,
        objectives: body.objectives,
        plannedOn: body.plannedOn,
        participants: body.participants,
        organiser: body.organiser,
        createdByUserId: principal.id,
      })
      .returning();
    await tx.insert(exerciseParticipations).values(
      body.establishmentIds.map((establishmentId) => ({
        exerciseId: exercise!.id,
        establishmentId,
        year: yearOf(body.plannedOn),
      })),
    );
    return exercise!;
  });
  const [view] = await views(db, principal, [row]);
  return view!;
}

export async function getExercise(db: Db, principal: ExercisePrincipal, id: string): Promise<Exercise> {
  const row = await loadExercise(db, principal, id);
  const [view] = await views(db, principal, [row]);
  return view!;
}

/** Newest planned first, in keyset pages on (planned day, id). */
export async function listExercises(
  db: Db,
  principal: ExercisePrincipal,
  query: ExerciseListQuery,
): Promise<{ items: Exercise[]; nextCursor: string | null }> {
  const limit = query.limit ?? 20;
  const after = decodeCursor(query.cursor, 2);
  if (query.establishmentId && !mayActFor(principal, query.establishmentId)) {
    return { items: [], nextCursor: null };
  }
  const conditions = [
    exerciseVisible(principal, query.establishmentId),
    query.kind ? eq(exercises.kind, query.kind) : undefined,
    query.year
      ? sql`COALESCE(${exercises.heldOn}, ${exercises.plannedOn}) BETWEEN make_date(${query.year}::int, 1, 1) AND make_date(${query.year}::int, 12, 31)`
      : undefined,
    after
      ? or(
          lt(exercises.plannedOn, after[0]!),
          and(eq(exercises.plannedOn, after[0]!), lt(exercises.id, after[1]!)),
        )
      : undefined,
  ];
  const rows = await db
    .select()
    .from(exercises)
    .where(and(...conditions))
    .orderBy(desc(exercises.plannedOn), desc(exercises.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: await views(db, principal, page),
    nextCursor: rows.length > limit && last ? encodeCursor([last.plannedOn, last.id]) : null,
  };
}

export async function patchExercise(
  db: Db,
  principal: ExercisePrincipal,
  id: string,
  patch: ExercisePatch,
): Promise<Exercise> {
  await db.transaction(async (tx) => {
    const row = await loadExercise(tx, principal, id, true);
    await requireOrganiser(tx, principal, row);
    if (row.status !== "planned") {
      throw new ConflictError("exercise_not_planned", "Only a planned exercise can be changed");
    }
    await tx
      .update(exercises)
      .set({ ...patch, updatedAt: sql`now()` })
      .where(eq(exercises.id, id));
    if (patch.plannedOn) {
      await tx
        .update(exerciseParticipations)
        .set({ year: yearOf(patch.plannedOn), updatedAt: sql`now()` })
        .where(and(eq(exerciseParticipations.exerciseId, id), eq(exerciseParticipations.status, "planned")));
    }
  });
  return getExercise(db, principal, id);
}

/**
 * Establishments join an exercise that is not cancelled; those already in it stay as they are. The ARS and
 * the pole add any; an RSSI, establishments of their scope to an exercise they see (a GHT-pooled one).
 */
export async function addParticipants(
  db: Db,
  principal: ExercisePrincipal,
  id: string,
  body: ExerciseParticipantsAdd,
): Promise<Exercise> {
  await db.transaction(async (tx) => {
    const row = await loadExercise(tx, principal, id, true);
    await requireEstablishments(tx, principal, body.establishmentIds);
    const status = joiningStatus(row.status as "planned" | "held" | "cancelled");
    if (!status) throw new ConflictError("exercise_cancelled", "A cancelled exercise takes no participant");
    await tx
      .insert(exerciseParticipations)
      .values(
        body.establishmentIds.map((establishmentId) => ({
          exerciseId: id,
          establishmentId,
          status,
          year: yearOf(row.heldOn ?? row.plannedOn),
        })),
      )
      .onConflictDoNothing({
        target: [exerciseParticipations.exerciseId, exerciseParticipations.establishmentId],
      });
  });
  return getExercise(db, principal, id);
}

/**
 * A participant leaves before its RETEX is submitted, with its draft findings and actions; never the last
 * one, which would leave an exercise nobody takes part in. Nothing is returned: a GHT RSSI removing the
 * last of their establishments no longer sees the exercise.
 */
export async function removeParticipant(
  db: Db,
  principal: ExercisePrincipal,
  id: string,
  participationId: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await loadExercise(tx, principal, id, true);
    if (row.status === "cancelled") {
      throw new ConflictError("exercise_cancelled", "A cancelled exercise keeps its participants");
    }
    const [p] = await tx
      .select()
      .from(exerciseParticipations)
      .where(
        and(
          eq(exerciseParticipations.id, participationId),
          eq(exerciseParticipations.exerciseId, id),
          participationScope(principal, exerciseParticipations.establishmentId),
        ),
      )
      .for("update");
    if (!p) throw new NotFoundError("Participation");
    if (!participantRemovable(p.status as ParticipationStatus)) {
      throw new ConflictError(
        "participation_status",
        `A participant whose RETEX was submitted cannot be removed (it is '${p.status}')`,
      );
    }
    const [total] = await tx
      .select({ n: count() })
      .from(exerciseParticipations)
      .where(eq(exerciseParticipations.exerciseId, id));
    if ((total?.n ?? 0) <= 1) {
      throw new ConflictError(
        "last_participant",
        "The last participant cannot be removed: cancel the exercise",
      );
    }
    await tx.delete(improvementActions).where(eq(improvementActions.participationId, participationId));
    await tx.delete(retexFindings).where(eq(retexFindings.participationId, participationId));
    await tx.delete(exerciseParticipations).where(eq(exerciseParticipations.id, participationId));
  });
}

/** Recorded held on a day (not in the future): every participant still planned has held it. */
export async function holdExercise(
  db: Db,
  timeZone: string,
  principal: ExercisePrincipal,
  id: string,
  heldOn: string,
  now = new Date(),
): Promise<Exercise> {
  if (heldOn > dayInZone(now, timeZone)) {
    throw new ValidationError([{ field: "/heldOn", message: "is in the future", in: "body" }]);
  }
  await db.transaction(async (tx) => {
    const row = await loadExercise(tx, principal, id, true);
    await requireOrganiser(tx, principal, row);
    if (row.status !== "planned") throw participationNotAllowed(row.status, "hold");
    await tx
      .update(exercises)
      .set({ status: "held", heldOn, updatedAt: sql`now()` })
      .where(eq(exercises.id, id));
    await tx
      .update(exerciseParticipations)
      .set({ status: "held", year: yearOf(heldOn), updatedAt: sql`now()` })
      .where(and(eq(exerciseParticipations.exerciseId, id), eq(exerciseParticipations.status, "planned")));
  });
  return getExercise(db, principal, id);
}

export async function cancelExercise(
  db: Db,
  principal: ExercisePrincipal,
  id: string,
  reason: string,
): Promise<Exercise> {
  await db.transaction(async (tx) => {
    const row = await loadExercise(tx, principal, id, true);
    await requireOrganiser(tx, principal, row);
    if (row.status !== "planned") throw participationNotAllowed(row.status, "cancel");
    await tx
      .update(exercises)
      .set({ status: "cancelled", cancelReason: reason, updatedAt: sql`now()` })
      .where(eq(exercises.id, id));
    await tx
      .update(exerciseParticipations)
      .set({ status: "cancelled", updatedAt: sql`now()` })
      .where(eq(exerciseParticipations.exerciseId, id));
  });
  return getExercise(db, principal, id);
}

// --- One participation: RETEX, findings, actions ----------------------------------------------------

async function loadParticipation(db: Tx, principal: ExercisePrincipal, id: string, lock = false) {
  const query = db
    .select()
    .from(exerciseParticipations)
    .where(
      and(
        eq(exerciseParticipations.id, id),
        participationScope(principal, exerciseParticipations.establishmentId),
      ),
    );
  const [row] = lock ? await query.for("update") : await query;
  if (!row) throw new NotFoundError("Participation");
  return row;
}

export async function getParticipation(
  db: Tx,
  principal: ExercisePrincipal,
  id: string,
): Promise<Participation> {
  const p = await loadParticipation(db, principal, id);
  const [[exercise], [establishment], findings, actions, [total]] = await Promise.all([
    db.select().from(exercises).where(eq(exercises.id, p.exerciseId)),
    db
      .select({ name: establishments.name })
      .from(establishments)
      .where(eq(establishments.id, p.establishmentId)),
    db
      .select()
      .from(retexFindings)
      .where(eq(retexFindings.participationId, id))
      .orderBy(asc(retexFindings.createdAt), asc(retexFindings.id)),
    db
      .select()
      .from(improvementActions)
      .where(eq(improvementActions.participationId, id))
      .orderBy(asc(improvementActions.dueOn), asc(improvementActions.id)),
    db
      .select({ n: count() })
      .from(exerciseParticipations)
      .where(eq(exerciseParticipations.exerciseId, p.exerciseId)),
  ]);
  const status = p.status as ParticipationStatus;
  return {
    id: p.id,
    exercise: {
      id: exercise!.id,
      kind: exercise!.kind as Participation["exercise"]["kind"],
      level: exercise!.level as Participation["exercise"]["level"],
      title: exercise!.title,
      plannedOn: exercise!.plannedOn,
      heldOn: exercise!.heldOn,
      pooled: (total?.n ?? 0) > 1,
    },
    establishmentId: p.establishmentId,
    establishmentName: establishment!.name,
    status,
    allowedActions: allowedParticipationActions(status),
    retex: {
      hotSummary: p.hotSummary,
      hotOn: p.hotOn,
      coldSummary: p.coldSummary,
      coldOn: p.coldOn,
      submittedAt: p.submittedAt?.toISOString() ?? null,
      validatedAt: p.validatedAt?.toISOString() ?? null,
      returnComment: p.returnComment,
      shared: p.sharedAt !== null,
      shareTlp: p.shareTlp as Participation["retex"]["shareTlp"],
      shareNamed: p.shareNamed,
    },
    findings: findings.map((f) => ({
      id: f.id,
      phase: f.phase as "hot" | "cold",
      theme: f.theme as Participation["findings"][number]["theme"],
      polarity: f.polarity as "positive" | "negative",
      text: f.text,
      createdAt: f.createdAt.toISOString(),
    })),
    actions: actions.map((a) => ({
      id: a.id,
      findingId: a.findingId,
      title: a.title,
      owner: a.owner,
      dueOn: a.dueOn,
      status: a.status as ImprovementActionStatus,
      closedAt: a.closedAt?.toISOString() ?? null,
    })),
  };
}

function requireStatus(p: ParticipationRow, statuses: ParticipationStatus[], what: string): void {
  if (!statuses.includes(p.status as ParticipationStatus)) {
    throw new ConflictError(
      "participation_status",
      `${what} is not possible while the participation is '${p.status}'`,
      { allowed: allowedParticipationActions(p.status as ParticipationStatus) },
    );
  }
}

/** The RETEX is written while the exercise is held and not yet submitted (or after it was sent back). */
export async function putRetex(
  db: Db,
  principal: ExercisePrincipal,
  id: string,
  body: RetexPut,
): Promise<Participation> {
  await db.transaction(async (tx) => {
    const p = await loadParticipation(tx, principal, id, true);
    requireStatus(p, ["held"], "Writing the RETEX");
    await tx
      .update(exerciseParticipations)
      .set({ ...body, updatedAt: sql`now()` })
      .where(eq(exerciseParticipations.id, id));
  });
  return getParticipation(db, principal, id);
}

export async function addFinding(
  db: Db,
  principal: ExercisePrincipal,
  id: string,
  body: FindingCreate,
): Promise<Participation> {
  await db.transaction(async (tx) => {
    const p = await loadParticipation(tx, principal, id, true);
    requireStatus(p, ["held"], "Adding a finding");
    await tx.insert(retexFindings).values({ participationId: id, ...body });
  });
  return getParticipation(db, principal, id);
}

export async function deleteFinding(
  db: Db,
  principal: ExercisePrincipal,
  id: string,
  findingId: string,
): Promise<Participation> {
  await db.transaction(async (tx) => {
    const p = await loadParticipation(tx, principal, id, true);
    requireStatus(p, ["held"], "Removing a finding");
    await tx
      .update(improvementActions)
      .set({ findingId: null })
      .where(and(eq(improvementActions.participationId, id), eq(improvementActions.findingId, findingId)));
    const gone = await tx
      .delete(retexFindings)
      .where(and(eq(retexFindings.id, findingId), eq(retexFindings.participationId, id)))
      .returning({ id: retexFindings.id });
    if (gone.length === 0) throw new NotFoundError("Finding");
  });
  return getParticipation(db, principal, id);
}

/** Keeps the participation's action counts and its "actions closed" status in step with its actions. */
async function settleActions(tx: Tx, p: ParticipationRow): Promise<void> {
  const actions = await tx
    .select({ status: improvementActions.status })
    .from(improvementActions)
    .where(eq(improvementActions.participationId, p.id));
  const typed = actions.map((a) => ({ status: a.status as ImprovementActionStatus }));
  await tx
    .update(exerciseParticipations)
    .set({
      actionsTotal: typed.length,
      actionsClosed: typed.filter((a) => isActionClosed(a.status)).length,
      status: statusAfterActions(p.status as ParticipationStatus, typed),
      updatedAt: sql`now()`,
    })
    .where(eq(exerciseParticipations.id, p.id));
}

const ACTION_STATUSES: ParticipationStatus[] = ["held", "retex_submitted", "validated", "actions_closed"];

export async function addAction(
  db: Db,
  principal: ExercisePrincipal,
  id: string,
  body: ActionCreate,
): Promise<Participation> {
  await db.transaction(async (tx) => {
    const p = await loadParticipation(tx, principal, id, true);
    requireStatus(p, ACTION_STATUSES, "Adding an improvement action");
    if (body.findingId) {
      const [finding] = await tx
        .select({ id: retexFindings.id })
        .from(retexFindings)
        .where(and(eq(retexFindings.id, body.findingId), eq(retexFindings.participationId, id)));
      if (!finding) {
        throw new ValidationError([
          { field: "/findingId", message: "is not a finding of this RETEX", in: "body" },
        ]);
      }
    }
    await tx.insert(improvementActions).values({ participationId: id, ...body });
    await settleActions(tx, p);
  });
  return getParticipation(db, principal, id);
}

export async function patchAction(
  db: Db,
  principal: ExercisePrincipal,
  id: string,
  actionId: string,
  patch: ActionPatch,
): Promise<Participation> {
  await db.transaction(async (tx) => {
    const p = await loadParticipation(tx, principal, id, true);
    requireStatus(p, ACTION_STATUSES, "Changing an improvement action");
    const closing =
      patch.status === undefined ? {} : { closedAt: isActionClosed(patch.status) ? sql`now()` : null };
    const changed = await tx
      .update(improvementActions)
      .set({ ...patch, ...closing, updatedAt: sql`now()` })
      .where(and(eq(improvementActions.id, actionId), eq(improvementActions.participationId, id)))
      .returning({ id: improvementActions.id });
    if (changed.length === 0) throw new NotFoundError("Action");
    await settleActions(tx, p);
  });
  return getParticipation(db, principal, id);
}

export async function submitRetex(db: Db, principal: ExercisePrincipal, id: string): Promise<Participation> {
  await db.transaction(async (tx) => {
    const p = await loadParticipation(tx, principal, id, true);
    if (!participationTransition(p.status as ParticipationStatus, "submit_retex")) {
      throw participationNotAllowed(p.status, "submit_retex");
    }
    const [findings] = await tx
      .select({ n: count() })
      .from(retexFindings)
      .where(eq(retexFindings.participationId, id));
    const missing = [
      ...(p.hotSummary?.trim() || p.coldSummary?.trim()
        ? []
        : [{ field: "/hotSummary", message: "a hot or cold summary is needed", in: "body" as const }]),
      ...((findings?.n ?? 0) > 0
        ? []
        : [{ field: "/findings", message: "at least one finding is needed", in: "body" as const }]),
    ];
    if (missing.length > 0) {
      throw new ConflictError("retex_incomplete", "The RETEX is not complete enough to be submitted", {
        errors: missing,
      });
    }
    await tx
      .update(exerciseParticipations)
      .set({ status: "retex_submitted", submittedAt: sql`now()`, updatedAt: sql`now()` })
      .where(eq(exerciseParticipations.id, id));
  });
  return getParticipation(db, principal, id);
}

/** Written with the decision, in its transaction: the establishment is told whatever happens next. */
async function writeReviewOutbox(
  tx: Tx,
  participationId: string,
  decision: RetexDecision,
  comment: string | null,
): Promise<void> {
  await writeOutbox(tx, {
    topic: "retex.reviewed",
    aggregateId: participationId,
    payload: { participationId, decision, comment },
  });
}

export async function validateRetex(
  db: Db,
  principal: ExercisePrincipal,
  id: string,
): Promise<Participation> {
  requireValidator(principal);
  await db.transaction(async (tx) => {
    const p = await loadParticipation(tx, principal, id, true);
    const next = participationTransition(p.status as ParticipationStatus, "validate_retex");
    if (!next) throw participationNotAllowed(p.status, "validate_retex");
    await tx
      .update(exerciseParticipations)
      .set({
        status: next,
        validatedAt: sql`now()`,
        validatedByUserId: principal.id,
        returnComment: null,
        updatedAt: sql`now()`,
      })
      .where(eq(exerciseParticipations.id, id));
    await settleActions(tx, { ...p, status: next });
    await writeReviewOutbox(tx, id, "validated", null);
  });
  return getParticipation(db, principal, id);
}

export async function returnRetex(
  db: Db,
  principal: ExercisePrincipal,
  id: string,
  comment: string,
): Promise<Participation> {
  requireValidator(principal);
  await db.transaction(async (tx) => {
    const p = await loadParticipation(tx, principal, id, true);
    const next = participationTransition(p.status as ParticipationStatus, "return_retex");
    if (!next) throw participationNotAllowed(p.status, "return_retex");
    await tx
      .update(exerciseParticipations)
      .set({ status: next, returnComment: comment, submittedAt: null, updatedAt: sql`now()` })
      .where(eq(exerciseParticipations.id, id));
    await writeReviewOutbox(tx, id, "returned", comment);
  });
  return getParticipation(db, principal, id);
}

/**
 * Shared with the network once the ARS validated it, by the establishment's decision (its RSSI):
 * anonymised unless it agrees to be named.
 */
export async function shareRetex(
  db: Db,
  principal: ExercisePrincipal,
  id: string,
  body: RetexShare,
): Promise<Participation> {
  if (principal.role !== "rssi") throw new ForbiddenError("Sharing a RETEX is the establishment's decision");
  if (body.shared && !body.tlp) {
    throw new ValidationError([{ field: "/tlp", message: "is required to share", in: "body" }]);
  }
  await db.transaction(async (tx) => {
    const p = await loadParticipation(tx, principal, id, true);
    requireStatus(p, ["validated", "actions_closed"], "Sharing the RETEX");
    await tx
      .update(exerciseParticipations)
      .set(
        body.shared
          ? {
              sharedAt: sql`now()`,
              shareTlp: body.tlp!,
              shareNamed: body.named ?? false,
              updatedAt: sql`now()`,
            }
          : { sharedAt: null, shareTlp: null, shareNamed: false, updatedAt: sql`now()` },
      )
      .where(eq(exerciseParticipations.id, id));
  });
  return getParticipation(db, principal, id);
}
