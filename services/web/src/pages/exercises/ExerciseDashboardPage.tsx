import {
  CATEGORIES,
  type Category,
  type Completion,
  FINDING_THEME_LABELS,
  type FindingTheme,
} from "@pris/domain";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { useMemo, useState } from "react";
import { DataTable } from "../../components/DataTable.tsx";
import { usePageTitle } from "../../components/Layout.tsx";
import { LoadError } from "../../components/LoadError.tsx";
import { SelectField } from "../../components/SelectField.tsx";
import { CHART_LOCALE, formatNumber, percentAxis, percentTooltip, pluralOf } from "../../lib/format.ts";
import { useChart } from "../../lib/use-chart.ts";
import { useResource } from "../../lib/use-resource.ts";
import { useApp } from "../../session.tsx";
import { BackLink, percent, todayIn } from "./exercise-common.tsx";
import { LateList } from "./LateList.tsx";

Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
);

const FORBIDDEN = "Le tableau de bord des exercices est réservé à l'ARS et au pôle cyber.";
const categoryLabel = (c: string) => CATEGORIES[c as Category]?.label ?? c;

interface Recurring {
  year: number;
  retexCount: number;
  themes: { theme: FindingTheme; negative: number; positive: number; retex: number }[];
}

/** A rate as a colour: red under a half, orange under 80 %, green above. */
function rateClass(rate: number | null): string {
  if (rate === null) return "";
  if (rate < 0.5) return "pris-rate-low";
  if (rate < 0.8) return "pris-rate-mid";
  return "pris-rate-high";
}

function TerritoryChart({ data }: { data: Completion }) {
  const byTerritory = useMemo(() => {
    const m = new Map<string, { name: string; subject: number; held: number }>();
    for (const r of data.rows) {
      const t = m.get(r.territory) ?? { name: r.territoryName, subject: 0, held: 0 };
      t.subject += r.subject;
      t.held += r.held;
      m.set(r.territory, t);
    }
    return [...m.values()];
  }, [data]);
  const canvas = useChart(
    () => ({
      type: "bar",
      data: {
        labels: byTerritory.map((t) => t.name),
        datasets: [
          {
            label: "Taux de réalisation",
            data: byTerritory.map((t) => (t.subject === 0 ? 0 : (t.held / t.subject) * 100)),
            backgroundColor: "#000091",
          },
        ],
      },
      options: {
        indexAxis: "y",
        locale: CHART_LOCALE,
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: percentTooltip } } },
        scales: {
          x: percentAxis("Établissements assujettis ayant réalisé un exercice"),
          y: { title: { display: true, text: "Territoire" } },
        },
      },
    }),
    [byTerritory],
  );
  return (
    <div className="pris-chart pris-chart-short">
      <canvas
        ref={canvas}
        role="img"
        aria-label={`Taux de réalisation par territoire : ${byTerritory
          .map((t) => `${t.name} ${percent(t.subject === 0 ? null : t.held / t.subject)}`)
          .join(", ")}.`}
      />
    </div>
  );
}

function TrendChart({ trend }: { trend: Completion["trend"] }) {
  const canvas = useChart(
    () => ({
      type: "line",
      data: {
        labels: trend.map((y) => String(y.year)),
        datasets: [
          {
            label: "Taux de réalisation",
            data: trend.map((y) => (y.rate === null ? null : y.rate * 100)),
            borderColor: "#000091",
            backgroundColor: "#000091",
          },
        ],
      },
      options: {
        locale: CHART_LOCALE,
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: percentTooltip } } },
        scales: {
          x: { title: { display: true, text: "Année" } },
          y: percentAxis("Taux de réalisation"),
        },
      },
    }),
    [trend],
  );
  return (
    <div className="pris-chart pris-chart-short">
      <canvas
        ref={canvas}
        role="img"
        aria-label={`Évolution du taux de réalisation : ${trend.map((y) => `${y.year} ${percent(y.rate)}`).join(", ")}.`}
      />
    </div>
  );
}

/** Territory × category at a glance: each cell the rate, coloured, with held / subject. */
function Grid({ data }: { data: Completion }) {
  const territories = [...new Map(data.rows.map((r) => [r.territory, r.territoryName])).entries()];
  const categories = [...new Set(data.rows.map((r) => r.category))];
  const cell = (t: string, c: string) => data.rows.find((r) => r.territory === t && r.category === c);
  // A cross-table, kept whole on a phone: a card per category would lose the reading down a
  // territory's column; the few territories scroll within the frame if the screen is too narrow.
  return (
    <DataTable
      caption="Réalisation par territoire et catégorie"
      className="fr-table--bordered pris-grid"
      stack={false}
      rowHeader
      headers={["Catégorie", ...territories.map(([, name]) => name)]}
      rows={categories.map((c) => ({
        key: c,
        cells: [
          categoryLabel(c),
          ...territories.map(([t]) => {
            const r = cell(t, c);
            return (
              <div key={t} className={r ? rateClass(r.rate) : ""} data-cell={`${t}:${c}`}>
                {r ? (
                  <>
                    <strong>{percent(r.rate)}</strong>
                    <br />
                    <span className="fr-text--xs">
                      {formatNumber(r.held)} / {formatNumber(r.subject)}
                    </span>
                  </>
                ) : (
                  "—"
                )}
              </div>
            );
          }),
        ],
      }))}
    />
  );
}

function RecurringFindings({ year }: { year: number }) {
  const { state } = useResource<Recurring>(`/exercises/findings?year=${year}`, FORBIDDEN);
  if (state.status !== "ready") return <p>{state.status === "error" ? state.message : "Chargement…"}</p>;
  const max = Math.max(1, ...state.data.themes.map((t) => t.negative));
  return (
    <>
      <p>
        {formatNumber(state.data.retexCount)} RETEX {pluralOf(state.data.retexCount, "soumis")} pour les
        exercices de l'année.
      </p>
      {/* Three figures a theme: as a card each, they would only repeat the column names. */}
      <DataTable
        caption="Constats récurrents par thème"
        stack={false}
        rowHeader
        headers={["Thème", "Points à améliorer", "Points forts"]}
        rows={state.data.themes.map((t) => ({
          key: t.theme,
          cells: [
            <>
              {FINDING_THEME_LABELS[t.theme]}
              <span className="pris-bar" aria-hidden="true">
                <span style={{ width: `${(t.negative / max) * 100}%` }} />
              </span>
            </>,
            <>
              {t.negative} <span className="fr-text--xs pris-muted">({t.retex} RETEX)</span>
            </>,
            t.positive,
          ],
        }))}
      />
    </>
  );
}

/** The ARS's view of the yearly obligation: completion, trend, those late, what keeps failing. */
export function ExerciseDashboardPage() {
  usePageTitle("Exercices de crise — réalisation");
  const { config } = useApp();
  const thisYear = Number(todayIn(config.timeZone).slice(0, 4));
  const [year, setYear] = useState(thisYear);
  const { state, reload } = useResource<Completion>(`/exercises/completion?year=${year}`, FORBIDDEN);
  const territoryNames = new Map(
    state.status === "ready" ? state.data.rows.map((r) => [r.territory, r.territoryName]) : [],
  );
  return (
    <div className="fr-container fr-my-4w">
      <BackLink to="/exercices">Exercices</BackLink>
      <h1>Exercices de crise cyber : réalisation {year}</h1>
      <SelectField
        id="dashboard-year"
        label="Année"
        className="pris-narrow"
        value={year}
        options={[0, 1, 2, 3, 4].map((d) => [thisYear - d, thisYear - d] as const)}
        onChange={setYear}
      />
      {state.status === "loading" && <p>Chargement…</p>}
      {state.status === "error" && (
        <LoadError title="Tableau de bord indisponible" message={state.message} retry={reload} />
      )}
      {state.status === "ready" && (
        <>
          <ul className="pris-kpis">
            <li>
              <span className="pris-kpi" data-testid="completion-rate">
                {percent(state.data.total.rate)}
              </span>
              taux de réalisation
            </li>
            <li>
              <span className="pris-kpi" data-testid="completion-held">
                {formatNumber(state.data.total.held)} / {formatNumber(state.data.total.subject)}
              </span>
              établissements avec un exercice réalisé
            </li>
            <li>
              <span className="pris-kpi">{state.data.total.planned}</span>
              avec un exercice planifié ou réalisé
            </li>
            <li>
              <span className="pris-kpi">{state.data.total.retexSubmitted}</span>
              RETEX soumis
            </li>
            <li>
              <span className="pris-kpi">
                {state.data.total.actionsClosed} / {state.data.total.actionsTotal}
              </span>
              actions d'amélioration soldées
            </li>
          </ul>
          <p>
            <a
              className="fr-link fr-icon-download-line fr-link--icon-left fr-mr-3w"
              href={`/api/v1/exercises/completion.csv?year=${year}`}
            >
              Exporter en CSV
            </a>
            <a
              className="fr-link fr-icon-download-line fr-link--icon-left"
              href={`/api/v1/exercises/completion.xlsx?year=${year}`}
            >
              Exporter en XLSX
            </a>
          </p>
          <div className="fr-grid-row fr-grid-row--gutters">
            <div className="fr-col-12 fr-col-md-6">
              <h2 className="fr-h5">Par territoire</h2>
              <TerritoryChart data={state.data} />
            </div>
            <div className="fr-col-12 fr-col-md-6">
              <h2 className="fr-h5">Évolution sur cinq ans</h2>
              <TrendChart trend={state.data.trend} />
            </div>
          </div>
          <h2 className="fr-h5 fr-mt-4w">Par territoire et catégorie</h2>
          <Grid data={state.data} />
        </>
      )}
      <h2 className="fr-h4 fr-mt-4w">Établissements en retard</h2>
      <LateList year={year} territoryNames={territoryNames} />
      <h2 className="fr-h4 fr-mt-4w">Constats récurrents</h2>
      <RecurringFindings year={year} />
    </div>
  );
}
