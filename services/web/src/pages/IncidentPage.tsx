import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Breadcrumb } from "@codegouvfr/react-dsfr/Breadcrumb";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Select } from "@codegouvfr/react-dsfr/Select";
import {
  AFFECTED_SERVICE_LABELS,
  IMPACT_GRADE_LABELS,
  type ImpactGrade,
  type Incident,
  isOpen,
  type LogVerification,
  RSIT_CLASSES,
  SPREAD_LABELS,
} from "@pris/domain";
import { type ReactNode, useCallback, useEffect, useState } from "react";
import { useParams } from "react-router";
import { API_BASE, api, describeProblem } from "../api/client.ts";
import { CrisisBadge, SeverityBadge, StatusBadge, TlpBadge } from "../components/badges.tsx";
import { ContagionBulletinButton } from "../components/bulletin/ContagionBulletinButton.tsx";
import { ActionsPanel, QualificationForm } from "../components/incident/ActionsPanel.tsx";
import { ClockPanel } from "../components/incident/ClockPanel.tsx";
import { PoleEntryForm, ReplyForm, TasksPanel } from "../components/incident/LogForms.tsx";
import { ObservablesPanel } from "../components/incident/ObservablesPanel.tsx";
import { Timeline } from "../components/incident/Timeline.tsx";
import { usePageTitle } from "../components/Layout.tsx";
import { useNow } from "../lib/countdown.ts";
import { isPole, type QueueEvent, useQueueEvents } from "../lib/queue-events.ts";
import { useIncidentWorkspace } from "../lib/use-incident-workspace.ts";
import { formatLong, formatShort } from "../lib/zoned-time.ts";
import { useApp, useMe } from "../session.tsx";

export function IncidentLoadError({ message, retry }: { message: string; retry(): void }) {
  return (
    <div className="fr-container fr-my-6w pris-narrow">
      <Alert severity="error" title="Signalement indisponible" description={message} className="fr-mb-3w" />
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <Button onClick={retry} iconId="fr-icon-refresh-line">
            Réessayer
          </Button>
        </li>
        <li>
          <Button priority="secondary" linkProps={{ to: "/incidents" }}>
            Mes signalements
          </Button>
        </li>
      </ul>
    </div>
  );
}

const YNU = { yes: "Oui", no: "Non", unknown: "Ne sait pas" } as const;
const yesNo = (b: boolean) => (b ? "Oui" : "Non");

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="pris-field">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function rsitWording(incident: Pick<Incident, "rsitClass" | "rsitType">): string {
  const cls = RSIT_CLASSES.find((c) => c.value === incident.rsitClass);
  const type = cls?.types.find((t) => t.value === incident.rsitType);
  if (!cls || !type) return `${incident.rsitClass} / ${incident.rsitType}`;
  return `${cls.label} — ${type.label} (${type.plain})`;
}

export function IncidentPage() {
  const { id = "" } = useParams();
  const me = useMe();
  // The pole and the task force work the incident; everyone else (the establishment, the ARS) follows it.
  return isPole(me.role) || me.role === "admin" ? (
    <PoleIncidentPage id={id} />
  ) : (
    <FollowIncidentPage id={id} />
  );
}

/** The establishment's view: status, clocks, the shared conversation, observables. */
function FollowIncidentPage({ id }: { id: string }) {
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

      <IncidentFacts incident={i} />

      <div className="fr-mt-4w">
        <Button priority="secondary" iconId="fr-icon-arrow-left-line" linkProps={{ to: "/incidents" }}>
          {establishment ? "Mes signalements" : "Signalements"}
        </Button>
      </div>
    </div>
  );
}

function IncidentHeader({ incident: i, tz }: { incident: Incident; tz: string }) {
  return (
    <>
      <p className="fr-mb-1w pris-badges">
        <StatusBadge status={i.status} /> <SeverityBadge severity={i.severity} small />{" "}
        {i.crisisCell && <CrisisBadge />} <TlpBadge tlp={i.tlp} small />
      </p>
      <h1 className="fr-h3 fr-mb-1w">
        <span className="pris-reference-inline" data-testid="incident-reference">
          {i.reference}
        </span>{" "}
        — {i.title}
      </h1>
      <p className="pris-muted fr-mb-2w">
        {i.establishment.name} · {i.establishment.territory} · déclaré le {formatLong(i.declaredAt, tz)} par{" "}
        {i.declaredBy.name}
      </p>
    </>
  );
}

interface PoleMember {
  id: string;
  displayName: string;
  role: "analyst" | "taskforce";
}

/** The pole's workspace: header, actions allowed now, clocks, main courante, qualification, tasks, observables. */
function PoleIncidentPage({ id }: { id: string }) {
  const { config } = useApp();
  const me = useMe();
  const tz = config.timeZone;
  const now = useNow(15_000);
  const { state, reload, refreshError } = useIncidentWorkspace(id, true);
  usePageTitle(state.status === "ready" ? `Incident ${state.data.incident.reference}` : "Incident");
  const [assignError, setAssignError] = useState<string | null>(null);
  const [assignBusy, setAssignBusy] = useState(false);
  const [members, setMembers] = useState<PoleMember[]>([]);
  useEffect(() => {
    if (me.role !== "analyst" && me.role !== "taskforce") return;
    api
      .get<PoleMember[]>("/pole/members")
      .then(setMembers)
      .catch(() => setMembers([]));
  }, [me.role]);

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
  const mine = i.assignee?.id === me.id;
  const changed = () => void reload();
  const api$ = `${API_BASE}/incidents/${encodeURIComponent(i.id)}`;

  async function assign(via: "claim" | "unassign" | "assign", userId?: string) {
    setAssignBusy(true);
    setAssignError(null);
    try {
      await api.post(
        `/incidents/${encodeURIComponent(i.id)}/${via}`,
        via === "assign" ? { userId } : undefined,
      );
      changed();
    } catch (err) {
      setAssignError(describeProblem(err));
    } finally {
      setAssignBusy(false);
    }
  }

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
      <div className="pris-assignee fr-mb-3w">
        <p className="fr-mb-0">
          {i.assignee ? (
            <>
              Responsable : <strong>{mine ? `vous (${i.assignee.name})` : i.assignee.name}</strong>
            </>
          ) : (
            <strong>Personne n'a pris cet incident.</strong>
          )}
          {i.followUpAt && <> · relance prévue le {formatShort(i.followUpAt, tz)}</>}
        </p>
        {canWork && (
          <Button
            size="small"
            priority={mine ? "tertiary" : "primary"}
            iconId={mine ? "fr-icon-user-line" : "fr-icon-user-add-line"}
            disabled={assignBusy}
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
              disabled: assignBusy,
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
      {assignError && <Alert severity="error" small description={assignError} className="fr-mb-2w" />}

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
            {i.closure && (
              <div className="fr-mt-2w">
                <h3 className="fr-h6 fr-mb-1w">Synthèse de clôture</h3>
                <dl className="pris-fields">
                  <Row label="Classification finale">
                    {rsitWording({ ...i, rsitClass: i.closure.rsitClass, rsitType: i.closure.rsitType })}
                  </Row>
                  <Row label="Cause racine">
                    <span className="pris-prewrap">{i.closure.rootCause}</span>
                  </Row>
                  <Row label="Mesures">
                    <span className="pris-prewrap">{i.closure.measures}</span>
                  </Row>
                  <Row label="Enseignements">
                    <span className="pris-prewrap">{i.closure.lessons}</span>
                  </Row>
                </dl>
              </div>
            )}
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

          <section className="pris-panel pris-order-6" aria-labelledby="observables-title">
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

          <div className="pris-order-7">
            <IncidentFacts incident={i} />
          </div>
        </div>

        <div className="pris-workspace__side">
          {/* Obligations outlive the incident: a NIS2 final report is due after closure. */}
          <section className="pris-panel pris-order-2" aria-labelledby="clocks-title">
            <h2 id="clocks-title" className="fr-h5">
              Échéances réglementaires
            </h2>
            <ClockPanel
              incidentId={i.id}
              clocks={i.clocks}
              tz={tz}
              now={now}
              canRecord={member}
              onChanged={changed}
            />
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

          {canWork && (
            <section className="pris-panel pris-order-4" aria-labelledby="qualify-title">
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
            <section className="pris-panel pris-order-5" aria-labelledby="tasks-title">
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

const BREAK_REASONS: Record<NonNullable<LogVerification["firstBroken"]>["reason"], string> = {
  content_altered: "contenu modifié",
  chain_broken: "chaînage rompu",
  sequence_gap: "entrée manquante",
  unknown_key: "empreinte calculée avec une clé inconnue",
  unkeyed: "empreinte calculée sans la clé",
  head_mismatch: "réécrite depuis le dernier point de contrôle",
  beyond_head: "écrite hors du chaînage",
};

function chainProblem(v: LogVerification): string {
  const problems: string[] = [];
  if (v.firstBroken) {
    problems.push(
      `l'entrée n° ${v.firstBroken.seq} ne correspond plus à la chaîne d'empreintes (${BREAK_REASONS[v.firstBroken.reason]})`,
    );
  }
  if (v.missing) {
    const range =
      v.missing.fromSeq === v.missing.toSeq
        ? `l'entrée n° ${v.missing.fromSeq} manque`
        : `les entrées n° ${v.missing.fromSeq} à ${v.missing.toSeq} manquent`;
    const source = v.missing.attestedBy === "anchor" ? "la tête enregistrée" : "le point de contrôle signé";
    problems.push(
      `${range} : ${source} en annonce ${v.missing.toSeq}, la main courante s'arrête à ${v.missing.fromSeq - 1}`,
    );
  }
  if (v.checkpoint && !v.checkpoint.authentic) {
    problems.push(`le point de contrôle n° ${v.checkpoint.seq} ne porte plus une signature valide`);
  }
  return `Main courante altérée : ${problems.join(" ; ")}.`;
}

function ChainStatus({ verification: v }: { verification: LogVerification | null }) {
  if (!v) return null;
  return v.valid ? (
    <p className="fr-text--sm pris-chain-ok fr-mb-2w">
      <span className="fr-icon-shield-line fr-icon--sm" aria-hidden="true" /> Main courante intègre :{" "}
      {v.entries} entrée{v.entries > 1 ? "s" : ""} vérifiée{v.entries > 1 ? "s" : ""} (chaîne d'empreintes
      scellée par clé
      {v.checkpoint ? `, attestée par le point de contrôle signé n° ${v.checkpoint.seq}` : ""}
      ).
    </p>
  ) : (
    <Alert severity="error" small className="fr-mb-2w" description={chainProblem(v)} />
  );
}

const POLL_MS = 10_000;

function usePolling(reload: () => unknown, everyMs: number) {
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void reload();
    }, everyMs);
    return () => clearInterval(timer);
  }, [reload, everyMs]);
}

/** What was declared, as the establishment wrote it. */
function IncidentFacts({ incident: i }: { incident: Incident }) {
  const { config } = useApp();
  const tz = config.timeZone;
  const none = <span className="pris-muted">Non renseigné</span>;
  return (
    <div className="pris-facts">
      <h2 className="fr-h5 fr-mt-4w">Contact pendant la crise</h2>
      <dl className="pris-fields">
        <Row label="Nom">
          {i.declarant.name}
          {i.declarant.function ? ` (${i.declarant.function})` : ""}
        </Row>
        <Row label="Téléphone">
          <a href={`tel:${i.declarant.phone.replace(/[^+\d]/g, "")}`}>{i.declarant.phone}</a>
        </Row>
        <Row label="Adresse de secours">{i.declarant.email ?? none}</Row>
      </dl>
      <h2 className="fr-h5 fr-mt-4w">L'incident</h2>
      <dl className="pris-fields">
        <Row label="Catégorie">{rsitWording(i)}</Row>
        <Row label="Description">
          <span className="pris-prewrap">{i.description}</span>
        </Row>
        <Row label="Constaté le">{formatLong(i.detectedAt, tz)}</Row>
        <Row label="Début">{i.startedAt ? formatLong(i.startedAt, tz) : none}</Row>
        <Row label="Toujours en cours">{yesNo(i.ongoing)}</Row>
        <Row label="Acte malveillant suspecté">{YNU[i.suspectedMalicious]}</Row>
      </dl>

      <h2 className="fr-h5 fr-mt-4w">Conséquences</h2>
      <dl className="pris-fields">
        <Row label="Impact sur les soins">
          Niveau {i.impactGrade} — {IMPACT_GRADE_LABELS[i.impactGrade as ImpactGrade]?.short ?? ""}
        </Row>
        <Row label="Services touchés">
          {i.affectedServices.length > 0
            ? i.affectedServices.map((s) => AFFECTED_SERVICE_LABELS[s]).join(", ") +
              (i.affectedServicesOther ? ` (${i.affectedServicesOther})` : "")
            : none}
        </Row>
        <Row label="Étendue">{SPREAD_LABELS[i.spread]}</Row>
        <Row label="Données personnelles concernées">
          {YNU[i.personalData.breach]}
          {i.personalData.approxPeople !== null
            ? ` — environ ${i.personalData.approxPeople.toLocaleString("fr-FR")} personnes`
            : ""}
        </Row>
      </dl>

      <h2 className="fr-h5 fr-mt-4w">Actions et besoins</h2>
      <dl className="pris-fields">
        <Row label="Mesures prises">
          {i.measuresTaken ? <span className="pris-prewrap">{i.measuresTaken}</span> : none}
        </Row>
        <Row label="Appui demandé">
          {yesNo(i.support.requested)}
          {i.support.details ? ` — ${i.support.details}` : ""}
        </Row>
        <Row label="Portail national">
          {i.nationalPortal.declared
            ? `Déclaré${i.nationalPortal.reference ? ` (référence ${i.nationalPortal.reference})` : ""}`
            : "Pas encore déclaré"}
        </Row>
        <Row label="Plainte déposée">{yesNo(i.complaintFiled)}</Row>
      </dl>
    </div>
  );
}
