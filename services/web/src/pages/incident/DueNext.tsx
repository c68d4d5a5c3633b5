import { type ClockState, clockState, type Incident, isOpen } from "@pris/domain";
import { ClockStateBadge } from "../../components/badges.tsx";
import { ClockItem } from "../../components/incident/ClockPanel.tsx";
import { countdown } from "../../lib/countdown.ts";
import { formatLong } from "../../lib/zoned-time.ts";

/** A deadline of the pole's own (acknowledgement, follow-up), shown as a regulatory clock is. */
function PoleDeadline({
  kind,
  label,
  dueAt,
  doneAt,
  state,
  hint,
  tz,
  now,
}: {
  kind: string;
  label: string;
  dueAt: string;
  doneAt: string | null;
  state: ClockState;
  hint: string;
  tz: string;
  now: number;
}) {
  const left = countdown(dueAt, now);
  return (
    <li className={`pris-clock pris-clock--${state}`} data-clock={kind}>
      <p className="fr-text--bold fr-mb-1v">
        {label} <ClockStateBadge state={state} />
      </p>
      {doneAt ? (
        <p className="fr-mb-1v fr-text--sm">
          Fait le {formatLong(doneAt, tz)} (échéance : {formatLong(dueAt, tz)})
        </p>
      ) : (
        <p className="fr-mb-1v fr-text--sm">
          Avant le {formatLong(dueAt, tz)} —{" "}
          <strong className={left.overdue ? "pris-overdue" : undefined}>
            {left.overdue ? `échéance ${left.text}` : left.text}
          </strong>
        </p>
      )}
      <p className="fr-text--xs pris-muted fr-mb-1v">{hint}</p>
    </li>
  );
}

type Due =
  | { type: "ack"; dueAt: string; doneAt: string | null }
  | { type: "followup"; dueAt: string; doneAt: null }
  | { type: "clock"; dueAt: string; doneAt: string | null; clock: Incident["clocks"][number] };

/**
 * Everything due on the incident, the next first: the pole's acknowledgement (its service level, as in
 * the queue), the follow-up it planned, and the regulatory clocks; what is done comes after.
 */
export function dueItems(i: Incident): Due[] {
  const items: Due[] = i.clocks.map((c) => ({ type: "clock", dueAt: c.dueAt, doneAt: c.doneAt, clock: c }));
  const open = isOpen(i.status);
  if (i.ackDueAt && (i.acknowledgedAt || open)) {
    items.push({ type: "ack", dueAt: i.ackDueAt, doneAt: i.acknowledgedAt });
  }
  if (i.followUpAt && open) items.push({ type: "followup", dueAt: i.followUpAt, doneAt: null });
  const rank = (d: Due) => (d.doneAt ? 1 : 0);
  return items.sort((a, b) => rank(a) - rank(b) || a.dueAt.localeCompare(b.dueAt));
}

/** The pole's "what is due next" panel: every deadline with its countdown, recording the clocks. */
export function DueNext({
  incident: i,
  tz,
  now,
  canRecord,
  onChanged,
}: {
  incident: Incident;
  tz: string;
  now: number;
  canRecord: boolean;
  onChanged(): void;
}) {
  const items = dueItems(i);
  if (items.length === 0) return <p>Aucune échéance pour l'instant.</p>;
  const at = new Date(now);
  return (
    <ul className="pris-clocks">
      {items.map((d) => {
        if (d.type === "clock") {
          return (
            <ClockItem
              key={d.clock.kind}
              incidentId={i.id}
              clock={d.clock}
              tz={tz}
              now={now}
              canRecord={canRecord}
              onChanged={onChanged}
            />
          );
        }
        const state = clockState(
          {
            startsAt: new Date(i.declaredAt),
            dueAt: new Date(d.dueAt),
            doneAt: d.doneAt ? new Date(d.doneAt) : null,
          },
          at,
        );
        return d.type === "ack" ? (
          <PoleDeadline
            key="ack"
            kind="acknowledgement"
            label="Prise en compte par le pôle"
            dueAt={d.dueAt}
            doneAt={d.doneAt}
            state={state}
            hint="Niveau de service du pôle selon la gravité. Prendre l'incident ou changer son statut le prend en compte."
            tz={tz}
            now={now}
          />
        ) : (
          <PoleDeadline
            key="followup"
            kind="followup"
            label="Relance prévue"
            dueAt={d.dueAt}
            doneAt={null}
            state={state}
            hint="Date de relance fixée par le pôle en passant l'incident en attente."
            tz={tz}
            now={now}
          />
        );
      })}
    </ul>
  );
}
