import { Button } from "@codegouvfr/react-dsfr/Button";
import {
  BULLETIN_ANSWER_LABELS,
  BULLETIN_KIND_LABELS,
  BULLETIN_SEVERITY_LABELS,
  type BulletinList,
  type BulletinSummary,
} from "@pris/domain";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { api, describeError, isUnauthorized } from "../api/client.ts";
import { TlpBadge } from "../components/badges.tsx";
import { DataTable } from "../components/DataTable.tsx";
import { usePageTitle } from "../components/Layout.tsx";
import { LoadError } from "../components/LoadError.tsx";
import { formatShort } from "../lib/zoned-time.ts";
import { useApp, useMe } from "../session.tsx";

type State =
  | { status: "loading" }
  | { status: "ready"; items: BulletinSummary[]; nextCursor: string | null }
  | { status: "error"; message: string };

/** The pole's bulletins, drafts included; for an RSSI, those addressed to them, with their answer. */
export function BulletinsPage() {
  const { config, expired } = useApp();
  const me = useMe();
  const rssi = me.role === "rssi";
  const heading = rssi ? "Mes bulletins" : "Bulletins d'alerte";
  usePageTitle(heading);
  const [state, setState] = useState<State>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: attempt re-runs the query on demand
  useEffect(() => {
    const controller = new AbortController();
    setState({ status: "loading" });
    api.get<BulletinList>("/bulletins?limit=100", { signal: controller.signal }).then(
      (page) => setState({ status: "ready", ...page }),
      (err: unknown) => {
        if (controller.signal.aborted) return;
        if (isUnauthorized(err)) return expired();
        setState({ status: "error", message: describeError(err) });
      },
    );
    return () => controller.abort();
  }, [expired, attempt]);

  return (
    <div className="fr-container fr-my-4w">
      <div className="pris-title-row fr-mb-3w">
        <h1 className="fr-h2 fr-mb-2w">{heading}</h1>
        {me.role === "analyst" && (
          <Button iconId="fr-icon-add-line" linkProps={{ to: "/bulletins/nouveau" }}>
            Nouveau bulletin
          </Button>
        )}
      </div>
      {state.status === "loading" && <p>Chargement…</p>}
      {state.status === "error" && (
        <LoadError
          title="Bulletins indisponibles"
          message={state.message}
          retry={() => setAttempt((a) => a + 1)}
        />
      )}
      {state.status === "ready" && state.items.length === 0 && <p>Aucun bulletin pour l'instant.</p>}
      {state.status === "ready" && state.items.length > 0 && (
        <DataTable
          caption={heading}
          headers={[
            "Référence",
            "Titre",
            "Type",
            "TLP",
            "Gravité",
            rssi ? "Ma réponse" : "Statut",
            "Publié le",
          ]}
          rows={state.items.map((b) => ({
            key: b.id,
            cells: [
              <Link key="ref" to={`/bulletins/${b.id}`}>
                {b.reference ?? "Brouillon"}
              </Link>,
              b.title,
              BULLETIN_KIND_LABELS[b.kind],
              <TlpBadge key="tlp" tlp={b.tlp} small />,
              BULLETIN_SEVERITY_LABELS[b.severity],
              rssi
                ? b.myAnswer
                  ? BULLETIN_ANSWER_LABELS[b.myAnswer]
                  : "À répondre"
                : b.status === "draft"
                  ? "Brouillon"
                  : b.paused
                    ? "Envoi suspendu"
                    : b.revision > 1
                      ? `Publié (révision ${b.revision})`
                      : "Publié",
              b.publishedAt ? formatShort(b.publishedAt, config.timeZone) : "—",
            ],
          }))}
        />
      )}
    </div>
  );
}
