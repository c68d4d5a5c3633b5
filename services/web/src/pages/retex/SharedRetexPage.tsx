import { Button } from "@codegouvfr/react-dsfr/Button";
import {
  CATEGORIES,
  CATEGORY_VALUES,
  type Category,
  EXERCISE_KIND_LABELS,
  EXERCISE_LEVEL_LABELS,
  FINDING_THEME_LABELS,
  FINDING_THEMES,
  type FindingTheme,
  type SharedRetexPage as SharedRetexPageData,
} from "@pris/domain";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { ApiError, api, describeError } from "../../api/client.ts";
import { TlpBadge } from "../../components/badges.tsx";
import { usePageTitle } from "../../components/Layout.tsx";
import { SelectField } from "../../components/SelectField.tsx";
import { markRetexSeen } from "../../lib/retex-seen.ts";
import { useResource } from "../../lib/use-resource.ts";
import { useApp, useMe } from "../../session.tsx";
import { dayLabel } from "../exercises/exercise-common.tsx";

type Item = SharedRetexPageData["items"][number];

const categoryLabel = (c: string) => CATEGORIES[c as Category]?.label ?? c;
const count = new Intl.PluralRules("fr-FR");

function RetexCard({ item, territoryName }: { item: Item; territoryName: string }) {
  const { config } = useApp();
  const negative = item.findings.filter((f) => f.polarity === "negative");
  const positive = item.findings.filter((f) => f.polarity === "positive");
  const sharedOn = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: config.timeZone }).format(
    new Date(item.sharedAt),
  );
  return (
    <li className="pris-card" data-testid="retex-card">
      <p className="fr-mb-1w">
        <TlpBadge tlp={item.tlp} small />
      </p>
      <h2 className="fr-h6 fr-mb-1w">
        {item.establishment ?? `Établissement anonymisé — ${categoryLabel(item.category)}`}
      </h2>
      <p className="fr-text--sm fr-mb-1w">
        {EXERCISE_KIND_LABELS[item.kind]} · niveau {EXERCISE_LEVEL_LABELS[item.level].toLowerCase()} · réalisé
        le {dayLabel(item.heldOn)} · {territoryName} · {categoryLabel(item.category)} · partagé le {sharedOn}
      </p>
      <p className="fr-mb-1w">
        <strong>Scénario :</strong> {item.scenario}
      </p>
      {item.hotSummary && (
        <p className="fr-mb-1w">
          <strong>À chaud :</strong> {item.hotSummary}
        </p>
      )}
      {item.coldSummary && (
        <p className="fr-mb-1w">
          <strong>À froid :</strong> {item.coldSummary}
        </p>
      )}
      {[
        ["Points à améliorer", negative],
        ["Points forts", positive],
      ].map(([title, list]) =>
        (list as Item["findings"]).length === 0 ? null : (
          <div key={title as string}>
            <h3 className="fr-text--md fr-text--bold fr-mb-1v">{title as string}</h3>
            <ul className="fr-mb-1w">
              {(list as Item["findings"]).map((f, i) => (
                // Findings have no id in the shared view; their order is stable.
                // biome-ignore lint/suspicious/noArrayIndexKey: see above
                <li key={i}>
                  <span className="fr-text--sm pris-muted">{FINDING_THEME_LABELS[f.theme]} — </span>
                  {f.text}
                </li>
              ))}
            </ul>
          </div>
        ),
      )}
    </li>
  );
}

/**
 * The RETEX the network's establishments chose to share, newest first, searched by theme, category and
 * territory; cards on every screen, so that they read on a phone. Opening it marks them as seen here.
 */
export function SharedRetexPage() {
  usePageTitle("RETEX partagés");
  const me = useMe();
  const { expired } = useApp();
  const [params, setParams] = useSearchParams();
  const theme = (params.get("theme") ?? "") as FindingTheme | "";
  const category = (params.get("category") ?? "") as Category | "";
  const territory = params.get("territory") ?? "";
  const territories = useResource<{ code: string; name: string }[]>("/territories");
  const territoryNames = new Map(
    territories.state.status === "ready" ? territories.state.data.map((t) => [t.code, t.name]) : [],
  );
  const [pages, setPages] = useState<SharedRetexPageData[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const query = new URLSearchParams({ limit: "20" });
  if (theme) query.set("theme", theme);
  if (category) query.set("category", category);
  if (territory) query.set("territory", territory);
  const search = query.toString();

  const load = (cursor?: string) => {
    const sp = new URLSearchParams(search);
    if (cursor) sp.set("cursor", cursor);
    api
      .get<SharedRetexPageData>(`/retex/shared?${sp}`)
      .then((page) => {
        setPages((p) => (cursor && p ? [...p, page] : [page]));
        const newest = page.items[0];
        if (!cursor && newest) markRetexSeen(me.id, newest.sharedAt);
      })
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) return expired();
        setError(
          err instanceof ApiError && err.status === 403
            ? "Cette page ne vous est pas accessible."
            : describeError(err),
        );
      });
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: reloads when the search changes
  useEffect(() => {
    setPages(null);
    setError(null);
    load();
  }, [search]);

  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  const items = pages?.flatMap((p) => p.items) ?? [];
  const last = pages?.at(-1);

  return (
    <div className="fr-container fr-my-4w">
      <h1>RETEX partagés</h1>
      <p>
        Les retours d'expérience d'exercices que les établissements de la région ont choisi de partager,
        anonymisés sauf accord de l'établissement. Respectez le marquage TLP de chacun.
      </p>
      <search className="pris-retex-filters" aria-label="Rechercher dans les RETEX partagés">
        <SelectField
          id="retex-theme"
          label="Thème des constats"
          value={theme}
          options={[
            ["", "Tous les thèmes"],
            ...FINDING_THEMES.map((t) => [t, FINDING_THEME_LABELS[t]] as const),
          ]}
          onChange={(v) => set("theme", v)}
        />
        <SelectField
          id="retex-category"
          label="Catégorie d'établissement"
          value={category}
          options={[
            ["", "Toutes les catégories"],
            ...CATEGORY_VALUES.map((c) => [c, CATEGORIES[c].label] as const),
          ]}
          onChange={(v) => set("category", v)}
        />
        <SelectField
          id="retex-territory"
          label="Territoire"
          value={territory}
          options={[["", "Tous les territoires"], ...[...territoryNames.entries()]]}
          onChange={(v) => set("territory", v)}
        />
      </search>
      {error ? (
        <p className="fr-error-text">{error}</p>
      ) : pages === null ? (
        <p>Chargement…</p>
      ) : (
        <>
          <p role="status" data-testid="retex-count">
            {items.length === 0
              ? "Aucun RETEX partagé ne correspond à cette recherche."
              : `${items.length}${last?.nextCursor ? " premiers" : ""} RETEX ${count.select(items.length) === "one" ? "partagé" : "partagés"}`}
          </p>
          <ul className="pris-cards">
            {items.map((item) => (
              <RetexCard
                key={item.id}
                item={item}
                territoryName={territoryNames.get(item.territory) ?? item.territory}
              />
            ))}
          </ul>
          {last?.nextCursor && (
            <Button priority="secondary" onClick={() => load(last.nextCursor ?? undefined)}>
              Afficher plus
            </Button>
          )}
        </>
      )}
    </div>
  );
}
