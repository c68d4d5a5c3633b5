import {
  CATEGORIES,
  type Category,
  CLOCK_LABELS,
  DECLARATION_CHANNEL_LABELS,
  type IncidentStats,
  RSIT_CLASSES,
  SEVERITY_LABELS,
} from "@pris/domain";
import { stringify } from "csv-stringify/sync";

/**
 * The statistics page as one table a French spreadsheet opens right: semicolons, a BOM so that accents
 * survive Excel, decimal commas (a "12.5" would be read as text). Long format — one indicator per row,
 * its dimensions in columns — so that a pivot table or a filter on "Indicateur" rebuilds every chart.
 */
const HEADERS = ["Indicateur", "Mois", "Territoire", "Catégorie", "Classe RSIT", "Gravité", "Valeur"];

const decimal = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1, useGrouping: false });
const rsitLabel = (value: string) => RSIT_CLASSES.find((c) => c.value === value)?.label ?? value;
const categoryLabel = (c: string) => CATEGORIES[c as Category]?.label ?? c;
const hours = (seconds: number | null) => (seconds === null ? "" : decimal.format(seconds / 3600));
const percent = (part: number, whole: number) => (whole === 0 ? "" : decimal.format((part / whole) * 100));

export function statsCsv(stats: IncidentStats, territoryNames: Map<string, string>): string {
  const row = (indicator: string, value: string | number, dims: Partial<Record<string, string>> = {}) => [
    indicator,
    dims.month ?? "",
    dims.territory ?? "",
    dims.category ?? "",
    dims.rsit ?? "",
    dims.severity ?? "",
    typeof value === "number" ? decimal.format(value) : value,
  ];
  const { durations, deadlines } = stats;
  const rows = [
    row("Période", `du ${stats.from} au ${stats.to}`),
    row("Incidents déclarés (total)", stats.total),
    ...stats.counts.map((c) =>
      row("Incidents déclarés", c.count, {
        month: c.month,
        territory: territoryNames.get(c.territory) ?? c.territory,
        category: categoryLabel(c.category),
        rsit: rsitLabel(c.rsitClass),
        severity: SEVERITY_LABELS[c.severity],
      }),
    ),
    ...stats.byChannel.map((c) =>
      row(`Incidents déclarés par canal : ${DECLARATION_CHANNEL_LABELS[c.channel]}`, c.count),
    ),
    row("Délai médian de prise en charge (heures)", hours(durations.acknowledge.medianSeconds)),
    row("Délai médian de confinement (heures)", hours(durations.contain.medianSeconds)),
    row("Délai médian de clôture (heures)", hours(durations.close.medianSeconds)),
    row("Échéances réglementaires respectées (%)", percent(deadlines.metOnTime, deadlines.due)),
    ...deadlines.byKind.map((d) =>
      row(`Échéances respectées (%) : ${CLOCK_LABELS[d.kind].label}`, percent(d.metOnTime, d.due)),
    ),
    ...stats.majorIncidents.map((m) =>
      row(`Incident majeur ${m.reference} : ${m.establishment}`, 1, {
        month: m.declaredAt.slice(0, 7),
        territory: territoryNames.get(m.territory) ?? m.territory,
        category: categoryLabel(m.category),
        severity: SEVERITY_LABELS.P1,
      }),
    ),
  ];
  return `\uFEFF${stringify([HEADERS, ...rows], { delimiter: ";", record_delimiter: "\r\n" })}`;
}
