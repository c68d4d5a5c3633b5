import type { AuditTrailEntry } from "@pris/domain";
import type { ReactNode } from "react";
import { DataTable } from "../../../components/DataTable.tsx";
import { formatShort } from "../../../lib/zoned-time.ts";
import "./audit.css";
import { actionLabel, changedFieldsOf, fieldLabel, formatValue, objectKindLabel } from "./audit-labels.ts";

/**
 * The changes of one entry, field by field: before → after. A plain table nested in the entry's cell
 * rather than a DataTable: a field-by-field diff is no list to turn into cards, its values wrap so it never
 * needs a scrolling frame of its own (one more keyboard stop per entry), and each field names its row.
 */
export function ChangesTable({ entry, timeZone }: { entry: AuditTrailEntry; timeZone: string }) {
  const fields = changedFieldsOf(entry.before, entry.after);
  if (fields.length === 0) return null;
  return (
    <table className="pris-audit-changes">
      <thead>
        <tr>
          <th scope="col">Champ</th>
          {entry.before && <th scope="col">Avant</th>}
          {entry.after && <th scope="col">Après</th>}
        </tr>
      </thead>
      <tbody>
        {fields.map((field) => (
          <tr key={field}>
            <th scope="row">{fieldLabel(field)}</th>
            {entry.before && <td>{formatValue(field, entry.before[field], timeZone)}</td>}
            {entry.after && <td>{formatValue(field, entry.after[field], timeZone)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface EntryActions {
  /** Narrows the trail to what this person did. */
  onActor?(entry: AuditTrailEntry): void;
  /** Narrows the trail to this object's history. */
  onObject?(entry: AuditTrailEntry): void;
}

/** One line of the trail: when, who, what on which object, and the changes. */
function entryCells(
  entry: AuditTrailEntry,
  timeZone: string,
  { onActor, onObject }: EntryActions,
): ReactNode[] {
  return [
    formatShort(entry.at, timeZone),
    onActor && entry.actor.userId ? (
      <button
        key="actor"
        type="button"
        className="fr-link"
        title="Voir ce que cette personne a fait"
        onClick={() => onActor(entry)}
      >
        {entry.actor.label}
      </button>
    ) : (
      entry.actor.label
    ),
    actionLabel(entry.action),
    <div key="object">
      <span className="fr-hint-text pris-audit-object">{objectKindLabel(entry.objectKind)}</span>
      {onObject ? (
        <button
          type="button"
          className="fr-link"
          title="Voir l'historique de cet objet"
          onClick={() => onObject(entry)}
        >
          {entry.objectLabel}
        </button>
      ) : (
        entry.objectLabel
      )}
    </div>,
    <ChangesTable key="changes" entry={entry} timeZone={timeZone} />,
  ];
}

export function AuditTable({
  entries,
  timeZone,
  ...actions
}: { entries: AuditTrailEntry[]; timeZone: string } & EntryActions) {
  return (
    <DataTable
      caption="Journal d'administration"
      className="pris-audit-trail"
      headers={["Date", "Auteur", "Action", "Objet", "Modifications (avant → après)"]}
      rows={entries.map((e) => ({
        key: e.id,
        testId: "audit-entry",
        cells: entryCells(e, timeZone, actions),
      }))}
    />
  );
}
