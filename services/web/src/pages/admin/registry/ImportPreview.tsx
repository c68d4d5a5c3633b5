import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Checkbox } from "@codegouvfr/react-dsfr/Checkbox";
import { Tabs } from "@codegouvfr/react-dsfr/Tabs";
import {
  CATEGORIES,
  type Category,
  type ImportOutcome,
  REGISTRY_FIELD_LABELS,
  type RegistryComparedField,
  type RegistryImport,
  type RegistryImportRow,
} from "@pris/domain";
import { useState } from "react";
import { DataTable } from "../../../components/DataTable.tsx";
import { formatNumber } from "../../../lib/format.ts";
import type { RowsState } from "./use-registry-import.ts";

const OUTCOME_LABELS: Record<ImportOutcome, string> = {
  new: "Nouveaux",
  changed: "Modifiés",
  unchanged: "Inchangés",
  missing: "Absents du fichier",
  refused: "Lignes refusées",
};

const day = (iso: string) => iso.split("-").reverse().join("/");

/** A directory value as the page shows it, in French. */
export function showValue(field: string, value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (field === "category" && typeof value === "string") return CATEGORIES[value as Category]?.label ?? value;
  if (field === "active") return value ? "Oui" : "Non";
  if ((field === "registryUpdatedOn" || field === "activeFrom") && typeof value === "string")
    return day(value);
  if (field === "address" && typeof value === "object") {
    const a = value as { lines?: string[]; postalLine?: string; commune?: string };
    return [...(a.lines ?? []), a.postalLine ?? (a.commune ? `commune ${a.commune}` : "")]
      .filter(Boolean)
      .join(", ");
  }
  return String(value);
}

function Changes({ row }: { row: RegistryImportRow }) {
  return (
    <ul className="fr-text--sm fr-mb-0">
      {Object.entries(row.changes ?? {}).map(([field, change]) => (
        <li key={field}>
          <strong>{REGISTRY_FIELD_LABELS[field as RegistryComparedField] ?? field}</strong> :{" "}
          <span>{showValue(field, change.before)}</span> → <span>{showValue(field, change.after)}</span>
        </li>
      ))}
    </ul>
  );
}

function RowTable({
  outcome,
  rows,
  keep,
  toggleKeep,
  canApply,
}: {
  outcome: ImportOutcome;
  rows: RegistryImportRow[];
  keep: Set<string>;
  toggleKeep: (id: string) => void;
  canApply: boolean;
}) {
  const missing = outcome === "missing";
  return (
    <DataTable
      caption={OUTCOME_LABELS[outcome]}
      headers={[
        ...(missing ? [] : ["Ligne"]),
        "FINESS",
        "Établissement",
        outcome === "refused" ? "Motif" : outcome === "changed" ? "Modifications" : "Catégorie, territoire",
        ...(missing ? ["Garder actif"] : []),
      ]}
      rows={rows.map((r) => ({
        key: String(r.seq),
        testId: `row-${outcome}`,
        cells: [
          ...(missing ? [] : [r.line]),
          r.finess ?? "—",
          r.name ?? "—",
          outcome === "refused" ? (
            r.reason
          ) : outcome === "changed" ? (
            <Changes key="changes" row={r} />
          ) : (
            `${showValue("category", r.data?.category)}, ${String(r.data?.territory ?? "—")}`
          ),
          ...(missing
            ? [
                <Checkbox
                  key="keep"
                  small
                  options={[
                    {
                      label: "Garder",
                      nativeInputProps: {
                        checked: keep.has(r.establishmentId!),
                        disabled: !canApply,
                        onChange: () => toggleKeep(r.establishmentId!),
                      },
                    },
                  ]}
                />,
              ]
            : []),
        ],
      }))}
    />
  );
}

/** One import: its counts, its rows by outcome, and the apply button behind a confirmation. */
export function ImportPreview({
  current,
  outcome,
  setOutcome,
  rows,
  moreRows,
  busy,
  onApply,
}: {
  current: RegistryImport;
  outcome: ImportOutcome;
  setOutcome: (o: ImportOutcome) => void;
  rows: RowsState | null;
  moreRows: () => void;
  busy: boolean;
  onApply: (keep: string[]) => void;
}) {
  const [keep, setKeep] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const s = current.summary;
  const canApply = current.status === "preview";
  const toggleKeep = (id: string) =>
    setKeep((k) => {
      const next = new Set(k);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const deactivations = s.missing - keep.size;

  return (
    <section className="fr-mb-6w" aria-label="Aperçu de l'import">
      <h2>
        {current.status === "applied"
          ? "Import appliqué"
          : current.status === "superseded"
            ? "Aperçu remplacé"
            : "Aperçu"}{" "}
        : {current.fileName}
      </h2>
      <p data-testid="import-summary">
        {current.format === "finess" ? "Extrait FINESS" : "Liste CSV"} — {formatNumber(s.records)}{" "}
        enregistrements lus, dont {formatNumber(s.region)} de la région ; {formatNumber(s.outOfRegion)}{" "}
        d'autres départements et {formatNumber(s.notFollowed)} de catégories non suivies ignorés.{" "}
        {formatNumber(s.new)} nouveaux, {formatNumber(s.changed)} modifiés, {formatNumber(s.unchanged)}{" "}
        inchangés, {formatNumber(s.missing)} absents du fichier, {formatNumber(s.refused)} lignes refusées.
        {s.refusedNotListed > 0 && ` (${formatNumber(s.refusedNotListed)} refus non listés.)`}
      </p>
      {current.status === "applied" && (
        <Alert
          severity="success"
          small
          className="fr-mb-2w"
          description={`Appliqué : ${formatNumber(s.created ?? 0)} créés, ${formatNumber(s.updated ?? 0)} mis à jour, ${formatNumber(s.deactivated ?? 0)} désactivés, ${formatNumber(s.kept ?? 0)} gardés actifs.`}
        />
      )}
      {canApply && s.region === 0 && s.outOfRegion > 0 && (
        // A first import: until a département is attached to a territory, every line is another region's.
        <Alert
          severity="warning"
          small
          className="fr-mb-2w"
          description="Aucune ligne n'est de la région : tant qu'aucun département n'est rattaché à un territoire, toutes les lignes sont ignorées comme hors région. Rattachez le département de la région (par exemple 974) dans « Rattacher un département ou une commune » ci-dessous, puis relancez l'aperçu."
        />
      )}
      {current.mappingsChanged && (
        <Alert
          severity="warning"
          small
          className="fr-mb-2w"
          description="Les correspondances ont changé depuis cet aperçu : relancez l'aperçu pour en tenir compte."
        />
      )}
      <Tabs
        selectedTabId={outcome}
        onTabChange={(id) => setOutcome(id as ImportOutcome)}
        tabs={(Object.keys(OUTCOME_LABELS) as ImportOutcome[]).map((o) => ({
          tabId: o,
          label: `${OUTCOME_LABELS[o]} (${formatNumber(s[o])})`,
        }))}
      >
        {rows === null ? (
          <p>Chargement…</p>
        ) : rows.items.length === 0 ? (
          <p>Aucune ligne.</p>
        ) : (
          <>
            <RowTable
              outcome={outcome}
              rows={rows.items}
              keep={keep}
              toggleKeep={toggleKeep}
              canApply={canApply}
            />
            {rows.nextCursor && (
              <Button priority="secondary" onClick={moreRows}>
                Afficher plus ({formatNumber(rows.total - rows.items.length)} restantes)
              </Button>
            )}
          </>
        )}
      </Tabs>
      {canApply && !confirming && (
        <Button className="fr-mt-3w" onClick={() => setConfirming(true)} disabled={busy}>
          Appliquer l'import
        </Button>
      )}
      {canApply && confirming && (
        <Alert
          severity="warning"
          className="fr-mt-3w"
          title="Confirmer l'application"
          description={
            <>
              <p>
                {formatNumber(s.new)} établissements seront créés, {formatNumber(s.changed)} mis à jour et{" "}
                {formatNumber(deactivations)} désactivés. Rien n'est supprimé ; les contacts et produits
                déclarés ne sont pas modifiés.
              </p>
              <Button className="fr-mr-2w" onClick={() => onApply([...keep])} disabled={busy}>
                Confirmer l'application
              </Button>
              <Button priority="secondary" onClick={() => setConfirming(false)}>
                Annuler
              </Button>
            </>
          }
        />
      )}
    </section>
  );
}
