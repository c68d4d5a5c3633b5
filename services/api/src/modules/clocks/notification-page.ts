import { readFileSync } from "node:fs";
import {
  formatInZone,
  INCIDENT_STATUS_LABELS,
  type NotificationExport,
  SEVERITY_LABELS,
  TLP_COLORS,
  TLP_DESCRIPTIONS,
  tlpTag,
} from "@pris/domain";
import Handlebars from "handlebars";

const REPORT_LABELS = { final: "Rapport final", progress: "Rapport intermédiaire" } as const;

// An environment of our own, strict (a missing field is an error) and escaping every {{value}}.
const template = Handlebars.create().compile(
  readFileSync(new URL("./templates/notifications.html.hbs", import.meta.url), "utf8"),
  { strict: true },
);

/** The regulator export as a printable French page, times in the region's zone. */
export function renderNotificationPage(data: NotificationExport, regionName: string): string {
  const when = (iso: string) => formatInZone(new Date(iso), data.timeZone);
  const tlp = data.tlp;
  return template({
    ...data,
    regionName,
    tlpTag: tlpTag(tlp),
    tlpColor: TLP_COLORS[tlp],
    tlpDescription: TLP_DESCRIPTIONS[tlp],
    severityLabel: SEVERITY_LABELS[data.severity],
    statusLabel: INCIDENT_STATUS_LABELS[data.status],
    declarant: {
      name: data.declarant.name,
      function: data.declarant.function ?? null,
      phone: data.declarant.phone,
      email: data.declarant.email ?? null,
    },
    detectedAt: when(data.detectedAt),
    declaredAt: when(data.declaredAt),
    generatedAt: when(data.generatedAt),
    notifications: data.notifications.map((n) => ({
      ...n,
      dueAt: when(n.dueAt),
      doneAt: n.doneAt ? when(n.doneAt) : null,
      late: n.state === "overdue" || n.state === "done_late",
      submissions: n.submissions.map((s) => ({
        ...s,
        kindLabel: s.report ? REPORT_LABELS[s.report] : "Notification",
        doneAt: when(s.doneAt),
        recordedAt: when(s.recordedAt),
      })),
    })),
  });
}
