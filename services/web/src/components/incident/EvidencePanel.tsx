import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Upload } from "@codegouvfr/react-dsfr/Upload";
import { EVIDENCE_SCAN_LABELS, type EvidenceFile, type EvidenceFileList } from "@pris/domain";
import { type FormEvent, useCallback, useEffect, useRef, useState } from "react";
import { API_BASE, ApiError, api, describeProblem } from "../../api/client.ts";
import { formatShort } from "../../lib/zoned-time.ts";

const SEVERITY = { clean: "success", pending: "info", infected: "error", unscannable: "warning" } as const;

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} o`;
  if (bytes < 1024 * 1024)
    return `${(bytes / 1024).toLocaleString("fr-FR", { maximumFractionDigits: 1 })} ko`;
  return `${(bytes / 1024 / 1024).toLocaleString("fr-FR", { maximumFractionDigits: 1 })} Mo`;
}

/** What a refused upload means, in the words of the person who sent it. */
function uploadProblem(err: unknown): string {
  if (err instanceof ApiError && err.status === 413)
    return err.problem.detail ?? "Le fichier est trop volumineux.";
  if (err instanceof ApiError && err.status === 415) return "Choisissez un fichier à envoyer.";
  return describeProblem(err);
}

function FileRow({
  file,
  incidentId,
  tz,
  rescan,
}: {
  file: EvidenceFile;
  incidentId: string;
  tz: string;
  /** The pole, for a file clamd could not scan: ask for a new analysis. */
  rescan?: (() => void) | undefined;
}) {
  const href = `${API_BASE}/incidents/${encodeURIComponent(incidentId)}/evidence/${encodeURIComponent(file.id)}/content`;
  return (
    <li className="fr-mb-2w">
      <p className="fr-mb-0">
        {file.downloadable ? (
          <a className="fr-link fr-icon-download-line fr-link--icon-left" href={href} download={file.name}>
            {file.name}
          </a>
        ) : (
          <strong>{file.name}</strong>
        )}{" "}
        <Badge small severity={SEVERITY[file.scanStatus]} noIcon>
          {EVIDENCE_SCAN_LABELS[file.scanStatus]}
        </Badge>
      </p>
      <p className="fr-text--xs fr-mb-0">
        {size(file.sizeBytes)}
        {file.detectedType ? `, ${file.detectedType}` : ", type non reconnu"} — remis par{" "}
        {file.uploadedBy.name} le {formatShort(file.createdAt, tz)}
        {file.purgedAt
          ? ` — supprimé le ${formatShort(file.purgedAt, tz)} (fin de la durée de conservation)`
          : file.scanStatus === "clean" && !file.downloadable
            ? " — téléchargement réservé (TLP)"
            : ""}
      </p>
      <p className="fr-text--xs fr-mb-0 pris-mono" style={{ overflowWrap: "anywhere" }}>
        SHA-256 : {file.sha256}
      </p>
      {rescan && !file.purgedAt && (file.scanStatus === "unscannable" || file.scanStatus === "pending") && (
        <Button size="small" priority="secondary" onClick={rescan} className="fr-mt-1w">
          Analyser à nouveau « {file.name} »
        </Button>
      )}
    </li>
  );
}

/**
 * The files handed over on an incident, with their antivirus verdict, and (for those who may) a control to
 * add one. Only a file found clean can be downloaded; a quarantined one shows why.
 */
export function EvidencePanel({
  incidentId,
  tz,
  canUpload,
  canRescan = false,
  onChanged,
}: {
  incidentId: string;
  tz: string;
  canUpload: boolean;
  /** The pole scans again a file clamd could not scan. */
  canRescan?: boolean;
  onChanged(): void;
}) {
  const [files, setFiles] = useState<EvidenceFile[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const load = useCallback(async () => {
    try {
      const r = await api.get<EvidenceFileList>(`/incidents/${encodeURIComponent(incidentId)}/evidence`);
      setFiles(r.items);
      setLoadError(null);
    } catch (err) {
      setLoadError(describeProblem(err));
    }
  }, [incidentId]);
  useEffect(() => {
    void load();
  }, [load]);
  // The worker scans a file after it is stored: while one waits for its verdict, look again every few seconds.
  const waiting = files?.some((f) => f.scanStatus === "pending" && !f.purgedAt) ?? false;
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => void load(), 3000);
    return () => clearInterval(timer);
  }, [waiting, load]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const chosen = input.current?.files?.[0];
    if (!chosen) return setMessage({ ok: false, text: "Choisissez un fichier à envoyer." });
    const form = new FormData();
    form.append("file", chosen, chosen.name);
    setBusy(true);
    setMessage(null);
    try {
      const added = await api.post<EvidenceFile>(
        `/incidents/${encodeURIComponent(incidentId)}/evidence`,
        form,
        {
          timeoutMs: 10 * 60_000,
        },
      );
      setMessage(
        added.scanStatus === "pending"
          ? {
              ok: true,
              text: `« ${added.name} » a été reçu et son empreinte inscrite dans la main courante. L'antivirus l'analyse : il sera téléchargeable une fois déclaré sain.`,
            }
          : added.scanStatus === "clean"
            ? { ok: true, text: `« ${added.name} » a été ajouté et analysé : aucun virus détecté.` }
            : {
                ok: false,
                text: `« ${added.name} » a été reçu mais mis en quarantaine (${EVIDENCE_SCAN_LABELS[added.scanStatus].toLowerCase()}). Le pôle régional est prévenu.`,
              },
      );
      if (input.current) input.current.value = "";
      await load();
      onChanged();
    } catch (err) {
      setMessage({ ok: false, text: uploadProblem(err) });
    } finally {
      setBusy(false);
    }
  }

  async function rescan(file: EvidenceFile) {
    setMessage(null);
    try {
      const r = await api.post<EvidenceFile>(
        `/incidents/${encodeURIComponent(incidentId)}/evidence/${encodeURIComponent(file.id)}/scan`,
      );
      setMessage({
        ok: r.scanStatus === "clean",
        text: `Nouvelle analyse de « ${r.name} » : ${EVIDENCE_SCAN_LABELS[r.scanStatus].toLowerCase()}${r.scanDetail ? ` (${r.scanDetail})` : ""}.`,
      });
      await load();
      onChanged();
    } catch (err) {
      setMessage({ ok: false, text: describeProblem(err) });
    }
  }

  return (
    <div>
      {loadError && <Alert severity="error" small description={loadError} className="fr-mb-2w" />}
      {files && files.length === 0 && <p className="fr-mb-2w">Aucune pièce jointe.</p>}
      {files && files.length > 0 && (
        <ul className="fr-raw-list">
          {files.map((f) => (
            <FileRow
              key={f.id}
              file={f}
              incidentId={incidentId}
              tz={tz}
              rescan={canRescan ? () => void rescan(f) : undefined}
            />
          ))}
        </ul>
      )}
      {canUpload && (
        <form onSubmit={submit} aria-label="Ajouter une pièce jointe" className="fr-mt-2w">
          <Upload
            label="Ajouter une pièce jointe"
            hint="Capture d'écran, journal, pièce jointe suspecte… Chaque fichier est analysé par l'antivirus et son empreinte inscrite dans la main courante."
            nativeInputProps={{ ref: input, name: "file" }}
            disabled={busy}
          />
          <Button type="submit" size="small" disabled={busy} className="fr-mt-1w">
            {busy ? "Envoi en cours…" : "Envoyer le fichier"}
          </Button>
        </form>
      )}
      {message && (
        <Alert
          severity={message.ok ? "success" : "warning"}
          small
          description={message.text}
          className="fr-mt-2w"
        />
      )}
    </div>
  );
}
