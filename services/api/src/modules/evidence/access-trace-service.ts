import { accessTraces, apiKeys, type Db, users } from "@pris/db";
import {
  type AccessObjectKind,
  type AccessTrace,
  type AccessTraceExportQuery,
  type AccessTracePage,
  type AccessTraceQuery,
  EVIDENCE_ROLES,
} from "@pris/domain";
import { stringify } from "csv-stringify/sync";
import { and, desc, eq, gte, lt, or, type SQL, sql } from "drizzle-orm";
import { type Principal, requireUser } from "../../auth/principal.ts";
import { decodeCursor, encodeCursor } from "../../http.ts";

/** Traces are the administrators' and the ARS's: an RSSI, an analyst or an API key is refused (403). */
export const requireEvidenceReader = (principal: Principal | null) => requireUser(principal, EVIDENCE_ROLES);

/** Larger exports are asked for by period. */
export const ACCESS_TRACE_EXPORT_MAX = 100_000;

function filters(query: AccessTraceExportQuery): SQL[] {
  return [
    query.userId ? eq(accessTraces.userId, query.userId) : undefined,
    query.apiKeyId ? eq(accessTraces.apiKeyId, query.apiKeyId) : undefined,
    query.establishmentId ? eq(accessTraces.establishmentId, query.establishmentId) : undefined,
    query.objectId ? eq(accessTraces.objectId, query.objectId) : undefined,
    query.objectKind ? eq(accessTraces.objectKind, query.objectKind) : undefined,
    query.from ? gte(accessTraces.at, new Date(query.from)) : undefined,
    query.to ? lt(accessTraces.at, new Date(query.to)) : undefined,
  ].filter((f): f is SQL => f !== undefined);
}

async function select(db: Db, where: SQL[], limit: number) {
  return db
    .select({ trace: accessTraces, userName: users.displayName, apiKeyName: apiKeys.name })
    .from(accessTraces)
    .leftJoin(users, eq(users.id, accessTraces.userId))
    .leftJoin(apiKeys, eq(apiKeys.id, accessTraces.apiKeyId))
    .where(and(...where))
    .orderBy(desc(accessTraces.at), desc(accessTraces.id))
    .limit(limit);
}

type Row = Awaited<ReturnType<typeof select>>[number];

function toView({ trace: t, userName, apiKeyName }: Row): AccessTrace {
  return {
    id: t.id,
    at: t.at.toISOString(),
    actor: t.userId
      ? { kind: "user", id: t.userId, name: userName ?? "", role: t.role }
      : { kind: "api_key", id: t.apiKeyId!, name: apiKeyName ?? "", role: t.role },
    establishmentId: t.establishmentId,
    objectKind: t.objectKind as AccessObjectKind,
    objectId: t.objectId,
    action: t.action,
    method: t.method,
    path: t.path,
    query: t.query,
    statusCode: t.statusCode,
    ip: t.ip,
    userAgent: t.userAgent,
  };
}

/** Newest first, by keyset on (at, id). */
export async function listAccessTraces(
  db: Db,
  principal: Principal | null,
  query: AccessTraceQuery,
): Promise<AccessTracePage> {
  requireEvidenceReader(principal);
  const limit = query.limit ?? 100;
  const where = filters(query);
  const after = decodeCursor(query.cursor, 2);
  if (after) {
    const [at, id] = after as [string, string];
    where.push(
      or(
        lt(accessTraces.at, new Date(at)),
        and(eq(accessTraces.at, new Date(at)), sql`${accessTraces.id} < ${id}::uuid`),
      )!,
    );
  }
  const rows = await select(db, where, limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1)?.trace;
  return {
    items: page.map(toView),
    nextCursor: rows.length > limit && last ? encodeCursor([last.at.toISOString(), last.id]) : null,
  };
}

const CSV_COLUMNS = [
  "date",
  "type_acteur",
  "id_acteur",
  "nom_acteur",
  "role",
  "id_etablissement",
  "objet",
  "id_objet",
  "operation",
  "methode",
  "chemin",
  "parametres",
  "statut",
  "adresse_ip",
  "navigateur",
];

/** A cell a spreadsheet would run as a formula (a user agent is whatever the client sent) is quoted. */
const inert = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

/** The same filters as the list, as CSV (semicolons, UTF-8 with BOM, like the other exports). */
export async function accessTracesCsv(
  db: Db,
  principal: Principal | null,
  query: AccessTraceExportQuery,
): Promise<string> {
  requireEvidenceReader(principal);
  const rows = (await select(db, filters(query), ACCESS_TRACE_EXPORT_MAX)).map(toView);
  const lines = rows.map((t) => [
    t.at,
    t.actor.kind,
    t.actor.id,
    inert(t.actor.name),
    t.actor.role,
    t.establishmentId ?? "",
    t.objectKind,
    t.objectId ?? "",
    t.action,
    t.method,
    inert(t.path),
    inert(t.query ?? ""),
    String(t.statusCode),
    t.ip ?? "",
    inert(t.userAgent ?? ""),
  ]);
  return `\uFEFF${stringify([CSV_COLUMNS, ...lines], { delimiter: ";", record_delimiter: "\r\n" })}`;
}
