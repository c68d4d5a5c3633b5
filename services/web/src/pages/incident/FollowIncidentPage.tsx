import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Breadcrumb } from "@codegouvfr/react-dsfr/Breadcrumb";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { isOpen } from "@pris/domain";
import { ClockPanel } from "../../components/incident/ClockPanel.tsx";
import { EvidencePanel } from "../../components/incident/EvidencePanel.tsx";
import { ReplyForm } from "../../components/incident/LogForms.tsx";
import { ObservablesPanel } from "../../components/incident/ObservablesPanel.tsx";
import { Timeline } from "../../components/incident/Timeline.tsx";
import { usePageTitle } from "../../components/Layout.tsx";
import { useNow } from "../../lib/countdown.ts";
import { useIncidentWorkspace } from "../../lib/use-incident-workspace.ts";
import { formatLong } from "../../lib/zoned-time.ts";
import { useApp, useMe } from "../../session.tsx";
import { DeclarationDetails } from "./Declaration.tsx";
import { IncidentHeader } from "./IncidentHeader.tsx";
import { IncidentLoadError } from "./IncidentLoadError.tsx";
import { POLL_MS, usePolling } from "./use-polling.ts";
import "./incident.css";

/** The establishment's view: status, clocks, the shared conversation, observables. */
export function FollowIncidentPage({ id }: { id: string }) {
  const { config } = useApp();
  const me = useMe();
  const tz = config.timeZone;
  const now = useNow(30_000);
  const { state, reload, refreshError } = useIncidentWorkspace(id, false);
  usePageTitle(state.status === "ready" ? `Signalement ${state.data.incident.reference}` : "Signalement");

  // No live feed for establishments: the conversation is re-read while the page is in view.
  usePolling(reload, POLL_MS);

  if (state.status === "loading") return <p className="fr-container fr-my-6w">Chargement…</p>;
  if (state.status === "error")
    return <IncidentLoadError message={state.message} retry={() => void reload()} />;
  const { incident: i, log, observables } = state.data;
  const establishment = me.role === "rssi";
  const open = isOpen(i.status);
  const conversation = log.filter((e) => e.visibility === "shared");
  return (
    <div className="fr-container fr-my-4w pris-narrow">
      <Breadcrumb
        currentPageLabel={i.reference}
        homeLinkProps={{ to: "/" }}
        segments={[
          { label: establishment ? "Mes signalements" : "Signalements", linkProps: { to: "/incidents" } },
        ]}
      />
      <IncidentHeader incident={i} tz={tz} />
      {refreshError && <Alert severity="warning" small description={refreshError} className="fr-mb-2w" />}
      {i.status === "waiting_establishment" && (
        <Alert
          severity="info"
          className="fr-mb-3w"
          title="Le pôle attend une réponse de votre part"
          description={
            i.followUpAt
              ? `Relance prévue le ${formatLong(i.followUpAt, tz)}. Répondez ci-dessous.`
              : "Répondez ci-dessous."
          }
        />
      )}

      <section aria-labelledby="conversation-title">
        <h2 id="conversation-title" className="fr-h5 fr-mt-3w">
          Échanges avec le pôle cyber
        </h2>
        {establishment && open && <ReplyForm incidentId={i.id} onAdded={() => void reload()} />}
        <Timeline entries={conversation} tz={tz} showVisibility={false} meId={me.id} />
        <Button
          size="small"
          priority="tertiary"
          iconId="fr-icon-refresh-line"
          onClick={() => void reload()}
          className="fr-mt-1w"
        >
          Actualiser
        </Button>
      </section>

      <section aria-labelledby="clocks-title">
        <h2 id="clocks-title" className="fr-h5 fr-mt-4w">
          Échéances réglementaires
        </h2>
        <ClockPanel
          incidentId={i.id}
          clocks={i.clocks}
          tz={tz}
          now={now}
          canRecord={establishment}
          onChanged={() => void reload()}
        />
      </section>

      <section aria-labelledby="observables-title">
        <h2 id="observables-title" className="fr-h5 fr-mt-4w">
          Indicateurs techniques
        </h2>
        <ObservablesPanel
          incidentId={i.id}
          items={observables}
          pole={false}
          canAdd={establishment && open}
          onChanged={() => void reload()}
        />
      </section>

      <section aria-labelledby="evidence-title">
        <h2 id="evidence-title" className="fr-h5 fr-mt-4w">
          Pièces jointes
        </h2>
        <EvidencePanel
          incidentId={i.id}
          tz={tz}
          canUpload={establishment && i.status !== "merged" && i.status !== "rejected"}
          onChanged={() => void reload()}
        />
      </section>

      <DeclarationDetails incident={i} tz={tz} summarised={false} />

      <div className="fr-mt-4w">
        <Button priority="secondary" iconId="fr-icon-arrow-left-line" linkProps={{ to: "/incidents" }}>
          {establishment ? "Mes signalements" : "Signalements"}
        </Button>
      </div>
    </div>
  );
}
