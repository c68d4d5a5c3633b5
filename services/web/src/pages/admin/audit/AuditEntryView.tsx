import type { AuditTrailEntry } from "@pris/domain";
import { formatShort } from "../../../lib/zoned-time.ts";
import "./audit.css";
import { actionLabel, changedFieldsOf, fieldLabel, formatValue, objectKindLabel } from "./audit-labels.ts";

/** The changes of one entry, field by field: before → after. */
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
export function AuditEntryRow({
  entry,
  timeZone,
  onActor,
  onObject,
}: { entry: AuditTrailEntry; timeZone: string } & EntryActions) {
  return (
    <tr data-testid="audit-entry">
      <td>{formatShort(entry.at, timeZone)}</td>
      <td>
        {onActor && entry.actor.userId ? (
          <button
            type="button"
            className="fr-link"
            title="Voir ce que cette personne a fait"
            onClick={() => onActor(entry)}
          >
            {entry.actor.label}
          </button>
        ) : (
          entry.actor.label
        )}
      </td>
      <td>{actionLabel(entry.action)}</td>
      <td>
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
      </td>
      <td>
        <ChangesTable entry={entry} timeZone={timeZone} />
      </td>
    </tr>
  );
}

export function AuditTable({
  entries,
  timeZone,
  ...actions
}: { entries: AuditTrailEntry[]; timeZone: string } & EntryActions) {
  return (
    <div className="fr-table fr-table--no-caption">
      <table>
        <caption>Journal d'administration</caption>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">Auteur</th>
            <th scope="col">Action</th>
            <th scope="col">Objet</th>
            <th scope="col">Modifications (avant → après)</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <AuditEntryRow key={e.id} entry={e} timeZone={timeZone} {...actions} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
