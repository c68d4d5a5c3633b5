import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Checkbox } from "@codegouvfr/react-dsfr/Checkbox";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Select } from "@codegouvfr/react-dsfr/Select";
import { Tag } from "@codegouvfr/react-dsfr/Tag";
import {
  DECLARATION_CHANNEL_LABELS,
  DECLARATION_CHANNELS,
  INCIDENT_STATUS_LABELS,
  OPEN_INCIDENT_STATUSES,
  type QueueDeclaredEvent,
  type QueueItem,
  type QueuePage as QueuePageData,
  SEVERITIES,
  SEVERITY_LABELS,
} from "@pris/domain";
import { type FormEvent, useCallback, useEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { ApiError, api, describeError } from "../api/client.ts";
import { usePageTitle } from "../components/Layout.tsx";
import { LoadError } from "../components/LoadError.tsx";
import { EnumOptions } from "../components/SelectField.tsx";
import { useNow } from "../lib/countdown.ts";
import { type QueueEvent, useQueueEvents } from "../lib/queue-events.ts";
import { useApp, useMe } from "../session.tsx";
import { QueueBoard } from "./queue/QueueBoard.tsx";

const PAGE_SIZE = 25;
/** A new or changed row stays highlighted this long. */
const HIGHLIGHT_MS = 60_000;

type ListState =
  | { status: "loading" }
  | { status: "ready"; page: QueuePageData; more: boolean }
  | { status: "error"; message: string };

export function QueuePage() {
  usePageTitle("File des incidents");
  const { config, expired } = useApp();
  const me = useMe();
  const tz = config.timeZone;
  const now = useNow(15_000);
  const [params, setParams] = useSearchParams();
  const filters = {
    status: params.get("statut") ?? "",
    severity: params.get("gravite") ?? "",
    territory: params.get("territoire") ?? "",
    overdue: params.get("retard") === "1",
    assignee: params.get("attribution") ?? "",
    channel: params.get("canal") ?? "",
    q: params.get("q") ?? "",
  };
  const [draftQ, setDraftQ] = useState(filters.q);
  const [state, setState] = useState<ListState>({ status: "loading" });
  const [moreError, setMoreError] = useState<string | null>(null);
  const [territories, setTerritories] = useState<{ code: string; name: string }[]>([]);
  const [filtersOpen, setFiltersOpen] = useState(false);
  const territoryName = (code: string) => territories.find((t) => t.code === code)?.name ?? code;
  const [highlighted, setHighlighted] = useState<Record<string, number>>({});
  const [majorAlerts, setMajorAlerts] = useState<QueueDeclaredEvent[]>([]);
  const [announce, setAnnounce] = useState("");
  const [attempt, setAttempt] = useState(0);
  const loadedCount = useRef(PAGE_SIZE);
  /** Reads of the board in the order they were started: only the latest one may set it. */
  const sequence = useRef(0);

  const queryString = params.toString();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the filters are read from queryString
  const query = useCallback(
    (cursor?: string, limit = PAGE_SIZE) => {
      const sp = new URLSearchParams({ limit: String(limit) });
      if (filters.status) sp.set("status", filters.status);
      if (filters.severity) sp.set("severity", filters.severity);
      if (filters.territory) sp.set("territory", filters.territory);
      if (filters.overdue) sp.set("overdue", "true");
      if (filters.assignee === "moi") sp.set("assigneeUserId", me.id);
      if (filters.assignee === "personne") sp.set("unassigned", "true");
      if (filters.channel) sp.set("channel", filters.channel);
      if (filters.q) sp.set("q", filters.q);
      if (cursor) sp.set("cursor", cursor);
      return `/queue?${sp}`;
    },
    [queryString],
  );

  /** Reads the first page again, as many rows as are shown (capped), without blanking the board. */
  const refresh = useCallback(
    async (signal?: AbortSignal) => {
      const mine = ++sequence.current;
      try {
        const page = await api.get<QueuePageData>(query(undefined, Math.min(100, loadedCount.current)), {
          signal,
        });
        // A later read (another refresh, or "Afficher plus") already answered: this one is stale.
        if (mine !== sequence.current) return;
        setState({ status: "ready", page, more: false });
      } catch (err) {
        if (signal?.aborted) return;
        if (err instanceof ApiError && err.status === 401) return expired();
        setState((s) => (s.status === "ready" ? s : { status: "error", message: describeError(err) }));
      }
    },
    [query, expired],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: attempt re-runs the query on demand
  useEffect(() => {
    const controller = new AbortController();
    loadedCount.current = PAGE_SIZE;
    setState({ status: "loading" });
    void refresh(controller.signal);
    return () => controller.abort();
  }, [refresh, attempt]);

  useEffect(() => {
    api
      .get<{ code: string; name: string }[]>("/territories")
      .then(setTerritories)
      .catch(() => {});
  }, []);

  // Several events in a burst: one re-read.
  const pendingRefresh = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(pendingRefresh.current), []);
  const onEvent = useCallback(
    (event: QueueEvent) => {
      if (event.type !== "resync") {
        setHighlighted((h) => ({ ...h, [event.data.id]: Date.now() }));
      }
      if (event.type === "declared") {
        const d = event.data;
        setAnnounce(
          `Nouvel incident ${d.reference} (${SEVERITY_LABELS[d.severity]}) — ${d.establishmentName}`,
        );
        if (d.severity === "P1") setMajorAlerts((a) => [d, ...a.filter((x) => x.id !== d.id)]);
      }
      clearTimeout(pendingRefresh.current);
      pendingRefresh.current = setTimeout(() => void refresh(), 150);
    },
    [refresh],
  );
  useQueueEvents(true, onEvent);

  // Deadlines pass without any event: the order is read again now and then while the board is in view.
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void refresh();
    }, 60_000);
    return () => clearInterval(timer);
  }, [refresh]);

  // Highlights fade after a minute.
  useEffect(() => {
    const stale = Object.entries(highlighted).filter(([, at]) => now - at > HIGHLIGHT_MS);
    if (stale.length > 0) {
      setHighlighted((h) => {
        const next = { ...h };
        for (const [id] of stale) delete next[id];
        return next;
      });
    }
  }, [now, highlighted]);

  function setFilter(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next);
  }

  function search(e: FormEvent) {
    e.preventDefault();
    setFilter("q", draftQ.trim());
  }

  async function loadMore() {
    if (state.status !== "ready" || !state.page.nextCursor) return;
    setMoreError(null);
    setState({ ...state, more: true });
    // A refresh started meanwhile reads as many rows as there will be.
    loadedCount.current = state.page.items.length + PAGE_SIZE;
    const mine = ++sequence.current;
    try {
      const page = await api.get<QueuePageData>(query(state.page.nextCursor));
      if (mine !== sequence.current) return;
      loadedCount.current = state.page.items.length + page.items.length;
      setState({
        status: "ready",
        page: { ...page, items: [...state.page.items, ...page.items] },
        more: false,
      });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return expired();
      if (mine !== sequence.current) return;
      loadedCount.current = state.page.items.length;
      setMoreError(describeError(err));
      setState({ ...state, more: false });
    }
  }

  const openCount =
    state.status === "ready" ? OPEN_INCIDENT_STATUSES.reduce((n, s) => n + state.page.counts[s], 0) : 0;
  const rowClass = (i: QueueItem) =>
    [
      highlighted[i.id] ? "pris-row-new" : "",
      i.severity === "P1" ? "pris-row-major" : "",
      i.ackOverdue || i.clocks.overdue > 0 ? "pris-row-overdue" : "",
    ]
      .filter(Boolean)
      .join(" ");

  return (
    <div className="fr-container fr-my-4w">
      <h1 className="fr-h2 fr-mb-2w">File des incidents</h1>
      <p className="fr-sr-only" aria-live="assertive">
        {announce}
      </p>

      {majorAlerts.map((a) => (
        <Alert
          key={a.id}
          severity="error"
          className="fr-mb-2w"
          title={`Incident majeur déclaré : ${a.reference}`}
          description={
            <>
              {a.establishmentName} —{" "}
              <Link to={`/incidents/${a.id}`} className="fr-link">
                Ouvrir l'incident {a.reference}
              </Link>
            </>
          }
          closable
          onClose={() => setMajorAlerts((all) => all.filter((x) => x.id !== a.id))}
        />
      ))}

      {state.status === "ready" && (
        <ul className="fr-tags-group" aria-label="Incidents ouverts par statut">
          <li>
            <Tag
              nativeButtonProps={{ onClick: () => setFilter("statut", "") }}
              pressed={filters.status === ""}
            >
              Tous ouverts ({openCount})
            </Tag>
          </li>
          {OPEN_INCIDENT_STATUSES.map((s) => (
            <li
              key={s}
              className={state.page.counts[s] === 0 && filters.status !== s ? "pris-empty-tag" : undefined}
            >
              <Tag
                nativeButtonProps={{ onClick: () => setFilter("statut", filters.status === s ? "" : s) }}
                pressed={filters.status === s}
              >
                {INCIDENT_STATUS_LABELS[s]} ({state.page.counts[s]})
              </Tag>
            </li>
          ))}
        </ul>
      )}

      <Button
        className="fr-hidden-md fr-mb-2w"
        priority="tertiary"
        size="small"
        iconId="fr-icon-filter-line"
        aria-expanded={filtersOpen}
        aria-controls="queue-filters"
        onClick={() => setFiltersOpen((o) => !o)}
      >
        {filtersOpen ? "Masquer les filtres" : "Filtrer la file"}
        {filters.severity ||
        filters.territory ||
        filters.overdue ||
        filters.q ||
        filters.assignee ||
        filters.channel
          ? " (actifs)"
          : ""}
      </Button>
      <search>
        <form
          id="queue-filters"
          onSubmit={search}
          className={`pris-queue-filters${filtersOpen ? "" : " pris-queue-filters--collapsed"}`}
          aria-label="Filtrer la file"
        >
          <Input
            label="Rechercher"
            hintText="Titre ou référence, 3 caractères au moins"
            nativeInputProps={{
              type: "search",
              name: "q",
              value: draftQ,
              onChange: (e) => setDraftQ(e.target.value),
              // The API searches 3 characters or more (shorter text cannot use its trigram index).
              minLength: 3,
              maxLength: 200,
            }}
          />
          <Select
            label="Gravité"
            nativeSelectProps={{
              name: "gravite",
              value: filters.severity,
              onChange: (e) => setFilter("gravite", e.target.value),
            }}
          >
            <option value="">Toutes</option>
            <EnumOptions values={SEVERITIES} labels={SEVERITY_LABELS} />
          </Select>
          <Select
            label="Territoire"
            nativeSelectProps={{
              name: "territoire",
              value: filters.territory,
              onChange: (e) => setFilter("territoire", e.target.value),
            }}
          >
            <option value="">Tous</option>
            {territories.map((t) => (
              <option key={t.code} value={t.code}>
                {t.name}
              </option>
            ))}
          </Select>
          <Select
            label="Attribution"
            nativeSelectProps={{
              name: "attribution",
              value: filters.assignee,
              onChange: (e) => setFilter("attribution", e.target.value),
            }}
          >
            <option value="">Tous</option>
            <option value="moi">Les miens</option>
            <option value="personne">Non attribués</option>
          </Select>
          <Select
            label="Canal"
            nativeSelectProps={{
              name: "canal",
              value: filters.channel,
              onChange: (e) => setFilter("canal", e.target.value),
            }}
          >
            <option value="">Tous</option>
            <EnumOptions values={DECLARATION_CHANNELS} labels={DECLARATION_CHANNEL_LABELS} />
          </Select>
          <Checkbox
            small
            options={[
              {
                label: "Échéance dépassée",
                nativeInputProps: {
                  name: "retard",
                  checked: filters.overdue,
                  onChange: (e) => setFilter("retard", e.target.checked ? "1" : ""),
                },
              },
            ]}
          />
          <Button type="submit" priority="secondary" iconId="fr-icon-search-line">
            Rechercher
          </Button>
        </form>
      </search>

      {state.status === "loading" && <p aria-live="polite">Chargement…</p>}
      {state.status === "error" && (
        <LoadError title="File indisponible" message={state.message} retry={() => setAttempt((n) => n + 1)} />
      )}
      {state.status === "ready" && (
        <>
          <p aria-live="polite" className="fr-mb-2w">
            {state.page.total === 0
              ? "Aucun incident ouvert ne correspond à ces critères."
              : `${state.page.total} incident${state.page.total > 1 ? "s" : ""}, le plus urgent en premier${
                  state.page.items.length < state.page.total ? ` — ${state.page.items.length} affichés` : ""
                }`}
          </p>
          {state.page.items.length > 0 && (
            <QueueBoard
              items={state.page.items}
              now={now}
              tz={tz}
              rowClass={rowClass}
              territoryName={territoryName}
            />
          )}
          {moreError && <Alert severity="error" small description={moreError} className="fr-mb-2w" />}
          {state.page.nextCursor && (
            <Button priority="secondary" onClick={loadMore} disabled={state.more}>
              {state.more ? "Chargement…" : "Afficher plus"}
            </Button>
          )}
        </>
      )}
    </div>
  );
}
