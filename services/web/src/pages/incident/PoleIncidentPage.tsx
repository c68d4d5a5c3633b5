import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Breadcrumb } from "@codegouvfr/react-dsfr/Breadcrumb";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Select } from "@codegouvfr/react-dsfr/Select";
import { type Incident, isOpen, rsitWording } from "@pris/domain";
import { useCallback } from "react";
import { API_BASE } from "../../api/client.ts";
import { ContagionBulletinButton } from "../../components/bulletin/ContagionBulletinButton.tsx";
import { ActionsPanel, QualificationForm } from "../../components/incident/ActionsPanel.tsx";
import { EvidencePanel } from "../../components/incident/EvidencePanel.tsx";
import { PoleEntryForm, TasksPanel } from "../../components/incident/LogForms.tsx";
import { ObservablesPanel } from "../../components/incident/ObservablesPanel.tsx";
import { Timeline } from "../../components/incident/Timeline.tsx";
import { usePageTitle } from "../../components/Layout.tsx";
import { useNow } from "../../lib/countdown.ts";
import { isPole, type QueueEvent, useQueueEvents } from "../../lib/queue-events.ts";
import { useIncidentWorkspace } from "../../lib/use-incident-workspace.ts";
import { formatShort } from "../../lib/zoned-time.ts";
import { useApp, useMe } from "../../session.tsx";
import { ChainStatus } from "./ChainStatus.tsx";
import { DeclarationDetails, DeclaredSummary } from "./Declaration.tsx";
import { DueNext } from "./DueNext.tsx";
import { IncidentHeader } from "./IncidentHeader.tsx";
import { IncidentLoadError } from "./IncidentLoadError.tsx";
import { useAssignment } from "./use-assignment.ts";
import { POLL_MS, usePolling } from "./use-polling.ts";
import "./incident.css";

/** Who holds the incident, and taking, leaving or giving it. */
function AssigneeBar({
  incident: i,
  canWork,
  onChanged,
}: {
  incident: Incident;
  canWork: boolean;
  onChanged(): void;
}) {
  const { config } = useApp();
  const me = useMe();
  const { members, busy, error, assign } = useAssignment(i.id, me.role, onChanged);
  const mine = i.assignee?.id === me.id;
  return (
    <>
      <div className="pris-assignee fr-mb-3w">
        <p className="fr-mb-0">
          {i.assignee ? (
            <>
              Responsable : <strong>{mine ? `vous (${i.assignee.name})` : i.assignee.name}</strong>
            </>
          ) : (
            <strong>Personne n'a pris cet incident.</strong>
          )}
          {i.followUpAt && <> · relance prévue le {formatShort(i.followUpAt, config.timeZone)}</>}
        </p>
        {canWork && (
          <Button
            size="small"
            priority={mine ? "tertiary" : "primary"}
            iconId={mine ? "fr-icon-user-line" : "fr-icon-user-add-line"}
            disabled={busy}
            onClick={() => void assign(mine ? "unassign" : "claim")}
          >
            {mine ? "Me retirer de l'incident" : i.assignee ? "Reprendre l'incident" : "Prendre l'incident"}
          </Button>
        )}
        {canWork && (
          <Select
            label="Attribuer à"
            className="fr-mb-0"
            nativeSelectProps={{
              value: "",
              disabled: busy,
              onChange: (e) => e.target.value && void assign("assign", e.target.value),
            }}
          >
            <option value="">Choisir un membre du pôle…</option>
            {members
              .filter((m) => m.id !== i.assignee?.id && (m.role === "analyst" || i.crisisCell))
              .map((m) => (
                <option key={m.id} value={m.id}>
                  {m.displayName}
                  {m.role === "taskforce" ? " (task force)" : ""}
                </option>
              ))}
          </Select>
        )}
      </div>
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
    </>
  );
}

function ClosureSummary({ closure }: { closure: NonNullable<Incident["closure"]> }) {
  return (
    <div className="fr-mt-2w">
      <h3 className="fr-h6 fr-mb-1w">Synthèse de clôture</h3>
      <dl className="pris-declared__list">
        <div className="pris-declared__row">
          <dt>Classification finale</dt>
          <dd>{rsitWording(closure.rsitClass, closure.rsitType)}</dd>
        </div>
        <div className="pris-declared__row">
          <dt>Cause racine</dt>
          <dd className="pris-prewrap">{closure.rootCause}</dd>
        </div>
        <div className="pris-declared__row">
          <dt>Mesures</dt>
          <dd className="pris-prewrap">{closure.measures}</dd>
        </div>
        <div className="pris-declared__row">
          <dt>Enseignements</dt>
          <dd className="pris-prewrap">{closure.lessons}</dd>
        </div>
      </dl>
    </div>
  );
}

/**
 * The pole's workspace. First what was declared and what is due next (the acknowledgement, the
 * follow-up, the regulatory clocks), then the actions, the main courante, the qualification, the tasks,
 * the observables and the rest of the declaration.
 */
export function PoleIncidentPage({ id }: { id: string }) {
  const { config } = useApp();
  const me = useMe();
  const tz = config.timeZone;
  const now = useNow(15_000);
  const { state, reload, refreshError } = useIncidentWorkspace(id, true);
  usePageTitle(state.status === "ready" ? `Incident ${state.data.incident.reference}` : "Incident");

  // Someone else acted on it (or the establishment answered): re-read.
  const onEvent = useCallback(
    (event: QueueEvent) => {
      if (event.type === "resync" || event.data.id === id) void reload();
    },
    [id, reload],
  );
  useQueueEvents(isPole(me.role), onEvent);
  // The feed announces changes to the incident itself, not every entry of its main courante (an
  // establishment's answer among them): the page is also re-read while in view.
  usePolling(reload, POLL_MS);

  if (state.status === "loading") return <p className="fr-container fr-my-6w">Chargement…</p>;
  if (state.status === "error")
    return <IncidentLoadError message={state.message} retry={() => void reload()} />;
  const { incident: i, log, observables, tasks, verification } = state.data;
  const open = isOpen(i.status);
  const member = me.role === "analyst" || (me.role === "taskforce" && i.crisisCell);
  const canWork = open && member;
  const changed = () => void reload();
  const api$ = `${API_BASE}/incidents/${encodeURIComponent(i.id)}`;

  return (
    <div className="fr-container fr-my-4w">
      <Breadcrumb
        currentPageLabel={i.reference}
        homeLinkProps={{ to: "/" }}
        segments={[{ label: "File des incidents", linkProps: { to: "/file" } }]}
      />
      <IncidentHeader incident={i} tz={tz} />
      {refreshError && <Alert severity="warning" small description={refreshError} className="fr-mb-2w" />}
      {i.crisisCell && (
        <Alert
          severity="error"
          small
          className="fr-mb-2w"
          description={`Incident majeur : cellule de crise ouverte${i.escalatedAt ? ` le ${formatShort(i.escalatedAt, tz)}` : ""}, task force mobilisée.`}
        />
      )}
      <AssigneeBar incident={i} canWork={canWork} onChanged={changed} />

      <div className="pris-incident-lead fr-mb-3w">
        <DeclaredSummary incident={i} />
        {/* Obligations outlive the incident: a NIS2 final report is due after closure. */}
        <section className="pris-panel" aria-labelledby="clocks-title" data-testid="due-next">
          <h2 id="clocks-title" className="fr-h5">
            Échéances
          </h2>
          <DueNext incident={i} tz={tz} now={now} canRecord={member} onChanged={changed} />
          <p className="fr-mb-0">
            <a
              className="fr-link fr-icon-printer-line fr-link--icon-left"
              href={`${api$}/notifications.html`}
              target="_blank"
              rel="noopener"
            >
              Export pour le régulateur (page imprimable)
            </a>
          </p>
        </section>
      </div>

      <div className="pris-workspace">
        <div className="pris-workspace__main">
          <section className="pris-panel pris-order-1" aria-labelledby="actions-title">
            <h2 id="actions-title" className="fr-h5">
              Actions possibles
            </h2>
            {canWork || i.allowedActions.length > 0 ? (
              <ActionsPanel incident={i} tz={tz} onChanged={changed} />
            ) : (
              <p className="pris-muted">Aucune action possible pour vous sur cet incident.</p>
            )}
            {i.closure && <ClosureSummary closure={i.closure} />}
          </section>

          <section className="pris-panel pris-order-3" aria-labelledby="log-title">
            <h2 id="log-title" className="fr-h5">
              Main courante
            </h2>
            {canWork || me.role === "taskforce" ? (
              <PoleEntryForm incidentId={i.id} onAdded={changed} />
            ) : null}
            <ChainStatus verification={verification} />
            <Timeline entries={log} tz={tz} showVisibility meId={me.id} />
          </section>

          <section className="pris-panel pris-order-5" aria-labelledby="observables-title">
            <h2 id="observables-title" className="fr-h5">
              Indicateurs techniques
            </h2>
            <ObservablesPanel incidentId={i.id} items={observables} pole canAdd={open} onChanged={changed} />
            <p className="fr-mt-2w fr-mb-0">
              <a
                className="fr-link fr-icon-download-line fr-link--icon-left"
                href={`${api$}/observables/stix`}
                download={`${i.reference}-stix.json`}
              >
                Exporter en STIX 2.1 (TLP:{i.tlp})
              </a>
            </p>
            {me.role === "analyst" && <ContagionBulletinButton incidentId={i.id} />}
          </section>

          <section className="pris-panel pris-order-5" aria-labelledby="evidence-title">
            <h2 id="evidence-title" className="fr-h5">
              Pièces jointes
            </h2>
            <EvidencePanel
              incidentId={i.id}
              tz={tz}
              canUpload={member && i.status !== "merged" && i.status !== "rejected"}
              canRescan={member}
              onChanged={changed}
            />
          </section>

          <div className="pris-order-6">
            <DeclarationDetails incident={i} tz={tz} summarised />
          </div>
        </div>

        <div className="pris-workspace__side">
          {canWork && (
            <section className="pris-panel pris-order-2" aria-labelledby="qualify-title">
              <h2 id="qualify-title" className="fr-h5">
                Qualification
              </h2>
              <QualificationForm
                key={`${i.severity}-${i.rsitClass}-${i.rsitType}-${i.tlp}`}
                incident={i}
                onChanged={changed}
              />
            </section>
          )}

          {tasks && (
            <section className="pris-panel pris-order-4" aria-labelledby="tasks-title">
              <h2 id="tasks-title" className="fr-h5">
                Tâches
              </h2>
              <TasksPanel
                incidentId={i.id}
                tasks={tasks}
                meId={me.id}
                tz={tz}
                canWork={canWork}
                onChanged={changed}
              />
            </section>
          )}
        </div>
      </div>
    </div>
  );
}
