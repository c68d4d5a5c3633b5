import { Badge } from "@codegouvfr/react-dsfr/Badge";
import {
  CLOCK_LABELS,
  type ClockKind,
  EVIDENCE_SCAN_LABELS,
  type EvidenceScanStatus,
  INCIDENT_ACTION_LABELS,
  INCIDENT_STATUS_LABELS,
  type IncidentAction,
  type IncidentStatus,
  type LogEntry,
  logEntryKindLabel,
  mailTemplateLabel,
  OBSERVABLE_LABELS,
  type ObservableType,
  QUALIFICATION_FIELD_LABELS,
  rsitClassLabel,
  rsitTypeLabel,
  rsitWording,
  SEVERITY_LABELS,
  type Severity,
} from "@pris/domain";
import type { ReactNode } from "react";
import { formatShort } from "../../lib/zoned-time.ts";

type Body = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === "string" ? v : v == null ? "" : String(v));
const ref = (v: unknown): { id?: string; name?: string; reference?: string; title?: string } =>
  v && typeof v === "object" ? (v as Record<string, string>) : {};

function fieldLabel(field: string): string {
  return Object.hasOwn(QUALIFICATION_FIELD_LABELS, field)
    ? QUALIFICATION_FIELD_LABELS[field as keyof typeof QUALIFICATION_FIELD_LABELS]
    : "Autre champ";
}

function fieldValue(field: string, value: unknown): string {
  const v = str(value);
  if (field === "severity") return SEVERITY_LABELS[v as Severity] ?? v;
  if (field === "rsitClass") return rsitClassLabel(v);
  if (field === "rsitType") return rsitTypeLabel(v);
  return v;
}

function statusLabel(value: unknown): string {
  const v = str(value);
  return Object.hasOwn(INCIDENT_STATUS_LABELS, v) ? INCIDENT_STATUS_LABELS[v as IncidentStatus] : "—";
}

/** One entry in words: a title, and what it carries. */
export function describeEntry(entry: LogEntry, tz: string): { title: string; detail?: ReactNode } {
  const b = entry.body as Body;
  switch (entry.kind) {
    case "declared":
      return {
        title: "Incident déclaré",
        detail: `Gravité suggérée : ${SEVERITY_LABELS[b.severity as Severity] ?? str(b.severity)} — impact sur les soins niveau ${str(b.impactGrade)}`,
      };
    case "status_changed": {
      const to = statusLabel(b.to);
      const from = statusLabel(b.from);
      const lines: ReactNode[] = [];
      if (b.reason) lines.push(`Motif : ${str(b.reason)}`);
      if (b.followUpAt) lines.push(`Relance prévue le ${formatShort(str(b.followUpAt), tz)}`);
      if (b.mergeInto) lines.push(`Fusionné dans ${ref(b.mergeInto).reference ?? ""}`);
      if (b.note) lines.push(str(b.note));
      const closure = b.closure as Body | undefined;
      if (closure) {
        lines.push(`Classification finale : ${rsitWording(str(closure.rsitClass), str(closure.rsitType))}`);
        lines.push(`Cause : ${str(closure.rootCause)}`);
        lines.push(`Mesures : ${str(closure.measures)}`);
        lines.push(`Enseignements : ${str(closure.lessons)}`);
      }
      return {
        title: `${INCIDENT_ACTION_LABELS[b.action as IncidentAction] ?? "Changement de statut"} : ${from} → ${to}`,
        detail:
          lines.length > 0
            ? lines.map((l, i) => (
                <span key={String(i)} className="pris-block">
                  {l}
                </span>
              ))
            : undefined,
      };
    }
    case "merged_from":
      return { title: `Doublon fusionné dans cet incident : ${ref(b.incident).reference ?? ""}` };
    case "assigned": {
      const assignee = ref(b.assignee).name;
      if (b.via === "claim") return { title: `${assignee ?? "Quelqu'un"} a pris l'incident` };
      if (!assignee) return { title: "Incident sans responsable" };
      return { title: `Attribué à ${assignee}` };
    }
    case "qualified": {
      const changes = (b.changes ?? {}) as Record<string, { from: unknown; to: unknown }>;
      return {
        title: "Qualification modifiée",
        detail: (
          <>
            {Object.entries(changes).map(([field, c]) => (
              <span key={field} className="pris-block">
                {fieldLabel(field)} : {fieldValue(field, c.from)} → {fieldValue(field, c.to)}
              </span>
            ))}
            {b.reason ? <span className="pris-block">Motif : {str(b.reason)}</span> : null}
          </>
        ),
      };
    }
    case "escalated":
      return { title: "Incident majeur : cellule de crise ouverte, la task force est mobilisée" };
    case "comment":
      return { title: "Commentaire", detail: <span className="pris-prewrap">{str(b.text)}</span> };
    case "call":
      return {
        title: `Appel avec ${str(b.with)}`,
        detail: <span className="pris-prewrap">{str(b.summary)}</span>,
      };
    case "action":
      return { title: "Action", detail: <span className="pris-prewrap">{str(b.text)}</span> };
    case "task_added": {
      const owner = ref(b.owner).name;
      return {
        title: `Tâche ajoutée : ${ref(b.task).title ?? ""}`,
        detail: [owner ? `Pour ${owner}` : "", b.dueAt ? `avant le ${formatShort(str(b.dueAt), tz)}` : ""]
          .filter(Boolean)
          .join(", "),
      };
    }
    case "task_done":
      return { title: `Tâche faite : ${ref(b.task).title ?? ""}` };
    case "clock_recorded": {
      const label = CLOCK_LABELS[b.clock as ClockKind]?.label ?? "Échéance réglementaire";
      const report = b.report === "progress" ? " (rapport intermédiaire)" : "";
      return {
        title: `${label}${report} : faite le ${formatShort(str(b.doneAt), tz)}`,
        detail: (
          <>
            <span className="pris-block">
              Auprès de {str(b.authority)}
              {b.reference ? `, référence ${str(b.reference)}` : ""}
            </span>
            {b.lateReason ? <span className="pris-block">Motif du retard : {str(b.lateReason)}</span> : null}
            {b.note ? <span className="pris-block">{str(b.note)}</span> : null}
          </>
        ),
      };
    }
    case "observables_added": {
      const list = Array.isArray(b.observables)
        ? (b.observables as { type: ObservableType; normalized: string }[])
        : [];
      return {
        title: `${list.length} indicateur${list.length > 1 ? "s" : ""} ajouté${list.length > 1 ? "s" : ""}`,
        detail: list.map((o) => (
          <span key={`${o.type}:${o.normalized}`} className="pris-block">
            {OBSERVABLE_LABELS[o.type] ?? "Indicateur"} : <code>{o.normalized}</code>
          </span>
        )),
      };
    }
    case "notification": {
      const n = Number(b.recipients ?? 0);
      const who =
        Array.isArray(b.roles) && (b.roles as string[]).includes("taskforce") ? " (task force et ARS)" : "";
      const clock = CLOCK_LABELS[b.clock as ClockKind]?.label;
      return {
        title: `Courriel envoyé à ${n} destinataire${n > 1 ? "s" : ""}${who}`,
        detail: `Objet : ${mailTemplateLabel(str(b.template))}${clock ? ` — ${clock}` : ""}`,
      };
    }
    case "evidence_added": {
      const file = b.file as {
        name?: unknown;
        sizeBytes?: unknown;
        sha256?: unknown;
        detectedType?: unknown;
      };
      const scan = (b.scan ?? {}) as { status?: unknown; detail?: unknown };
      const status = EVIDENCE_SCAN_LABELS[scan.status as EvidenceScanStatus] ?? "Analyse antivirus inconnue";
      return {
        title: `Pièce jointe : ${str(file?.name)}`,
        detail: (
          <>
            <span className="pris-block">
              {Number(file?.sizeBytes ?? 0).toLocaleString("fr-FR")} octets
              {file?.detectedType ? `, type ${str(file.detectedType)}` : ", type non reconnu"}
            </span>
            <span className="pris-block pris-mono">SHA-256 : {str(file?.sha256)}</span>
            <span className="pris-block">
              {status}
              {scan.detail ? ` (${str(scan.detail)})` : ""}
            </span>
          </>
        ),
      };
    }
    case "evidence_scanned":
    case "evidence_rescanned": {
      const file = (b.file ?? {}) as { name?: unknown };
      const scan = (b.scan ?? {}) as { status?: unknown; detail?: unknown };
      const status = EVIDENCE_SCAN_LABELS[scan.status as EvidenceScanStatus] ?? "Analyse antivirus inconnue";
      return {
        title: `${entry.kind === "evidence_scanned" ? "Analyse antivirus" : "Nouvelle analyse antivirus"} : ${str(file.name)}`,
        detail: `${status}${scan.detail ? ` (${str(scan.detail)})` : ""}`,
      };
    }
    case "retention_purged": {
      const files = (Array.isArray(b.files) ? b.files : []) as {
        id?: unknown;
        name?: unknown;
        sizeBytes?: unknown;
        sha256?: unknown;
      }[];
      const mails = Array.isArray(b.mails) ? b.mails.length : 0;
      const parts = [
        files.length > 0
          ? `${files.length} pièce${files.length > 1 ? "s" : ""} jointe${files.length > 1 ? "s" : ""}`
          : "",
        mails > 0 ? `le texte de ${mails} courriel${mails > 1 ? "s" : ""}` : "",
      ].filter(Boolean);
      return {
        title: `Fin de la durée de conservation : ${parts.join(" et ") || "rien"} supprimé${parts.length > 0 ? "s" : ""}`,
        detail: (
          <>
            {b.closedAt ? (
              <span className="pris-block">
                Incident clos le {formatShort(str(b.closedAt), tz)}, conservé {Number(b.retentionDays ?? 0)}{" "}
                jours
              </span>
            ) : null}
            {files.map((f) => (
              <span key={str(f.id)} className="pris-block">
                {str(f.name)} — {Number(f.sizeBytes ?? 0).toLocaleString("fr-FR")} octets —{" "}
                <span className="pris-mono">SHA-256 : {str(f.sha256)}</span>
              </span>
            ))}
          </>
        ),
      };
    }
    default:
      return { title: logEntryKindLabel(entry.kind) };
  }
}

export function VisibilityBadge({ visibility }: { visibility: LogEntry["visibility"] }) {
  return visibility === "shared" ? (
    <Badge as="span" small severity="info" noIcon>
      Partagé avec l'établissement
    </Badge>
  ) : (
    <Badge as="span" small noIcon className="pris-badge-internal">
      Interne au pôle
    </Badge>
  );
}

/** The main courante, newest first. */
export function Timeline({
  entries,
  tz,
  showVisibility,
  meId,
}: {
  entries: readonly LogEntry[];
  tz: string;
  showVisibility: boolean;
  meId: string;
}) {
  if (entries.length === 0) return <p className="pris-muted">Aucune entrée pour l'instant.</p>;
  return (
    <ol className="pris-timeline" reversed>
      {[...entries].reverse().map((e) => {
        const { title, detail } = describeEntry(e, tz);
        const conversation = e.kind === "comment" || e.kind === "call" || e.kind === "action";
        return (
          <li
            key={e.id}
            className={`pris-entry pris-entry--${e.visibility}${conversation ? " pris-entry--conversation" : ""}`}
            data-kind={e.kind}
          >
            <p className="fr-text--xs fr-mb-1v pris-muted">
              <time dateTime={e.at}>{formatShort(e.at, tz)}</time>
              {" · "}
              {e.actor ? (e.actor.id === meId ? "Vous" : e.actor.name) : "PRIS (automatique)"}
              {" · "}
              {logEntryKindLabel(e.kind)}
              {showVisibility && (
                <>
                  {" "}
                  <VisibilityBadge visibility={e.visibility} />
                </>
              )}
            </p>
            <p className={`fr-mb-0${conversation ? "" : " fr-text--bold"}`}>
              {conversation ? <strong className="pris-block">{title}</strong> : title}
              {detail ? (
                <span className="pris-block fr-text--sm fr-mb-0 pris-entry__detail">{detail}</span>
              ) : null}
            </p>
          </li>
        );
      })}
    </ol>
  );
}
