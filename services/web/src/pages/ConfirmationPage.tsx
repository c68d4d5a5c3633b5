import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { CallOut } from "@codegouvfr/react-dsfr/CallOut";
import type { Incident } from "@pris/domain";
import { useEffect, useRef } from "react";
import { useLocation, useParams } from "react-router";
import { ClockList, SeverityBadge, TlpBadge } from "../components/badges.tsx";
import { EvidencePanel } from "../components/incident/EvidencePanel.tsx";
import { usePageTitle } from "../components/Layout.tsx";
import { PolePhoneLink } from "../components/PolePhone.tsx";
import { formatWhen } from "../lib/deadline-words.ts";
import { useIncident } from "../lib/use-incident.ts";
import { useApp } from "../session.tsx";
import { IncidentLoadError } from "./IncidentPage.tsx";

export function ConfirmationPage() {
  usePageTitle("Déclaration enregistrée");
  const { id = "" } = useParams();
  const location = useLocation();
  const passed = (location.state as { incident?: Incident } | null)?.incident;
  const state = useIncident(id, passed?.id === id ? passed : undefined);

  if (state.status === "loading") return <p className="fr-container fr-my-6w">Chargement…</p>;
  if (state.status === "error") return <IncidentLoadError message={state.message} retry={state.retry} />;
  return <Confirmation incident={state.incident} />;
}

function Confirmation({ incident }: { incident: Incident }) {
  const { config } = useApp();
  const tz = config.timeZone;
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  const portal = incident.clocks.find((c) => c.kind === "national_portal");
  const cnil = incident.clocks.find((c) => c.kind === "gdpr_cnil");

  return (
    <div className="fr-container fr-my-4w pris-narrow">
      <Alert
        severity="success"
        title="Déclaration enregistrée"
        description="Le pôle régional cyber a été alerté."
        className="fr-mb-4w"
      />
      <h1 ref={headingRef} tabIndex={-1} className="fr-h3 fr-mb-1w">
        Référence de votre signalement
      </h1>
      <p className="pris-reference" data-testid="incident-reference">
        {incident.reference}
      </p>
      <p>
        Notez-la&nbsp;: elle vous sera demandée à chaque échange avec le pôle. Déclaré{" "}
        {formatWhen(incident.declaredAt, tz, Date.now())} pour <strong>{incident.establishment.name}</strong>.
      </p>

      <h2 className="fr-h5">Gravité estimée</h2>
      <p>
        <SeverityBadge severity={incident.severitySuggested} /> <TlpBadge tlp={incident.tlp} small />
      </p>
      {incident.severityReasons.length > 0 && (
        <ul className="fr-text--sm">
          {incident.severityReasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
      <p className="fr-text--sm pris-muted">Un analyste du pôle peut ajuster cette estimation.</p>

      <CallOut title="Et maintenant ?" titleAs="h2" bodyAs="div" className="fr-my-4w">
        <ul className="pris-next-steps">
          <li>
            <strong>Le pôle régional cyber est alerté</strong> et va prendre contact avec vous.
          </li>
          {config.poleEmergencyPhone && (
            <li>
              Si la situation s'aggrave, appelez le pôle au <PolePhoneLink />.
            </li>
          )}
          {incident.severitySuggested === "P1" && (
            <li>
              <strong>Incident majeur&nbsp;:</strong> la task force régionale est mobilisée.
            </li>
          )}
          <li>
            Gardez votre téléphone joignable
            {incident.declarant.phone ? (
              <>
                {" "}
                au <strong>{incident.declarant.phone}</strong>
              </>
            ) : null}
            .
          </li>
          <li>
            Premiers réflexes&nbsp;: isolez du réseau les machines touchées sans les éteindre, conservez les
            traces, ne payez pas de rançon.
          </li>
          {portal && !portal.doneAt && (
            <li>Déclarez l'incident sur le portail national de signalement, sans délai.</li>
          )}
          {cnil && !cnil.doneAt && <li>Notifiez la violation de données à la CNIL dans les 72 heures.</li>}
        </ul>
      </CallOut>

      <h2 className="fr-h5">Vos échéances réglementaires</h2>
      <ClockList clocks={incident.clocks} timeZone={tz} />

      <h2 className="fr-h5 fr-mt-4w">Pièces jointes</h2>
      <p>
        Joignez dès maintenant ce qui aidera le pôle : captures d'écran de la demande de rançon, journaux,
        pièces jointes suspectes. Chaque fichier est analysé par l'antivirus et son empreinte inscrite dans la
        main courante.
      </p>
      <EvidencePanel incidentId={incident.id} tz={tz} canUpload onChanged={() => undefined} />

      <ul className="fr-btns-group fr-btns-group--inline-md fr-mt-4w">
        <li>
          <Button linkProps={{ to: `/incidents/${incident.id}` }}>Voir le signalement</Button>
        </li>
        <li>
          <Button priority="secondary" linkProps={{ to: "/incidents" }}>
            Mes signalements
          </Button>
        </li>
        <li>
          <Button priority="tertiary" linkProps={{ to: "/declarer" }}>
            Déclarer un autre incident
          </Button>
        </li>
      </ul>
    </div>
  );
}
