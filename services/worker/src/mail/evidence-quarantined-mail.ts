import { evidenceFiles, type Tx } from "@pris/db";
import { formatInZone, type Tlp, tlpAllowsContentByEmail } from "@pris/domain";
import { eq } from "drizzle-orm";
import type { MailConfig } from "./incident-declared-mail.ts";
import { incidentNoticeView, loadIncidentForNotice } from "./notice-mail.ts";
import { type RenderedMail, renderEvidenceQuarantined } from "./templates.ts";

/**
 * Rendered from the file's row and its incident as they are when sent. The file's name travels only
 * when the incident's TLP lets its content go by e-mail; its hash, size and verdict always do, so that
 * the pole can match it. A file no longer quarantined (scanned again, clean) renders nothing.
 */
export async function renderEvidenceQuarantinedMail(
  db: Tx,
  config: MailConfig,
  fileId: string,
): Promise<RenderedMail | undefined> {
  const [file] = await db.select().from(evidenceFiles).where(eq(evidenceFiles.id, fileId));
  if (!file || file.scanStatus === "clean" || file.scanStatus === "pending") return undefined;
  const incident = await loadIncidentForNotice(db, file.incidentId);
  if (!incident) return undefined;
  return renderEvidenceQuarantined({
    ...incidentNoticeView(incident, config),
    verdict: file.scanStatus === "infected" ? "infectée" : "non analysable",
    detail: file.scanDetail,
    fileName: tlpAllowsContentByEmail(incident.tlp as Tlp) ? file.originalName : null,
    sizeBytes: file.sizeBytes.toLocaleString("fr-FR"),
    sha256: file.sha256,
    uploadedAt: formatInZone(file.createdAt, config.REGION_TIMEZONE),
  });
}
