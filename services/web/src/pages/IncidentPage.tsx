import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Breadcrumb } from "@codegouvfr/react-dsfr/Breadcrumb";
import { Button } from "@codegouvfr/react-dsfr/Button";
import {
  AFFECTED_SERVICE_LABELS,
  IMPACT_GRADE_LABELS,
  type ImpactGrade,
  type Incident,
  OBSERVABLE_LABELS,
  RSIT_CLASSES,
  SPREAD_LABELS,
} from "@pris/domain";
import type { ReactNode } from "react";
import { useParams } from "react-router";
import { ClockList, SeverityBadge, StatusBadge, TlpBadge } from "../components/badges.tsx";
import { usePageTitle } from "../components/Layout.tsx";
import { useIncident } from "../lib/use-incident.ts";
import { formatLong } from "../lib/zoned-time.ts";
import { useApp } from "../session.tsx";

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

function rsitWording(incident: Incident): string {
  const cls = RSIT_CLASSES.find((c) => c.value === incident.rsitClass);
  const type = cls?.types.find((t) => t.value === incident.rsitType);
  if (!cls || !type) return `${incident.rsitClass} / ${incident.rsitType}`;
  return `${cls.label} — ${type.label} (${type.plain})`;
}

export function IncidentPage() {
  const { id = "" } = useParams();
  const state = useIncident(id);
  usePageTitle(state.status === "ready" ? `Signalement ${state.incident.reference}` : "Signalement");
  if (state.status === "loading") return <p className="fr-container fr-my-6w">Chargement…</p>;
  if (state.status === "error") return <IncidentLoadError message={state.message} retry={state.retry} />;
  return <IncidentDetail incident={state.incident} />;
}

function IncidentDetail({ incident: i }: { incident: Incident }) {
  const { config } = useApp();
  const tz = config.timeZone;
  const none = <span className="pris-muted">Non renseigné</span>;
  return (
    <div className="fr-container fr-my-4w pris-narrow">
      <Breadcrumb
        currentPageLabel={i.reference}
        homeLinkProps={{ to: "/" }}
        segments={[{ label: "Mes signalements", linkProps: { to: "/incidents" } }]}
      />
      <p className="fr-mb-1w">
        <StatusBadge status={i.status} /> <SeverityBadge severity={i.severity} small />{" "}
        <TlpBadge tlp={i.tlp} small />
      </p>
      <h1 className="fr-h3 fr-mb-1w">
        <span className="pris-reference-inline">{i.reference}</span> — {i.title}
      </h1>
      <p className="pris-muted">
        {i.establishment.name} · déclaré le {formatLong(i.declaredAt, tz)} par {i.declaredBy.name}
      </p>

      <h2 className="fr-h5 fr-mt-4w">Échéances réglementaires</h2>
      <ClockList clocks={i.clocks} timeZone={tz} />

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

      <h2 className="fr-h5 fr-mt-4w">Indicateurs techniques</h2>
      {i.observables.length === 0 ? (
        <p>{none}</p>
      ) : (
        <ul className="pris-observable-list">
          {i.observables.map((o) => (
            <li key={`${o.type}:${o.normalized}`}>
              <span className="pris-muted">{OBSERVABLE_LABELS[o.type]}&nbsp;:</span>{" "}
              <code>{o.normalized}</code>
            </li>
          ))}
        </ul>
      )}

      <div className="fr-mt-4w">
        <Button priority="secondary" iconId="fr-icon-arrow-left-line" linkProps={{ to: "/incidents" }}>
          Mes signalements
        </Button>
      </div>
    </div>
  );
}
