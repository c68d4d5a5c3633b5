import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Select } from "@codegouvfr/react-dsfr/Select";
import { Table } from "@codegouvfr/react-dsfr/Table";
import { INCIDENT_STATUS_LABELS, INCIDENT_STATUSES, type IncidentSummary } from "@pris/domain";
import { type FormEvent, useCallback, useEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { ApiError, api, describeError } from "../api/client.ts";
import { SeverityBadge, StatusBadge } from "../components/badges.tsx";
import { usePageTitle } from "../components/Layout.tsx";
import { LoadError } from "../components/LoadError.tsx";
import { EnumOptions } from "../components/SelectField.tsx";
import { formatShort } from "../lib/zoned-time.ts";
import { useApp, useMe } from "../session.tsx";

interface IncidentPage {
  items: IncidentSummary[];
  total: number;
  nextCursor: string | null;
}

const PAGE_SIZE = 20;

type ListState =
  | { status: "loading" }
  | { status: "ready"; items: IncidentSummary[]; total: number; nextCursor: string | null; more: boolean }
  | { status: "error"; message: string };

export function IncidentsPage() {
  const { config, expired } = useApp();
  const me = useMe();
  // The establishment's own list; the pole and the ARS read every signalement in their scope.
  const heading = me.role === "rssi" ? "Mes signalements" : "Signalements";
  usePageTitle(heading);
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const status = params.get("statut") ?? "";
  const [draftQ, setDraftQ] = useState(q);
  const [state, setState] = useState<ListState>({ status: "loading" });
  const [moreError, setMoreError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const firstNewRow = useRef<HTMLAnchorElement>(null);
  const firstNewCard = useRef<HTMLAnchorElement>(null);
  const focusIndex = useRef<number | null>(null);

  const query = useCallback(
    (cursor?: string) => {
      const sp = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (q) sp.set("q", q);
      if (status) sp.set("status", status);
      if (cursor) sp.set("cursor", cursor);
      return `/incidents?${sp}`;
    },
    [q, status],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: attempt re-runs the query on demand
  useEffect(() => {
    const controller = new AbortController();
    setState({ status: "loading" });
    api
      .get<IncidentPage>(query(), { signal: controller.signal })
      .then((page) => setState({ status: "ready", ...page, more: false }))
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) return expired();
        setState({ status: "error", message: describeError(err) });
      });
    return () => controller.abort();
  }, [query, expired, attempt]);

  useEffect(() => {
    if (focusIndex.current !== null) {
      // Only one of the two is displayed; focus() on a hidden element does nothing.
      firstNewCard.current?.focus();
      firstNewRow.current?.focus();
      focusIndex.current = null;
    }
  });

  async function loadMore() {
    if (state.status !== "ready" || !state.nextCursor) return;
    setMoreError(null);
    setState({ ...state, more: true });
    try {
      const page = await api.get<IncidentPage>(query(state.nextCursor));
      focusIndex.current = state.items.length;
      setState({
        status: "ready",
        items: [...state.items, ...page.items],
        total: page.total,
        nextCursor: page.nextCursor,
        more: false,
      });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return expired();
      setMoreError(describeError(err));
      setState({ ...state, more: false });
    }
  }

  function search(e: FormEvent) {
    e.preventDefault();
    const next = new URLSearchParams(params);
    if (draftQ.trim()) next.set("q", draftQ.trim());
    else next.delete("q");
    setParams(next);
  }

  const tz = config.timeZone;

  return (
    <div className="fr-container fr-my-4w">
      <div className="pris-title-row fr-mb-3w">
        <h1 className="fr-h2 fr-mb-2w">{heading}</h1>
        {(me.establishments.length > 0 || me.role === "analyst") && (
          <Button iconId="fr-icon-add-line" linkProps={{ to: "/declarer" }}>
            Déclarer un incident
          </Button>
        )}
      </div>

      <search>
        <form onSubmit={search} className="pris-filters" aria-label="Filtrer les signalements">
          <Input
            label="Rechercher"
            hintText="Dans le titre ou la référence"
            nativeInputProps={{
              type: "search",
              name: "q",
              value: draftQ,
              onChange: (e) => setDraftQ(e.target.value),
              maxLength: 200,
            }}
          />
          <Select
            label="Statut"
            nativeSelectProps={{
              name: "statut",
              value: status,
              onChange: (e) => {
                const next = new URLSearchParams(params);
                if (e.target.value) next.set("statut", e.target.value);
                else next.delete("statut");
                setParams(next);
              },
            }}
          >
            <option value="">Tous les statuts</option>
            <EnumOptions values={INCIDENT_STATUSES} labels={INCIDENT_STATUS_LABELS} />
          </Select>
          <Button type="submit" priority="secondary" iconId="fr-icon-search-line">
            Rechercher
          </Button>
        </form>
      </search>

      {state.status === "loading" && <p aria-live="polite">Chargement…</p>}
      {state.status === "error" && (
        <LoadError
          title="Liste indisponible"
          message={state.message}
          retry={() => setAttempt((n) => n + 1)}
        />
      )}
      {state.status === "ready" && (
        <>
          <p aria-live="polite">
            {state.total === 0
              ? q || status
                ? "Aucun signalement ne correspond à ces critères."
                : "Aucun signalement pour l'instant."
              : `${state.total} signalement${state.total > 1 ? "s" : ""}${
                  state.items.length < state.total ? ` — ${state.items.length} affichés` : ""
                }`}
          </p>
          {state.items.length > 0 && (
            <>
              {/* A phone gets cards, a wider screen the table: only one is displayed (and read). */}
              <ul className="pris-cards fr-hidden-md">
                {state.items.map((i, index) => (
                  <li key={i.id} className="pris-card">
                    <p className="fr-mb-1v">
                      <Link
                        to={`/incidents/${i.id}`}
                        className="pris-reference-inline fr-text--bold"
                        ref={index === focusIndex.current ? firstNewCard : undefined}
                      >
                        {i.reference}
                      </Link>
                    </p>
                    <p className="fr-mb-1v">{i.title}</p>
                    <p className="fr-mb-1v">
                      <SeverityBadge severity={i.severity} small /> <StatusBadge status={i.status} />
                    </p>
                    <p className="fr-text--sm pris-muted fr-mb-0">
                      {i.establishment.name} · déclaré le {formatShort(i.declaredAt, tz)}
                    </p>
                  </li>
                ))}
              </ul>
              <div className="fr-hidden fr-unhidden-md">
                <Table
                  caption="Signalements de vos établissements, du plus récent au plus ancien"
                  noCaption
                  fixed={false}
                  headers={["Référence", "Titre", "Établissement", "Gravité", "Statut", "Déclaré le"]}
                  data={state.items.map((i, index) => [
                    <Link
                      key="ref"
                      to={`/incidents/${i.id}`}
                      className="pris-reference-inline"
                      ref={index === focusIndex.current ? firstNewRow : undefined}
                    >
                      {i.reference}
                    </Link>,
                    i.title,
                    i.establishment.name,
                    <SeverityBadge key="sev" severity={i.severity} small />,
                    <StatusBadge key="status" status={i.status} />,
                    formatShort(i.declaredAt, tz),
                  ])}
                />
              </div>
            </>
          )}
          {moreError && <Alert severity="error" small description={moreError} className="fr-mb-2w" />}
          {state.nextCursor && (
            <Button priority="secondary" onClick={loadMore} disabled={state.more}>
              {state.more ? "Chargement…" : "Afficher plus de signalements"}
            </Button>
          )}
        </>
      )}
    </div>
  );
}
