import { incidentLog, type Tx, users } from "@pris/db";
import { formatInZone, type Tlp, tlpAllowsContentByEmail } from "@pris/domain";
import { and, eq } from "drizzle-orm";
import type { MailConfig } from "./incident-declared-mail.ts";
import { incidentNoticeView, loadIncidentForNotice } from "./notice-mail.ts";
import { type RenderedMail, renderIncidentMessage } from "./templates.ts";

const KIND_LABELS: Record<string, string> = {
  comment: "Message",
  action: "Action",
  call: "Appel",
  status_changed: "Question",
};

/** What the entry says to the establishment, as one text; null when it holds nothing to quote. */
function entryText(kind: string, body: Record<string, unknown>): string | null {
  const str = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v : null);
  if (kind === "call") {
    const withWhom = str(body.with);
    const summary = str(body.summary);
    return summary && withWhom ? `Avec ${withWhom} : ${summary}` : summary;
  }
  if (kind === "status_changed") {
    return [str(body.reason), str(body.note)].filter((t) => t !== null).join("\n\n") || null;
  }
  return str(body.text);
}

/**
 * Rendered from the entry and the incident as they are when sent. The entry's words travel only when
 * the incident's TLP lets its content go by e-mail; otherwise the e-mail says a message is waiting and
 * links to the incident. An entry no longer shared (it cannot be, the log is append-only) renders nothing.
 */
export async function renderIncidentMessageMail(
  db: Tx,
  config: MailConfig,
  entryId: string,
): Promise<RenderedMail | undefined> {
  const [entry] = await db
    .select({
      incidentId: incidentLog.incidentId,
      kind: incidentLog.kind,
      body: incidentLog.body,
      at: incidentLog.at,
      author: users.displayName,
    })
    .from(incidentLog)
    .leftJoin(users, eq(users.id, incidentLog.actorUserId))
    .where(and(eq(incidentLog.id, entryId), eq(incidentLog.visibility, "shared")));
  if (!entry) return undefined;
  const incident = await loadIncidentForNotice(db, entry.incidentId);
  if (!incident) return undefined;
  const question = entry.kind === "status_changed" && entry.body.action === "wait_establishment";
  const followUp = typeof entry.body.followUpAt === "string" ? new Date(entry.body.followUpAt) : null;
  const text = entryText(entry.kind, entry.body);
  const allowed = tlpAllowsContentByEmail(incident.tlp as Tlp);
  return renderIncidentMessage({
    ...incidentNoticeView(incident, config),
    heading: question ? "Le pôle régional attend votre réponse" : "Nouveau message du pôle régional",
    intro: question
      ? `Le pôle régional de cybersécurité vous pose une question sur l'incident ${incident.reference}.`
      : `Le pôle régional de cybersécurité a écrit dans la main courante de l'incident ${incident.reference}.`,
    kindLabel: KIND_LABELS[entry.kind] ?? "Message",
    author: entry.author,
    at: formatInZone(entry.at, config.REGION_TIMEZONE),
    text: allowed ? text : null,
    withheld: !allowed && text !== null,
    followUpAt: question && followUp ? formatInZone(followUp, config.REGION_TIMEZONE) : null,
  });
}
