import { CLOCK_LABELS, type QueueItem } from "@pris/domain";
import { Link } from "react-router";
import { CrisisBadge, SeverityBadge, StatusBadge } from "../../components/badges.tsx";
import { countdown } from "../../lib/countdown.ts";
import { formatShort } from "../../lib/zoned-time.ts";
import "./queue.css";

/** What the nearest deadline of a row is. */
function deadlineOf(i: QueueItem): string {
  if (!i.nextDeadlineAt) return "";
  if (!i.acknowledgedAt && i.ackDueAt === i.nextDeadlineAt) return "Prise en compte";
  if (i.clocks.next && i.clocks.next.dueAt === i.nextDeadlineAt)
    return CLOCK_LABELS[i.clocks.next.kind].label;
  if (!i.acknowledgedAt && i.ackDueAt) return "Prise en compte";
  return i.clocks.next ? CLOCK_LABELS[i.clocks.next.kind].label : "";
}

function Deadline({ item, now, tz }: { item: QueueItem; now: number; tz: string }) {
  if (!item.nextDeadlineAt) return <span className="pris-muted">Aucune échéance</span>;
  const c = countdown(item.nextDeadlineAt, now);
  return (
    <span className={c.overdue ? "pris-overdue" : undefined} title={formatShort(item.nextDeadlineAt, tz)}>
      <span className="fr-text--xs pris-block fr-mb-0">{deadlineOf(item)}</span>
      <strong>{c.overdue ? `Échéance ${c.text}` : c.text}</strong>
    </span>
  );
}

/** The queue's rows: cards on a phone, a table from a tablet up, the most urgent first. */
export function QueueBoard({
  items,
  now,
  tz,
  rowClass,
  territoryName,
}: {
  items: readonly QueueItem[];
  now: number;
  tz: string;
  rowClass(i: QueueItem): string;
  territoryName(code: string): string;
}) {
  return (
    <>
      <ul className="pris-cards fr-hidden-md" data-testid="queue-cards">
        {items.map((i) => (
          <li key={i.id} className={`pris-card ${rowClass(i)}`}>
            <p className="fr-mb-1v">
              <SeverityBadge severity={i.severity} small /> {i.crisisCell && <CrisisBadge />}{" "}
              <StatusBadge status={i.status} />
            </p>
            <p className="fr-mb-1v">
              <Link to={`/incidents/${i.id}`} className="pris-reference-inline fr-text--bold">
                {i.reference}
              </Link>{" "}
              — {i.title}
            </p>
            <p className="fr-text--sm fr-mb-1v">
              {i.establishment.name} · {territoryName(i.establishment.territory)}
            </p>
            <p className="fr-text--sm fr-mb-0">
              <Deadline item={i} now={now} tz={tz} />
              <span className="pris-block pris-muted">
                {i.assignee ? `Attribué à ${i.assignee.name}` : "Non attribué"}
              </span>
            </p>
          </li>
        ))}
      </ul>
      <div className="fr-hidden fr-unhidden-md fr-table fr-table--no-caption pris-queue-table">
        <div className="fr-table__wrapper">
          {/* Wider than its frame (a narrow window, long names), the table scrolls there, never the page. */}
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls must be reachable by keyboard (WCAG 2.1.1) */}
          <section className="fr-table__container" tabIndex={0} aria-label="File des incidents (tableau)">
            <div className="fr-table__content">
              <table data-testid="queue-table">
                <caption>File des incidents ouverts, le plus urgent en premier</caption>
                <thead>
                  <tr>
                    <th scope="col">Gravité</th>
                    <th scope="col" className="pris-queue-incident">
                      Incident
                    </th>
                    <th scope="col" className="pris-queue-establishment">
                      Établissement
                    </th>
                    <th scope="col">Statut</th>
                    <th scope="col" className="pris-queue-deadline">
                      Prochaine échéance
                    </th>
                    <th scope="col">Attribué à</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((i) => (
                    <tr key={i.id} className={rowClass(i)} data-reference={i.reference}>
                      <td>
                        <SeverityBadge severity={i.severity} small />
                        {i.crisisCell && (
                          <span className="pris-block fr-mt-1v">
                            <CrisisBadge />
                          </span>
                        )}
                      </td>
                      <td>
                        <Link to={`/incidents/${i.id}`} className="pris-reference-inline fr-text--bold">
                          {i.reference}
                        </Link>
                        <span className="pris-block">{i.title}</span>
                        <span className="pris-block fr-text--xs pris-muted">
                          Déclaré le {formatShort(i.declaredAt, tz)}
                        </span>
                      </td>
                      <td>
                        {i.establishment.name}
                        <span className="pris-block fr-text--xs pris-muted">
                          {territoryName(i.establishment.territory)}
                        </span>
                      </td>
                      <td>
                        <StatusBadge status={i.status} />
                      </td>
                      <td>
                        <Deadline item={i} now={now} tz={tz} />
                      </td>
                      <td>
                        {i.assignee ? i.assignee.name : <span className="pris-muted">Non attribué</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </div>
      </div>
    </>
  );
}
