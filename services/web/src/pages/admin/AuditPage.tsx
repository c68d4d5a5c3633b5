import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { auditActionsOf, isAuditObjectKind } from "@pris/domain";
import { useEffect, useState } from "react";
import { usePageTitle } from "../../components/Layout.tsx";
import { SelectField } from "../../components/SelectField.tsx";
import { TextField } from "../../components/TextField.tsx";
import { useApp } from "../../session.tsx";
import { AuditTable } from "./audit/AuditEntryView.tsx";
import { ACTION_LABELS, OBJECT_KIND_LABELS } from "./audit/audit-labels.ts";
import { type AuditFilter, useAuditTrail } from "./audit/use-audit-trail.ts";

type Trail = ReturnType<typeof useAuditTrail>;

/** A filter set by clicking in the trail (a person, an object), shown as a tag that removes it. */
function ActiveTag({ label, onRemove }: { label: string; onRemove(): void }) {
  return (
    <li>
      <button type="button" className="fr-tag fr-tag--sm fr-tag--dismiss" onClick={onRemove}>
        <span className="fr-sr-only">Retirer le filtre : </span>
        {label}
      </button>
    </li>
  );
}

function Filters({ trail }: { trail: Trail }) {
  const { filter, setFilters } = trail;
  const [text, setText] = useState(filter("q"));
  const applied = filter("q");
  useEffect(() => {
    const timer = setTimeout(() => {
      if (text.trim() !== applied) setFilters({ q: text.trim() || null });
    }, 300);
    return () => clearTimeout(timer);
  }, [text, applied, setFilters]);

  const kind = filter("objectKind");
  const actions = isAuditObjectKind(kind) ? auditActionsOf(kind) : [];
  const action = actions.find((a) => a === filter("action")) ?? "";
  const date = (key: AuditFilter, label: string) => (
    <TextField
      id={`audit-${key}`}
      label={label}
      type="date"
      value={filter(key)}
      onValue={(v) => setFilters({ [key]: v })}
    />
  );
  return (
    <>
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-6 fr-col-md-2">{date("from", "Du")}</div>
        <div className="fr-col-6 fr-col-md-2">{date("to", "Au")}</div>
        <div className="fr-col-12 fr-col-md-3">
          <SelectField
            id="audit-kind"
            label="Type d'objet"
            value={kind}
            options={[["", "Tous"], ...Object.entries(OBJECT_KIND_LABELS)]}
            onChange={(objectKind) =>
              setFilters({ objectKind, action: null, objectId: null, objectLabel: null })
            }
          />
        </div>
        <div className="fr-col-12 fr-col-md-2">
          <SelectField
            id="audit-verb"
            label="Action"
            value={action}
            options={[
              ["", kind ? "Toutes" : "Choisir un type d'abord"],
              ...actions.map((a) => [a, ACTION_LABELS[a]] as const),
            ]}
            onChange={(v) => setFilters({ action: v || null })}
          />
        </div>
        <div className="fr-col-12 fr-col-md-3">
          <TextField
            id="audit-q"
            label="Objet"
            hint="Texte dans son nom"
            type="search"
            maxLength={200}
            value={text}
            onValue={setText}
          />
        </div>
      </div>
      <ul className="fr-tags-group">
        {filter("actorUserId") && (
          <ActiveTag
            label={`Auteur : ${filter("actorLabel") || filter("actorUserId")}`}
            onRemove={() => setFilters({ actorUserId: null, actorLabel: null })}
          />
        )}
        {filter("objectId") && (
          <ActiveTag
            label={`Objet : ${filter("objectLabel") || filter("objectId")}`}
            onRemove={() => setFilters({ objectId: null, objectLabel: null })}
          />
        )}
      </ul>
    </>
  );
}

/** The administration trail: who changed what in the region's reference data, people, keys, imports and roster. */
export function AuditPage() {
  usePageTitle("Journal d'administration");
  const { config } = useApp();
  const trail = useAuditTrail(config.timeZone);
  const { page, error, loading, setFilters } = trail;
  return (
    <main className="fr-container fr-my-4w">
      <h1>Journal d'administration</h1>
      <p>
        Chaque modification des données de référence, des comptes, des clés, des imports et de l'astreinte :
        qui, quand, quoi, avant → après. Le journal ne peut être ni modifié ni effacé. Cliquez sur un auteur
        ou un objet pour n'afficher que ses entrées.
      </p>
      <Filters trail={trail} />
      <p>
        <a
          className="fr-link fr-icon-download-line fr-link--icon-left"
          href={trail.csvHref}
          data-testid="audit-csv"
        >
          Exporter en CSV (filtres appliqués)
        </a>
      </p>
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {page && page.items.length === 0 && <p>Aucune entrée pour ces critères.</p>}
      {page && page.items.length > 0 && (
        <AuditTable
          entries={page.items}
          timeZone={config.timeZone}
          onActor={(e) => setFilters({ actorUserId: e.actor.userId, actorLabel: e.actor.label })}
          onObject={(e) =>
            setFilters({
              objectKind: e.objectKind,
              objectId: e.objectId,
              objectLabel: e.objectLabel,
              action: null,
            })
          }
        />
      )}
      {page?.nextCursor && (
        <Button priority="secondary" disabled={loading} onClick={trail.more}>
          Afficher plus
        </Button>
      )}
    </main>
  );
}
