import { formatNumber, formatRatio } from "@pris/domain";
import type { ChartOptions, TooltipItem } from "chart.js";

/**
 * How the web app writes figures and days: through Intl in fr-FR, never by hand ("12,5 %", "1 250",
 * "10 mars 2025"). Instants go through zoned-time.ts, in the region's zone; the number and plural helpers
 * are the domain's, shared with the e-mails and the exports.
 */
export { countOf, formatNumber, formatRatio, formatShare, pluralOf } from "@pris/domain";

const dayFormatter = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: "UTC" });
const monthFormatter = new Intl.DateTimeFormat("fr-FR", { month: "short", year: "numeric", timeZone: "UTC" });

/** A calendar day of the region, written out ("10 mars 2025"): a day has no time zone to convert. */
export function formatDay(day: string): string {
  return dayFormatter.format(new Date(`${day}T12:00:00Z`));
}

/** A month of the region ("2026-03") as "mars 2026". */
export function formatMonth(month: string): string {
  return monthFormatter.format(new Date(`${month}-01T12:00:00Z`));
}

/** Chart.js writes its ticks and tooltips in this locale: decimal commas, spaced thousands. */
export const CHART_LOCALE = "fr-FR";

type LinearScale = NonNullable<ChartOptions<"bar" | "line">["scales"]>[string] & {
  ticks?: Record<string, unknown>;
};

/** An axis of counts, titled with its unit ("Nombre d'incidents"): whole numbers only. */
export function countAxis(unit: string, extra: LinearScale = {}): LinearScale {
  return {
    beginAtZero: true,
    ...extra,
    ticks: { precision: 0, ...extra.ticks },
    title: { display: true, text: unit },
  };
}

/** An axis of percentages from 0 to 100, its ticks written "25 %", titled with what is measured. */
export function percentAxis(what: string, extra: LinearScale = {}): LinearScale {
  return {
    min: 0,
    max: 100,
    ...extra,
    ticks: { callback: (value) => formatRatio(Number(value) / 100, 0), ...extra.ticks },
    title: { display: true, text: `${what} (%)` },
  };
}

/** A tooltip line for a value in percent: "Taux de réalisation : 12,5 %". */
export function percentTooltip(item: TooltipItem<"bar" | "line">): string {
  const value = item.parsed[item.chart.options.indexAxis === "y" ? "x" : "y"];
  return `${item.dataset.label ?? ""} : ${value === null ? "—" : formatRatio(value / 100)}`;
}

/** A figure as the pages show it, "—" when there is none. */
export function formatOptional(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : formatNumber(n);
}
