import { pipeline, Readable } from "node:stream";
import { type AuditFilters, type AuditRow, auditBatches, type Db, listAudit } from "@pris/db";
import type { AuditExportQuery, AuditPage, AuditQuery, AuditTrailEntry } from "@pris/domain";
import { stringify } from "csv-stringify";
import { ValidationError } from "../../errors.ts";
import { decodeCursor, encodeCursor } from "../../http.ts";

/** Reading the administration trail: the list the admin pages through and the CSV export. */

function filtersOf(query: AuditExportQuery): AuditFilters {
  return {
    ...(query.actorUserId ? { actorUserId: query.actorUserId } : {}),
    ...(query.objectKind ? { objectKind: query.objectKind } : {}),
    ...(query.objectId ? { objectId: query.objectId } : {}),
    ...(query.action ? { action: query.action } : {}),
    ...(query.from ? { from: new Date(query.from) } : {}),
    ...(query.to ? { to: new Date(query.to) } : {}),
    ...(query.q ? { q: query.q } : {}),
  };
}

function toEntry(row: AuditRow): AuditTrailEntry {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: { userId: row.actorUserId, label: row.actorLabel },
    action: row.action,
    objectKind: row.objectKind,
    objectId: row.objectId,
    objectLabel: row.objectLabel,
    before: row.before ?? null,
    after: row.after ?? null,
    requestId: row.requestId,
    ip: row.ip,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Newest first; the cursor is the id of the last entry shown. */
export async function listAuditPage(db: Db, query: AuditQuery): Promise<AuditPage> {
  const limit = query.limit ?? 50;
  const [afterId] = decodeCursor(query.cursor, 1) ?? [];
  if (afterId !== undefined && !UUID.test(afterId)) {
    throw new ValidationError([{ field: "/cursor", message: "is not a cursor this API gave", in: "query" }]);
  }
  const rows = await listAudit(db, filtersOf(query), {
    limit: limit + 1,
    ...(afterId ? { afterId } : {}),
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toEntry),
    nextCursor: rows.length > limit && last ? encodeCursor([last.id]) : null,
  };
}

export const AUDIT_CSV_HEADERS = [
  "Date",
  "Auteur",
  "Identifiant de l'auteur",
  "Action",
  "Type d'objet",
  "Identifiant de l'objet",
  "Objet",
  "Avant",
  "Après",
  "Adresse IP",
  "Identifiant de requête",
];

const formats = new Map<string, Intl.DateTimeFormat>();
/** "02/03/2026 14:05" in the region's zone, as a French spreadsheet reads it. */
function shortDate(date: Date, timeZone: string): string {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("fr-FR", { dateStyle: "short", timeStyle: "short", timeZone });
    formats.set(timeZone, format);
  }
  return format.format(date);
}

/** A cell a spreadsheet would run as a formula (labels are whatever people typed) is quoted. */
const inert = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
const json = (value: Record<string, unknown> | null) => (value ? inert(JSON.stringify(value)) : "");

function csvLine(row: AuditRow, timeZone: string): string[] {
  return [
    shortDate(row.at, timeZone),
    inert(row.actorLabel),
    row.actorUserId ?? "",
    row.action,
    row.objectKind,
    inert(row.objectId),
    inert(row.objectLabel),
    json(row.before ?? null),
    json(row.after ?? null),
    row.ip ?? "",
    row.requestId ?? "",
  ];
}

/**
 * The filtered trail as CSV (semicolons, UTF-8 with BOM, like the other exports), streamed: rows are read
 * a thousand at a time and written as they come, so a long trail costs no more memory than a short one.
 */
export function auditCsvStream(db: Db, query: AuditExportQuery, timeZone: string): Readable {
  const filters = filtersOf(query);
  const records = Readable.from(
    (async function* () {
      yield AUDIT_CSV_HEADERS;
      for await (const rows of auditBatches(db, filters)) {
        for (const row of rows) yield csvLine(row, timeZone);
      }
    })(),
  );
  // pipeline, not pipe: a client that hangs up destroys the CSV stream, and with it the reading of the trail.
  return pipeline(records, stringify({ delimiter: ";", record_delimiter: "\r\n", bom: true }), () => {});
}
