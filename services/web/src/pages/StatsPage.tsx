import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import {
  CATEGORIES,
  type Category,
  CLOCK_LABELS,
  DECLARATION_CHANNEL_LABELS,
  INCIDENT_STATUS_LABELS,
  type IncidentStats,
  rsitClassLabel,
  SEVERITIES,
  SEVERITY_LABELS,
  type Severity,
} from "@pris/domain";
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";
import { type FormEvent, useEffect, useMemo, useState } from "react";
import { Link } from "react-router";
import { ApiError, api, describeError } from "../api/client.ts";
import { SeverityBadge } from "../components/badges.tsx";
import { usePageTitle } from "../components/Layout.tsx";
import { formatSeconds } from "../lib/countdown.ts";
import {
  CHART_LOCALE,
  countAxis,
  countOf,
  formatDay,
  formatMonth,
  formatNumber,
  formatRatio,
  formatShare,
  pluralOf,
} from "../lib/format.ts";
import { useChart } from "../lib/use-chart.ts";
import { formatShort } from "../lib/zoned-time.ts";
import { useApp } from "../session.tsx";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** DSFR system colours: error, warning, info, grey. */
const SEVERITY_COLOURS: Record<Severity, string> = {
  P1: "#ce0500",
  P2: "#b34000",
  P3: "#0063cb",
  P4: "#929292",
};

const dayLabel = formatDay;
const monthLabel = formatMonth;

function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let [y, m] = from.slice(0, 7).split("-").map(Number) as [number, number];
  const end = to.slice(0, 7);
  for (let guard = 0; guard < 240; guard++) {
    const key = `${y}-${String(m).padStart(2, "0")}`;
    out.push(key);
    if (key >= end) break;
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

function MonthlyChart({ months, series }: { months: string[]; series: Record<Severity, number[]> }) {
  const canvas = useChart(
    () => ({
      type: "bar",
      data: {
        labels: months.map(monthLabel),
        datasets: SEVERITIES.map((s) => ({
          label: SEVERITY_LABELS[s],
          data: series[s],
          backgroundColor: SEVERITY_COLOURS[s],
          stack: "severity",
        })),
      },
      options: {
        locale: CHART_LOCALE,
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { stacked: true, title: { display: true, text: "Mois de déclaration" } },
          y: countAxis("Nombre d'incidents", { stacked: true }),
        },
      },
    }),
    [months, series],
  );
  const total = months.reduce((n, _m, i) => n + SEVERITIES.reduce((k, s) => k + (series[s][i] ?? 0), 0), 0);
  return (
    <div className="pris-chart">
      <canvas
        ref={canvas}
        role="img"
        aria-label={`Incidents déclarés par mois et par gravité : ${countOf(total, "incident")} au total sur la période. Le détail figure dans le tableau qui suit.`}
      />
    </div>
  );
}

/** A breakdown as a table with a bar in each row: readable on a phone, and by a screen reader. */
function Breakdown({ title, rows }: { title: string; rows: { label: string; count: number }[] }) {
  const max = Math.max(1, ...rows.map((r) => r.count));
  const total = rows.reduce((n, r) => n + r.count, 0);
  return (
    <div className="pris-panel">
      <h3 className="fr-h6">{title}</h3>
      {rows.length === 0 ? (
        <p className="pris-muted">Aucun incident.</p>
      ) : (
        <table className="pris-breakdown">
          <caption className="fr-sr-only">{title}</caption>
          <thead className="fr-sr-only">
            <tr>
              <th scope="col">Valeur</th>
              <th scope="col">Incidents</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.label}>
                <th scope="row">
                  {r.label}
                  <span className="pris-bar" aria-hidden="true">
                    <span style={{ width: `${(r.count / max) * 100}%` }} />
                  </span>
                </th>
                <td>
                  {formatNumber(r.count)}
                  <span className="fr-text--xs pris-muted"> ({formatShare(r.count, total, 0)})</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function sumBy<K extends string>(
  rows: IncidentStats["counts"],
  key: (r: IncidentStats["counts"][number]) => K,
) {
  const m = new Map<K, number>();
  for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + r.count);
  return [...m.entries()].sort((a, b) => b[1] - a[1]);
}

type State =
  | { status: "loading" }
  | { status: "ready"; stats: IncidentStats }
  | { status: "error"; message: string };

export function StatsPage() {
  usePageTitle("Statistiques des incidents");
  const { config, expired } = useApp();
  const tz = config.timeZone;
  const [period, setPeriod] = useState<{ from: string; to: string }>({ from: "", to: "" });
  const [draft, setDraft] = useState({ from: "", to: "" });
  const [state, setState] = useState<State>({ status: "loading" });
  const [territories, setTerritories] = useState<Record<string, string>>({});

  useEffect(() => {
    const controller = new AbortController();
    const sp = new URLSearchParams();
    if (period.from) sp.set("from", period.from);
    if (period.to) sp.set("to", period.to);
    setState({ status: "loading" });
    api
      .get<IncidentStats>(`/stats/incidents?${sp}`, { signal: controller.signal })
      .then((stats) => {
        setState({ status: "ready", stats });
        setDraft((d) => (d.from || d.to ? d : { from: stats.from, to: stats.to }));
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) return expired();
        setState({
          status: "error",
          message:
            err instanceof ApiError && err.status === 403
              ? "Les statistiques sont réservées à l'ARS et au pôle cyber."
              : describeError(err),
        });
      });
    return () => controller.abort();
  }, [period, expired]);

  useEffect(() => {
    api
      .get<{ code: string; name: string }[]>("/territories")
      .then((list) => setTerritories(Object.fromEntries(list.map((t) => [t.code, t.name]))))
      .catch(() => {});
  }, []);

  const derived = useMemo(() => {
    if (state.status !== "ready") return null;
    const s = state.stats;
    const months = monthsBetween(s.from, s.to);
    const series = Object.fromEntries(SEVERITIES.map((sev) => [sev, months.map(() => 0)])) as Record<
      Severity,
      number[]
    >;
    for (const r of s.counts) {
      const i = months.indexOf(r.month);
      if (i >= 0) series[r.severity][i]! += r.count;
    }
    return {
      months,
      series,
      bySeverity: SEVERITIES.map((sev) => ({
        label: SEVERITY_LABELS[sev],
        count: s.counts.filter((r) => r.severity === sev).reduce((n, r) => n + r.count, 0),
      })),
      byCategory: sumBy(s.counts, (r) => r.category).map(([k, count]) => ({
        label: CATEGORIES[k as Category]?.label ?? k,
        count,
      })),
      byTerritory: sumBy(s.counts, (r) => r.territory).map(([k, count]) => ({
        label: territories[k] ?? k,
        count,
      })),
      byRsit: sumBy(s.counts, (r) => r.rsitClass).map(([k, count]) => ({ label: rsitClassLabel(k), count })),
    };
  }, [state, territories]);

  function submit(e: FormEvent) {
    e.preventDefault();
    setPeriod({ ...draft });
  }

  return (
    <div className="fr-container fr-my-4w">
      <h1 className="fr-h2 fr-mb-2w">Statistiques des incidents</h1>
      <form onSubmit={submit} className="pris-period" aria-label="Période">
        <Input
          label="Du"
          nativeInputProps={{
            type: "date",
            value: draft.from,
            onChange: (e) => setDraft({ ...draft, from: e.target.value }),
          }}
        />
        <Input
          label="Au"
          nativeInputProps={{
            type: "date",
            value: draft.to,
            onChange: (e) => setDraft({ ...draft, to: e.target.value }),
          }}
        />
        <Button type="submit" priority="secondary">
          Afficher
        </Button>
      </form>
      {state.status === "ready" && (
        <p>
          <a
            className="fr-link fr-icon-download-line fr-link--icon-left"
            href={`/api/v1/stats/incidents.csv?${new URLSearchParams({ from: state.stats.from, to: state.stats.to })}`}
            download
          >
            Exporter en CSV (tableur)
          </a>
        </p>
      )}

      {state.status === "loading" && <p aria-live="polite">Chargement…</p>}
      {state.status === "error" && (
        <Alert severity="error" title="Statistiques indisponibles" description={state.message} />
      )}
      {state.status === "ready" && derived && (
        <>
          <p className="fr-text--sm pris-muted">
            Du {dayLabel(state.stats.from)} au {dayLabel(state.stats.to)} (jours et mois à l'heure de{" "}
            {config.regionName}). Les doublons fusionnés et les signalements rejetés sont exclus.
          </p>
          <ul className="pris-tiles">
            <li className="pris-tile">
              <span className="pris-tile__value" data-testid="stats-total">
                {formatNumber(state.stats.total)}
              </span>
              <span>{pluralOf(state.stats.total, "incident déclaré", "incidents déclarés")}</span>
            </li>
            <li className="pris-tile">
              <span className="pris-tile__value">
                {formatSeconds(state.stats.durations.acknowledge.medianSeconds)}
              </span>
              <span>
                délai médian de prise en compte (sur{" "}
                {countOf(state.stats.durations.acknowledge.incidents, "incident")})
              </span>
            </li>
            <li className="pris-tile">
              <span className="pris-tile__value">
                {formatSeconds(state.stats.durations.contain.medianSeconds)}
              </span>
              <span>
                délai médian d'endiguement (sur {countOf(state.stats.durations.contain.incidents, "incident")}
                )
              </span>
            </li>
            <li className="pris-tile">
              <span className="pris-tile__value">
                {formatSeconds(state.stats.durations.close.medianSeconds)}
              </span>
              <span>
                délai médian de clôture (sur {countOf(state.stats.durations.close.incidents, "incident")})
              </span>
            </li>
            <li className="pris-tile">
              <span className="pris-tile__value">{formatRatio(state.stats.deadlines.share, 0)}</span>
              <span>
                échéances réglementaires tenues ({formatNumber(state.stats.deadlines.metOnTime)} sur{" "}
                {formatNumber(state.stats.deadlines.due)})
              </span>
            </li>
          </ul>

          <h2 className="fr-h4 fr-mt-4w">Incidents par mois</h2>
          <MonthlyChart months={derived.months} series={derived.series} />
          <details className="fr-mt-1w">
            <summary>Voir les chiffres par mois</summary>
            <div className="fr-table fr-table--sm">
              <table>
                <caption className="fr-sr-only">Incidents par mois et par gravité</caption>
                <thead>
                  <tr>
                    <th scope="col">Mois</th>
                    {SEVERITIES.map((s) => (
                      <th key={s} scope="col">
                        {s}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {derived.months.map((m, i) => (
                    <tr key={m}>
                      <th scope="row">{monthLabel(m)}</th>
                      {SEVERITIES.map((s) => (
                        <td key={s}>{formatNumber(derived.series[s][i] ?? 0)}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>

          <h2 className="fr-h4 fr-mt-4w">Répartitions</h2>
          <div className="pris-breakdowns">
            <Breakdown title="Par gravité" rows={derived.bySeverity} />
            <Breakdown title="Par catégorie d'établissement" rows={derived.byCategory} />
            <Breakdown title="Par territoire" rows={derived.byTerritory} />
            <Breakdown title="Par classe RSIT" rows={derived.byRsit} />
            <Breakdown
              title="Par canal de déclaration"
              rows={state.stats.byChannel
                .filter((c) => c.count > 0)
                .map((c) => ({ label: DECLARATION_CHANNEL_LABELS[c.channel], count: c.count }))}
            />
          </div>

          <h2 className="fr-h4 fr-mt-4w">Échéances réglementaires</h2>
          {state.stats.deadlines.byKind.length === 0 ? (
            <p>Aucune échéance réglementaire échue sur la période.</p>
          ) : (
            <div className="fr-table fr-table--sm">
              <table>
                <caption className="fr-sr-only">Échéances tenues par obligation</caption>
                <thead>
                  <tr>
                    <th scope="col">Obligation</th>
                    <th scope="col">Échues</th>
                    <th scope="col">Tenues</th>
                    <th scope="col">Part</th>
                  </tr>
                </thead>
                <tbody>
                  {state.stats.deadlines.byKind.map((k) => (
                    <tr key={k.kind}>
                      <th scope="row">{CLOCK_LABELS[k.kind].label}</th>
                      <td>{formatNumber(k.due)}</td>
                      <td>{formatNumber(k.metOnTime)}</td>
                      <td>{formatShare(k.metOnTime, k.due)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}

          <h2 className="fr-h4 fr-mt-4w">Incidents majeurs (P1)</h2>
          {state.stats.majorIncidents.length === 0 ? (
            <p>Aucun incident majeur sur la période.</p>
          ) : (
            <ul className="pris-list-plain">
              {state.stats.majorIncidents.map((m) => (
                <li key={m.reference} className="pris-card">
                  <SeverityBadge severity="P1" small /> <strong>{m.reference}</strong> — {m.establishment}
                  <span className="pris-block fr-text--sm pris-muted">
                    {CATEGORIES[m.category as Category]?.label ?? m.category} ·{" "}
                    {territories[m.territory] ?? m.territory} · {INCIDENT_STATUS_LABELS[m.status]} · déclaré
                    le {formatShort(m.declaredAt, tz)}
                  </span>
                </li>
              ))}
            </ul>
          )}
          <p className="fr-mt-4w">
            <Link to="/" className="fr-link">
              Retour à l'accueil
            </Link>
          </p>
        </>
      )}
    </div>
  );
}
