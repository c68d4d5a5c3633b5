import {
  apiKeys,
  type Db,
  type DeclarationSettings,
  establishments,
  firstLogEntry,
  incidentClocks,
  incidentObservables,
  incidents,
  newIncident,
  storeDeclaredIncident,
  users,
} from "@pris/db";
import {
  type DeclarationChannel,
  type Incident,
  type IncidentListQuery,
  incidentVisibility,
  type NormalizedDeclaration,
} from "@pris/domain";
import {
  type AnyColumn,
  and,
  asc,
  count,
  desc,
  eq,
  ilike,
  inArray,
  lt,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { v7 as uuidv7 } from "uuid";
import type { Principal } from "../../auth/principal.ts";
import { NotFoundError, ValidationError } from "../../errors.ts";
import { decodeCursor, encodeCursor } from "../../http.ts";
import { type IdempotencyClaim, inFlight, keyReused } from "./idempotency.ts";
import { actionsFor, toIncidentSummary, toIncidentView } from "./incident-views.ts";

/** Narrows any query of incidents to what the caller may read. */
export function incidentScope(
  principal: Principal,
  table: Record<"establishmentId" | "severity" | "crisisCell", AnyColumn> = incidents,
): SQL | undefined {
  switch (incidentVisibility(principal.role)) {
    case "all":
      return undefined;
    case "establishments":
      return principal.establishmentIds.length > 0
        ? inArray(table.establishmentId, principal.establishmentIds)
        : sql`false`;
    case "major":
      return or(eq(table.severity, "P1"), eq(table.crisisCell, true));
    case "none":
      return sql`false`;
  }
}

/**
 * Which establishment a declaration is for. The same answer for one that does not exist and one
 * outside the caller's scope, so that nothing is learnt about others.
 */
export async function resolveDeclaringEstablishment(
  findEstablishment: (id: string) => Promise<typeof establishments.$inferSelect | undefined>,
  principal: Principal,
  requested: string | undefined,
) {
  const own = principal.role !== "analyst";
  let id = requested;
  if (!id) {
    if (own && principal.establishmentIds.length === 1) id = principal.establishmentIds[0];
    else {
      throw new ValidationError([
        { field: "/establishmentId", message: "is required: say which establishment the incident concerns" },
      ]);
    }
  }
  const unknown = () =>
    new ValidationError([
      { field: "/establishmentId", message: "is not an establishment you can declare for" },
    ]);
  if (own && !principal.establishmentIds.includes(id!)) throw unknown();
  const row = await findEstablishment(id!);
  if (!row?.active) throw unknown();
  return row;
}

export type DeclareResult =
  | { replayed: false; incident: Incident }
  | { replayed: true; status: number; body: unknown };

/**
 * Writes the incident, its observables, its clocks, the first entry of its main courante, the outbox
 * row that will alert the pole and the Idempotency-Key's answer in one transaction — one call of the
 * declare_incident() database function (see its migration for why) — so that once the 201 is sent,
 * nothing is lost. Every rule is applied here; the function only stores and numbers. The channel is
 * decided by the caller: declarationChannel() for a request, 'email' for the mailbox intake.
 */
export async function declareIncident(
  db: Db,
  settings: DeclarationSettings,
  principal: Principal,
  establishment: typeof establishments.$inferSelect,
  declaration: NormalizedDeclaration,
  channel: DeclarationChannel,
  idempotency: { claim: IdempotencyClaim; ttlHours: number } | undefined,
  now = new Date(),
): Promise<DeclareResult> {
  const declared = newIncident({
    declaration,
    establishment,
    declaredBy: principal.kind === "user" ? { userId: principal.id } : { apiKeyId: principal.id },
    channel,
    now,
    settings,
  });
  const { incident, observables, clocks, suggestion } = declared;
  const by =
    principal.kind === "user"
      ? { kind: "user" as const, name: principal.displayName }
      : { kind: "api_key" as const, name: principal.name };
  const log = firstLogEntry({
    incidentId: incident.id,
    kind: "declared",
    visibility: "shared",
    body: { severity: suggestion.severity, impactGrade: declaration.impactGrade, by: by.name },
    at: now,
    ...(principal.kind === "user" ? { actorUserId: principal.id } : { actorApiKeyId: principal.id }),
  });
  const answer = toIncidentView(incident, establishment, observables, clocks, by, now, {
    assignee: null,
    allowedActions: actionsFor(principal.role, incident),
    mergedIntoId: null,
  });
  const result = await storeDeclaredIncident(db, {
    ...declared,
    log: { id: uuidv7(), ...log },
    regionCode: settings.regionCode,
    timeZone: settings.timeZone,
    ...(idempotency
      ? { idempotency: { claim: { ...idempotency.claim, ttlHours: idempotency.ttlHours }, answer } }
      : {}),
  });
  switch (result.outcome) {
    case "created":
      return { replayed: false, incident: { ...answer, reference: result.reference } };
    case "replay":
      return { replayed: true, status: result.status, body: result.body };
    case "in_flight":
      throw inFlight();
    case "key_reused":
      throw keyReused();
  }
}

/** What an incident shows of its establishment. */
const establishmentRef = {
  id: establishments.id,
  finess: establishments.finess,
  name: establishments.name,
  territory: establishments.territory,
};

const assignees = alias(users, "assignee");
const mergeTargets = alias(incidents, "merge_target");

export async function getIncident(db: Db, principal: Principal, id: string, now = new Date()) {
  const [found] = await db
    .select({
      incident: incidents,
      establishment: establishmentRef,
      userName: users.displayName,
      apiKeyName: apiKeys.name,
      assigneeName: assignees.displayName,
      // The incident it was merged into, only if the caller may see it too.
      visibleMergeTarget: mergeTargets.id,
    })
    .from(incidents)
    .innerJoin(establishments, eq(establishments.id, incidents.establishmentId))
    .leftJoin(users, eq(users.id, incidents.declaredByUserId))
    .leftJoin(apiKeys, eq(apiKeys.id, incidents.declaredByApiKeyId))
    .leftJoin(assignees, eq(assignees.id, incidents.assigneeUserId))
    .leftJoin(
      mergeTargets,
      and(eq(mergeTargets.id, incidents.mergedIntoId), incidentScope(principal, mergeTargets)),
    )
    .where(and(eq(incidents.id, id), incidentScope(principal)));
  if (!found) throw new NotFoundError("Incident");
  const [observables, clocks] = await Promise.all([
    db
      .select()
      .from(incidentObservables)
      .where(eq(incidentObservables.incidentId, id))
      .orderBy(asc(incidentObservables.createdAt), asc(incidentObservables.id)),
    db
      .select()
      .from(incidentClocks)
      .where(eq(incidentClocks.incidentId, id))
      .orderBy(asc(incidentClocks.dueAt)),
  ]);
  // Neither: declared by e-mail from an establishment contact without an account (migration 0026).
  const by = found.incident.declaredByUserId
    ? { kind: "user" as const, name: found.userName ?? "" }
    : found.incident.declaredByApiKeyId
      ? { kind: "api_key" as const, name: found.apiKeyName ?? "" }
      : { kind: "user" as const, name: found.incident.declarant.name };
  const { incident } = found;
  return toIncidentView(found.incident, found.establishment, observables, clocks, by, now, {
    assignee: incident.assigneeUserId
      ? { id: incident.assigneeUserId, name: found.assigneeName ?? "" }
      : null,
    allowedActions: actionsFor(principal.role, incident),
    mergedIntoId: found.visibleMergeTarget,
  });
}

export async function listIncidents(db: Db, principal: Principal, query: IncidentListQuery) {
  const limit = query.limit ?? 20;
  const text = query.q?.replace(/[\\%_]/g, "\\$&");
  const filters = and(
    incidentScope(principal),
    query.status ? eq(incidents.status, query.status) : undefined,
    query.severity ? eq(incidents.severity, query.severity) : undefined,
    query.establishmentId ? eq(incidents.establishmentId, query.establishmentId) : undefined,
    query.declaredFrom ? sql`${incidents.declaredAt} >= ${new Date(query.declaredFrom)}` : undefined,
    query.declaredTo ? sql`${incidents.declaredAt} < ${new Date(query.declaredTo)}` : undefined,
    text ? or(ilike(incidents.title, `%${text}%`), ilike(incidents.reference, `%${text}%`)) : undefined,
  );
  const after = decodeCursor(query.cursor, 2);
  const afterDate = after ? new Date(after[0]!) : undefined;
  if (afterDate && Number.isNaN(afterDate.getTime())) {
    throw new ValidationError([{ field: "/cursor", message: "is not a cursor this API gave", in: "query" }]);
  }
  const rows = await db
    .select({
      incident: incidents,
      establishment: establishmentRef,
    })
    .from(incidents)
    .innerJoin(establishments, eq(establishments.id, incidents.establishmentId))
    .where(
      and(
        filters,
        afterDate
          ? or(
              lt(incidents.declaredAt, afterDate),
              and(eq(incidents.declaredAt, afterDate), lt(incidents.id, after![1]!)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(incidents.declaredAt), desc(incidents.id))
    .limit(limit + 1);
  const [{ total }] = (await db.select({ total: count() }).from(incidents).where(filters)) as [
    { total: number },
  ];
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => toIncidentSummary(r.incident, r.establishment)),
    total,
    nextCursor:
      rows.length > limit && last
        ? encodeCursor([last.incident.declaredAt.toISOString(), last.incident.id])
        : null,
  };
}
