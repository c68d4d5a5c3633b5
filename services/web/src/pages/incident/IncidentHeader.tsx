import { DECLARATION_CHANNEL_LABELS, type Incident } from "@pris/domain";
import { CrisisBadge, SeverityBadge, StatusBadge, TlpBadge } from "../../components/badges.tsx";
import { useTerritoryNames } from "../../lib/use-territory-names.ts";
import { formatLong } from "../../lib/zoned-time.ts";

/** Status, severity, TLP, reference and title, and who declared it when, through which channel. */
export function IncidentHeader({ incident: i, tz }: { incident: Incident; tz: string }) {
  const territoryName = useTerritoryNames();
  const territory = territoryName(i.establishment.territory);
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
        {i.establishment.name}
        {territory ? ` · ${territory}` : ""} · déclaré le {formatLong(i.declaredAt, tz)} par{" "}
        {i.declaredBy.name} ·{" "}
        <span data-testid="incident-channel">canal : {DECLARATION_CHANNEL_LABELS[i.channel]}</span>
      </p>
    </>
  );
}
