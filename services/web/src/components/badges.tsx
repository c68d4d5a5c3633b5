import { Badge } from "@codegouvfr/react-dsfr/Badge";
import {
  CLOCK_STATE_LABELS,
  type ClockState,
  type ClockView,
  INCIDENT_STATUS_LABELS,
  type IncidentStatus,
  SEVERITY_LABELS,
  type Severity,
  TLP_DESCRIPTIONS,
  type Tlp,
} from "@pris/domain";
import { useNow } from "../lib/countdown.ts";
import { clockSentence } from "../lib/deadline-words.ts";

const SEVERITY_BADGE = { P1: "error", P2: "warning", P3: "info", P4: undefined } as const;

export function SeverityBadge({ severity, small }: { severity: Severity; small?: boolean }) {
  return (
    <Badge as="span" severity={SEVERITY_BADGE[severity]} small={small} noIcon={severity === "P4"}>
      {SEVERITY_LABELS[severity]}
    </Badge>
  );
}

/** TLP 2.0 labels are coloured text on a black background. */
export function TlpBadge({ tlp, small }: { tlp: Tlp; small?: boolean }) {
  const variant = tlp.toLowerCase().replace("+", "-");
  return (
    <Badge
      as="span"
      small={small}
      noIcon
      className={`pris-tlp pris-tlp--${variant}`}
      style={{ textTransform: "none" }}
    >
      <span title={TLP_DESCRIPTIONS[tlp]}>TLP:{tlp}</span>
    </Badge>
  );
}

const CLOCK_BADGE = {
  pending: "info",
  due_soon: "warning",
  overdue: "error",
  done_on_time: "success",
  done_late: "warning",
} as const satisfies Record<ClockState, string>;

export function ClockStateBadge({ state }: { state: ClockState }) {
  return (
    <Badge as="span" small severity={CLOCK_BADGE[state]}>
      {CLOCK_STATE_LABELS[state]}
    </Badge>
  );
}

export function StatusBadge({ status }: { status: IncidentStatus }) {
  return (
    <Badge as="span" small noIcon severity={status === "new" ? "new" : undefined}>
      {INCIDENT_STATUS_LABELS[status]}
    </Badge>
  );
}

/** The regulatory clocks, as a list that reads well on a phone. */
export function ClockList({ clocks, timeZone }: { clocks: readonly ClockView[]; timeZone: string }) {
  const now = useNow();
  if (clocks.length === 0) return <p>Aucune échéance réglementaire ne s'applique pour l'instant.</p>;
  return (
    <ul className="pris-clocks">
      {clocks.map((c) => {
        const s = clockSentence(c, timeZone, now);
        return (
          <li key={c.kind} className="pris-clock" data-clock={c.kind}>
            <p className="fr-text--bold fr-mb-1v">{c.label}</p>
            <p className="fr-mb-1v">
              {s.lead} <strong>{s.when}</strong>
              {s.tail}
            </p>
            <p className="fr-mb-0">
              <ClockStateBadge state={c.state} /> <span className="fr-text--xs pris-muted">{c.basis}</span>
            </p>
          </li>
        );
      })}
    </ul>
  );
}

/** The incident raised to P1: the task force is mobilised. */
export function CrisisBadge() {
  return (
    <Badge as="span" small severity="error">
      Cellule de crise
    </Badge>
  );
}
