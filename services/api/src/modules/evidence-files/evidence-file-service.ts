import type { Readable } from "node:stream";
import {
  apiKeys,
  type ClamdTarget,
  type Db,
  type EvidenceStorage,
  EvidenceTooLargeError,
  evidenceFiles,
  incidentLog,
  incidents,
  mailIntake,
  type ReceivedEvidence,
  receiveEvidence,
  recordEvidence,
  recordScanVerdict,
  scanStoredEvidence,
  users,
  writeOutbox,
} from "@pris/db";
import {
  displayFileName,
  type EvidenceFile,
  incidentMessage,
  mayDownloadEvidence,
  type Tlp,
} from "@pris/domain";
import { and, asc, eq, sql } from "drizzle-orm";
import type { Principal } from "../../auth/principal.ts";
import { AppError, ConflictError, ForbiddenError, NotFoundError } from "../../errors.ts";
import { incidentScope } from "../incidents/incident-service.ts";
import { actorOf, lockIncident, requireWorker } from "../incidents/workflow-service.ts";

export interface EvidenceDeps {
  db: Db;
  storage: EvidenceStorage;
  clamd: ClamdTarget;
  clamdTimeoutMs: number;
  maxBytes: number;
}

/** Image types a browser shows as images and never runs: served as themselves; everything else as bytes. */
const SAFE_INLINE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export function tooLargeError(maxBytes: number) {
  return new AppError(
    413,
    "payload_too_large",
    "Fichier trop volumineux",
    `Le fichier dépasse la taille maximale acceptée (${maxBytes} octets, EVIDENCE_MAX_BYTES) ; rien n'a été enregistré.`,
  );
}

type Row = typeof evidenceFiles.$inferSelect;

/** The incident if the caller may read it; the same 404 whether it does not exist or is out of scope. */
async function visibleIncident(db: Db, principal: Principal, id: string) {
  const [row] = await db
    .select({
      id: incidents.id,
      tlp: incidents.tlp,
      crisisCell: incidents.crisisCell,
      status: incidents.status,
    })
    .from(incidents)
    .where(and(eq(incidents.id, id), incidentScope(principal)));
  if (!row) throw new NotFoundError("Incident");
  return row;
}

/**
 * The establishment (its RSSIs and API keys) hands files over; the pole adds its own (a sample it
 * isolated). The ARS and a task force not mobilised only read. A merged or rejected incident takes none.
 */
function requireUploader(principal: Principal, incident: { crisisCell: boolean; status: string }) {
  if (principal.role !== "rssi" && principal.role !== "api_key") requireWorker(principal, incident);
  if (incident.status === "merged" || incident.status === "rejected") {
    throw new ConflictError(
      "incident_not_open",
      "L'incident est fusionné ou rejeté : il ne reçoit plus de pièce jointe.",
    );
  }
}

/** Checks before a single byte is read: an out-of-scope incident costs the client nothing but a 404. */
export async function checkUpload(db: Db, principal: Principal, incidentId: string) {
  requireUploader(principal, await visibleIncident(db, principal, incidentId));
}

/** Streams the upload to the store (the shared evidence store); over the limit, a 413. */
async function receive(deps: EvidenceDeps, file: AsyncIterable<Buffer>): Promise<ReceivedEvidence> {
  try {
    return await receiveEvidence(deps, file);
  } catch (err) {
    if (err instanceof EvidenceTooLargeError) throw tooLargeError(err.maxBytes);
    throw err;
  }
}

function toView(
  row: Row,
  uploaderName: string | null,
  logEntrySeq: number | null,
  principal: Principal,
  tlp: string,
): EvidenceFile {
  return {
    id: row.id,
    incidentId: row.incidentId,
    name: row.originalName,
    sizeBytes: row.sizeBytes,
    sha256: row.sha256,
    detectedType: row.detectedMime,
    declaredType: row.declaredMime,
    scanStatus: row.scanStatus,
    scanDetail: row.scanDetail,
    uploadedBy: row.uploadedByUserId
      ? { kind: "user", id: row.uploadedByUserId, name: uploaderName ?? "" }
      : row.uploadedByApiKeyId
        ? { kind: "api_key", id: row.uploadedByApiKeyId, name: uploaderName ?? "" }
        : { kind: "email", id: row.uploadedByMailIntakeId!, name: uploaderName ?? "" },
    createdAt: row.createdAt.toISOString(),
    downloadable:
      row.scanStatus === "clean" && !row.purgedAt && mayDownloadEvidence(principal.role, tlp as Tlp),
    purgedAt: row.purgedAt?.toISOString() ?? null,
    logEntrySeq,
  };
}

/**
 * Receives one file, then in one transaction: the row, and the main courante's entry carrying its
 * SHA-256, size, detected type, uploader, time and scan verdict into the hash chain. The incident is
 * announced on the live feed; a quarantined file is also announced to the pole (outbox), who must look
 * at it. When the transaction fails, the stored bytes are removed.
 */
export async function uploadEvidence(
  deps: EvidenceDeps,
  principal: Principal,
  incidentId: string,
  upload: { fileName: string | undefined; declaredType: string | undefined; file: AsyncIterable<Buffer> },
  now = () => new Date(),
): Promise<EvidenceFile> {
  const received = await receive(deps, upload.file);
  const name = displayFileName(upload.fileName);
  const declaredMime = upload.declaredType?.replace(/[^\x21-\x7e]/g, "").slice(0, 100) || null;
  try {
    return await deps.db.transaction(async (tx) => {
      const incident = await lockIncident(tx, principal, incidentId);
      requireUploader(principal, incident);
      const at = now();
      const actor = actorOf(principal);
      const { row, entry } = await recordEvidence(tx, {
        incidentId,
        received,
        name,
        declaredMime,
        uploader: actor.actorUserId ? { userId: actor.actorUserId } : { apiKeyId: actor.actorApiKeyId! },
        actor,
        at,
      });
      await tx.update(incidents).set({ updatedAt: at }).where(eq(incidents.id, incidentId));
      await writeOutbox(tx, incidentMessage("incident.changed", incidentId));
      const uploader = principal.kind === "user" ? principal.displayName : principal.name;
      return toView(row, uploader, entry.seq, principal, incident.tlp);
    });
  } catch (err) {
    await deps.storage.remove(received.id).catch(() => undefined);
    throw err;
  }
}

async function selectFiles(db: Db, incidentId: string, fileId?: string) {
  return db
    .select({
      file: evidenceFiles,
      userName: users.displayName,
      apiKeyName: apiKeys.name,
      senderName: sql<string | null>`coalesce(${mailIntake.fromName}, ${mailIntake.fromAddress})`,
      logEntrySeq: incidentLog.seq,
    })
    .from(evidenceFiles)
    .leftJoin(users, eq(users.id, evidenceFiles.uploadedByUserId))
    .leftJoin(apiKeys, eq(apiKeys.id, evidenceFiles.uploadedByApiKeyId))
    .leftJoin(mailIntake, eq(mailIntake.id, evidenceFiles.uploadedByMailIntakeId))
    .leftJoin(
      incidentLog,
      and(
        eq(incidentLog.incidentId, evidenceFiles.incidentId),
        eq(incidentLog.kind, "evidence_added"),
        sql`${incidentLog.body} -> 'file' ->> 'id' = ${evidenceFiles.id}::text`,
      ),
    )
    .where(and(eq(evidenceFiles.incidentId, incidentId), fileId ? eq(evidenceFiles.id, fileId) : undefined))
    .orderBy(asc(evidenceFiles.createdAt), asc(evidenceFiles.id));
}

export async function listEvidence(db: Db, principal: Principal, incidentId: string) {
  const incident = await visibleIncident(db, principal, incidentId);
  const rows = await selectFiles(db, incidentId);
  return {
    items: rows.map((r) =>
      toView(r.file, r.userName ?? r.apiKeyName ?? r.senderName, r.logEntrySeq, principal, incident.tlp),
    ),
  };
}

/** A file whose bytes the retention job deleted: gone for good, said so (410), its row and hash kept. */
class PurgedEvidenceError extends AppError {
  constructor(purgedAt: Date) {
    super(
      410,
      "evidence_purged",
      "Gone",
      `Le fichier a été supprimé le ${purgedAt.toLocaleDateString("fr-FR", { timeZone: "UTC" })}, à la fin de la durée de conservation des pièces d'un incident clos. Son empreinte SHA-256 reste dans la main courante.`,
    );
  }
}

export interface EvidenceDownload {
  name: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  body: Readable;
}

/**
 * A file's bytes, only when scanned clean and the incident's TLP lets the caller have them. A file out
 * of scope is a 404 like its incident; a quarantined one a 409 that says why, never its bytes.
 */
export async function openEvidence(
  deps: Pick<EvidenceDeps, "db" | "storage">,
  principal: Principal,
  incidentId: string,
  fileId: string,
): Promise<EvidenceDownload> {
  const incident = await visibleIncident(deps.db, principal, incidentId);
  const [found] = await selectFiles(deps.db, incidentId, fileId);
  if (!found) throw new NotFoundError("Fichier");
  const { file } = found;
  if (file.purgedAt) throw new PurgedEvidenceError(file.purgedAt);
  if (file.scanStatus !== "clean") {
    throw new ConflictError(
      `evidence_${file.scanStatus}`,
      file.scanStatus === "pending"
        ? "Le fichier n'a pas encore été analysé par l'antivirus : il ne peut pas être téléchargé."
        : file.scanStatus === "infected"
          ? "Le fichier est infecté : il est en quarantaine et ne sera jamais servi."
          : "Le fichier n'a pas pu être analysé par l'antivirus : il est en quarantaine et n'est pas servi.",
    );
  }
  if (!mayDownloadEvidence(principal.role, incident.tlp as Tlp)) {
    throw new ForbiddenError(
      `Incident sous TLP:${incident.tlp} : ses pièces jointes restent à l'établissement et au pôle régional.`,
    );
  }
  const body = await deps.storage.get(file.storageKey);
  if (!body) throw new NotFoundError("Fichier");
  return {
    name: file.originalName,
    contentType:
      file.detectedMime && SAFE_INLINE_TYPES.has(file.detectedMime)
        ? file.detectedMime
        : "application/octet-stream",
    sizeBytes: file.sizeBytes,
    sha256: file.sha256,
    body,
  };
}

/** RFC 6266 / RFC 5987: an ASCII fallback for old clients, the exact name in UTF-8 for the others. */
export function contentDisposition(name: string): string {
  const ascii = name
    .normalize("NFKD")
    .replace(/[^\x20-\x7e]/g, "")
    .replace(/["\\%;]/g, "_")
    .trim();
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii || "fichier"}"; filename*=UTF-8''${encoded}`;
}

/**
 * Scans a file again for the pole: one quarantined for want of a scan (clamd was out of reach, or
 * silent) once clamd is back, or one still waiting for the worker. The stored bytes are read back and
 * hashed as they go to clamd: bytes that no longer match the SHA-256 the main courante holds stay
 * unscannable, said so. An infected file stays infected. The new verdict is a main-courante entry of its
 * own; the row keeps only the latest.
 */
export async function rescanEvidence(
  deps: EvidenceDeps,
  principal: Principal,
  incidentId: string,
  fileId: string,
  now = () => new Date(),
): Promise<EvidenceFile> {
  const incident = await visibleIncident(deps.db, principal, incidentId);
  requireWorker(principal, incident);
  const [found] = await selectFiles(deps.db, incidentId, fileId);
  if (!found) throw new NotFoundError("Fichier");
  if (found.file.purgedAt) throw new PurgedEvidenceError(found.file.purgedAt);
  if (found.file.scanStatus === "infected" || found.file.scanStatus === "clean") {
    throw new ConflictError(
      "evidence_already_scanned",
      found.file.scanStatus === "infected"
        ? "Le fichier est infecté : il reste en quarantaine."
        : "Le fichier a déjà été analysé : il est sain.",
    );
  }
  const verdict = await scanStoredEvidence(deps, found.file);
  return deps.db.transaction(async (tx) => {
    await lockIncident(tx, principal, incidentId);
    const row = await recordScanVerdict(tx, {
      file: found.file,
      verdict,
      actor: actorOf(principal),
      at: now(),
    });
    if (!row)
      throw new ConflictError("evidence_scan_changed", "Le fichier vient d'être analysé par ailleurs.");
    return toView(
      row,
      found.userName ?? found.apiKeyName ?? found.senderName,
      found.logEntrySeq,
      principal,
      incident.tlp,
    );
  });
}
