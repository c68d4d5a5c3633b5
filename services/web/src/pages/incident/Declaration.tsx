import {
  AFFECTED_SERVICE_LABELS,
  IMPACT_GRADE_LABELS,
  type ImpactGrade,
  type Incident,
  rsitWording,
  SPREAD_LABELS,
} from "@pris/domain";
import type { ReactNode } from "react";
import { useTerritoryNames } from "../../lib/use-territory-names.ts";
import { formatLong } from "../../lib/zoned-time.ts";

const YNU = { yes: "Oui", no: "Non", unknown: "Ne sait pas" } as const;
const yesNo = (b: boolean) => (b ? "Oui" : "Non");
const none = <span className="pris-muted">Non renseigné</span>;

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="pris-declared__row">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function telHref(phone: string): string {
  return `tel:${phone.replace(/[^+\d]/g, "")}`;
}

function impactText(i: Incident): string {
  const label = IMPACT_GRADE_LABELS[i.impactGrade as ImpactGrade];
  return `Niveau ${i.impactGrade}${label ? ` — ${label.short}` : ""}`;
}

function personalDataText(i: Incident): string {
  const people = i.personalData.approxPeople;
  return `${YNU[i.personalData.breach]}${people !== null ? ` — environ ${people.toLocaleString("fr-FR")} personnes` : ""}`;
}

/**
 * What the establishment declared, first on the pole's page: what happened, whom to call back, how hard
 * the care is hit, what kind of incident, where.
 */
export function DeclaredSummary({ incident: i }: { incident: Incident }) {
  const territoryName = useTerritoryNames();
  const territory = territoryName(i.establishment.territory);
  const d = i.declarant;
  return (
    <section className="pris-panel pris-declared" aria-labelledby="declared-title" data-testid="declared">
      <h2 id="declared-title" className="fr-h5">
        Ce que l'établissement a déclaré
      </h2>
      <p className="pris-declared__description pris-prewrap" data-testid="declared-description">
        {i.description}
      </p>
      <dl className="pris-declared__list">
        <Row label="À rappeler">
          {d.name}
          {d.function ? ` (${d.function})` : ""}
          <span className="pris-block">
            <a className="pris-declared__phone" href={telHref(d.phone)}>
              {d.phone}
            </a>
          </span>
          {d.email ? <span className="pris-block">{d.email}</span> : null}
        </Row>
        <Row label="Impact sur les soins">
          <strong>{impactText(i)}</strong>
          {i.affectedServices.length > 0 ? (
            <span className="pris-block">
              {i.affectedServices.map((s) => AFFECTED_SERVICE_LABELS[s]).join(", ")}
              {i.affectedServicesOther ? ` (${i.affectedServicesOther})` : ""}
            </span>
          ) : null}
        </Row>
        <Row label="Catégorie">{rsitWording(i.rsitClass, i.rsitType)}</Row>
        <Row label="Établissement">
          {i.establishment.name}
          <span className="pris-block pris-muted">
            FINESS {i.establishment.finess}
            {territory ? ` · ${territory}` : ""}
          </span>
        </Row>
        <Row label="Toujours en cours">
          {yesNo(i.ongoing)} — {SPREAD_LABELS[i.spread]}
        </Row>
        <Row label="Données personnelles">{personalDataText(i)}</Row>
        <Row label="Appui demandé">
          {yesNo(i.support.requested)}
          {i.support.details ? ` — ${i.support.details}` : ""}
        </Row>
      </dl>
    </section>
  );
}

/**
 * The declaration as the establishment wrote it. After the summary (the pole's page), only what the
 * summary does not already say.
 */
export function DeclarationDetails({
  incident: i,
  tz,
  summarised,
}: {
  incident: Incident;
  tz: string;
  summarised: boolean;
}) {
  return (
    <div className="pris-declaration">
      {!summarised && (
        <>
          <h2 className="fr-h5 fr-mt-4w">Contact pendant la crise</h2>
          <dl className="pris-declared__list">
            <Row label="Nom">
              {i.declarant.name}
              {i.declarant.function ? ` (${i.declarant.function})` : ""}
            </Row>
            <Row label="Téléphone">
              <a href={telHref(i.declarant.phone)}>{i.declarant.phone}</a>
            </Row>
            <Row label="Adresse de secours">{i.declarant.email ?? none}</Row>
          </dl>
        </>
      )}
      <h2 className="fr-h5 fr-mt-4w">{summarised ? "Détail de la déclaration" : "L'incident"}</h2>
      <dl className="pris-declared__list">
        {!summarised && <Row label="Catégorie">{rsitWording(i.rsitClass, i.rsitType)}</Row>}
        {!summarised && (
          <Row label="Description">
            <span className="pris-prewrap">{i.description}</span>
          </Row>
        )}
        <Row label="Constaté le">{formatLong(i.detectedAt, tz)}</Row>
        <Row label="Début">{i.startedAt ? formatLong(i.startedAt, tz) : none}</Row>
        {!summarised && <Row label="Toujours en cours">{yesNo(i.ongoing)}</Row>}
        <Row label="Acte malveillant suspecté">{YNU[i.suspectedMalicious]}</Row>
        {!summarised && <Row label="Impact sur les soins">{impactText(i)}</Row>}
        {!summarised && (
          <Row label="Services touchés">
            {i.affectedServices.length > 0
              ? i.affectedServices.map((s) => AFFECTED_SERVICE_LABELS[s]).join(", ") +
                (i.affectedServicesOther ? ` (${i.affectedServicesOther})` : "")
              : none}
          </Row>
        )}
        {!summarised && <Row label="Étendue">{SPREAD_LABELS[i.spread]}</Row>}
        {!summarised && <Row label="Données personnelles concernées">{personalDataText(i)}</Row>}
        <Row label="Mesures prises">
          {i.measuresTaken ? <span className="pris-prewrap">{i.measuresTaken}</span> : none}
        </Row>
        {!summarised && (
          <Row label="Appui demandé">
            {yesNo(i.support.requested)}
            {i.support.details ? ` — ${i.support.details}` : ""}
          </Row>
        )}
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
