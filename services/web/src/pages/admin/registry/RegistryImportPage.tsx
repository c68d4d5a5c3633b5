import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Upload } from "@codegouvfr/react-dsfr/Upload";
import type { RegistryImport } from "@pris/domain";
import { type FormEvent, useState } from "react";
import { DataTable } from "../../../components/DataTable.tsx";
import { usePageTitle } from "../../../components/Layout.tsx";
import { formatNumber } from "../../../lib/format.ts";
import { formatShort } from "../../../lib/zoned-time.ts";
import { useApp } from "../../../session.tsx";
import { ImportPreview } from "./ImportPreview.tsx";
import { MappingEditors } from "./MappingEditors.tsx";
import { SavedMappings } from "./SavedMappings.tsx";
import { useRegistryImport } from "./use-registry-import.ts";

const STATUS_LABELS: Record<RegistryImport["status"], string> = {
  preview: "Aperçu",
  applied: "Appliqué",
  superseded: "Remplacé",
};

function History({
  items,
  more,
  onOpen,
  currentId,
}: {
  items: RegistryImport[];
  more: (() => void) | null;
  onOpen: (imp: RegistryImport) => void;
  currentId: string | undefined;
}) {
  const { config } = useApp();
  return (
    <section aria-label="Historique des imports">
      <h2>Historique des imports</h2>
      {items.length === 0 ? (
        <p>Aucun import pour l'instant.</p>
      ) : (
        <DataTable
          caption="Historique des imports"
          headers={[
            "Date",
            "Fichier",
            "Par",
            "État",
            "Nouveaux / modifiés / absents / refusés",
            { label: "Actions", hidden: true },
          ]}
          rows={items.map((imp) => ({
            key: imp.id,
            cells: [
              formatShort(imp.createdAt, config.timeZone),
              imp.fileName,
              imp.createdBy ?? "—",
              `${STATUS_LABELS[imp.status]}${imp.appliedAt ? ` le ${formatShort(imp.appliedAt, config.timeZone)}` : ""}`,
              [imp.summary.new, imp.summary.changed, imp.summary.missing, imp.summary.refused]
                .map((n) => formatNumber(n))
                .join(" / "),
              imp.id === currentId ? (
                "Affiché"
              ) : (
                <Button key="open" size="small" priority="tertiary" onClick={() => onOpen(imp)}>
                  Voir
                </Button>
              ),
            ],
          }))}
        />
      )}
      {more && (
        <Button priority="secondary" onClick={more}>
          Imports plus anciens
        </Button>
      )}
    </section>
  );
}

/**
 * "Import du répertoire FINESS": upload the national extract (or a hand-made CSV), read the preview —
 * counts, rows by outcome, refused lines with their reason —, fix the mappings it lacks, preview again,
 * then apply behind a confirmation. Administrators only.
 */
export function RegistryImportPage() {
  usePageTitle("Import du répertoire FINESS");
  const state = useRegistryImport();
  const [chosen, setChosen] = useState<File | null>(null);
  const [mappingsVersion, setMappingsVersion] = useState(0);
  const mappingChanged = () => setMappingsVersion((v) => v + 1);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!chosen) {
      state.setError("Choisissez un fichier.");
      return;
    }
    void state.upload(chosen);
  };

  return (
    <main className="fr-container fr-my-6w">
      <h1>Import du répertoire FINESS</h1>
      <p>
        Déposez l'extrait public du répertoire FINESS (fichier « etalab », séparé par des points-virgules, en
        Windows-1252) ou une liste faite à la main au format CSV UTF-8 avec en-têtes (colonnes finess, name,
        category ou finess_category, territory ou commune ou departement…). Un aperçu montre ce que l'import
        changerait avant que rien ne soit écrit.
      </p>
      <form onSubmit={submit} className="fr-mb-4w">
        <Upload
          label="Fichier du répertoire"
          hint="Extrait FINESS (.csv) ou liste CSV ; le fichier est lu au fil de l'envoi."
          nativeInputProps={{
            accept: ".csv,.txt,text/csv,text/plain",
            name: "file",
            onChange: (e) => setChosen(e.target.files?.[0] ?? null),
          }}
        />
        <Button type="submit" className="fr-mt-2w" disabled={state.busy !== null}>
          {state.busy === "upload" ? "Lecture du fichier…" : "Prévisualiser l'import"}
        </Button>
      </form>
      {state.error && <Alert severity="error" small description={state.error} className="fr-mb-3w" />}
      {state.current && (
        <>
          <ImportPreview
            key={state.current.id + state.current.status}
            current={state.current}
            outcome={state.outcome}
            setOutcome={state.setOutcome}
            rows={state.rows}
            moreRows={state.moreRows}
            busy={state.busy !== null}
            onApply={(keep) => void state.apply(keep)}
          />
          {state.current.status === "preview" && (
            <MappingEditors
              unmapped={state.unmapped}
              canReload={state.file !== null}
              onReload={() => void state.upload()}
              busy={state.busy !== null}
              saved={mappingsVersion}
              onSaved={mappingChanged}
            />
          )}
        </>
      )}
      <SavedMappings version={mappingsVersion} onChange={mappingChanged} />
      <History
        items={state.history}
        more={state.historyCursor ? state.moreHistory : null}
        onOpen={state.open}
        currentId={state.current?.id}
      />
    </main>
  );
}
