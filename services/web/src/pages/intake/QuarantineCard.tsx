import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import type { QuarantineAttached, QuarantinedMessage } from "@pris/domain";
import { useState } from "react";
import { ApiError, api } from "../../api/client.ts";
import { EstablishmentSearch, type Named } from "../../components/EstablishmentSearch.tsx";
import { formatLong, formatShort } from "../../lib/zoned-time.ts";
import { useApp } from "../../session.tsx";
import { describeQuarantineProblem, excerptOf, formatBytes, senderOf } from "./quarantine-text.ts";

type Mode = "idle" | "attach" | "discard";

/** A message that took a while to arrive (a queue, an outage): when it was written says something. */
const writtenLongBefore = (m: QuarantinedMessage) =>
  m.sentAt !== null && Date.parse(m.receivedAt) - Date.parse(m.sentAt) > 10 * 60_000;

/**
 * One message set aside: when it came, from whom, why, the start of its text; and the analyst's two
 * decisions — declare it for an establishment, or discard it once confirmed.
 */
export function QuarantineCard({
  message: m,
  onAttached,
  onDiscarded,
}: {
  message: QuarantinedMessage;
  onAttached(result: QuarantineAttached, establishment: Named): void;
  onDiscarded(): void;
}) {
  const { config, expired } = useApp();
  const tz = config.timeZone;
  const [mode, setMode] = useState<Mode>("idle");
  const [establishment, setEstablishment] = useState<Named | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const excerpt = excerptOf(m.text);
  const subject = m.subject.trim() || "(sans objet)";

  const switchTo = (next: Mode) => {
    setMode(next);
    setError(null);
  };

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return expired();
      setError(describeQuarantineProblem(err));
    } finally {
      setBusy(false);
    }
  }

  const attach = () =>
    run(async () => {
      if (!establishment) {
        setError("Choisissez l'établissement pour lequel déclarer ce message.");
        return;
      }
      const result = await api.post<QuarantineAttached>(`/intake/quarantine/${m.id}/attach`, {
        establishmentId: establishment.id,
      });
      onAttached(result, establishment);
    });

  const discard = () =>
    run(async () => {
      await api.post(`/intake/quarantine/${m.id}/discard`);
      onDiscarded();
    });

  return (
    <li className="pris-card pris-quarantine" data-testid="quarantine-card">
      <h2 className="fr-h6 fr-mb-1w">{subject}</h2>
      <dl className="pris-quarantine__facts fr-mb-1w">
        <div>
          <dt>Reçu le</dt>
          <dd>
            <time dateTime={m.receivedAt} title={formatLong(m.receivedAt, tz)}>
              {formatShort(m.receivedAt, tz)}
            </time>
            {m.sentAt && writtenLongBefore(m) && (
              <span className="pris-muted">
                {" "}
                (écrit le <time dateTime={m.sentAt}>{formatShort(m.sentAt, tz)}</time>)
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>Expéditeur</dt>
          <dd data-testid="quarantine-sender">{senderOf(m)}</dd>
        </div>
        <div>
          <dt>Motif</dt>
          <dd data-testid="quarantine-reason">{m.reasonLabel}</dd>
        </div>
        {m.attachments.length > 0 && (
          <div>
            <dt>Pièces jointes</dt>
            <dd>{m.attachments.map((a) => `${a.name} (${formatBytes(a.size)})`).join(", ")}</dd>
          </div>
        )}
      </dl>
      {excerpt ? (
        <blockquote className="pris-quarantine__excerpt fr-mb-1w" data-testid="quarantine-excerpt">
          {excerpt}
        </blockquote>
      ) : (
        <p className="pris-muted fr-mb-1w">Aucun texte lisible dans ce message.</p>
      )}
      {excerpt.endsWith("…") && (
        <details className="fr-mb-2w">
          <summary>Lire le message en entier</summary>
          <p className="pris-prewrap fr-mt-1w">{m.text}</p>
        </details>
      )}

      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}

      {mode === "idle" && (
        <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm fr-mb-0">
          <li>
            <Button size="small" onClick={() => switchTo("attach")}>
              Rattacher à un établissement
            </Button>
          </li>
          <li>
            <Button size="small" priority="secondary" onClick={() => switchTo("discard")}>
              Écarter
            </Button>
          </li>
        </ul>
      )}

      {mode === "attach" && (
        <div className="pris-inline-form">
          <p className="fr-text--sm">
            Le message devient une déclaration « à compléter » pour cet établissement, déclarée par vous au
            nom de l'expéditeur ; son texte en est la description.
          </p>
          <EstablishmentSearch
            id={`attach-${m.id}`}
            label="Établissement concerné"
            value={establishment}
            onChange={(picked) => {
              setEstablishment(picked);
              setError(null);
            }}
            activeOnly
          />
          <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm fr-mb-0">
            <li>
              <Button size="small" disabled={busy} onClick={() => void attach()}>
                {busy ? "Création…" : "Créer la déclaration"}
              </Button>
            </li>
            <li>
              <Button size="small" priority="tertiary" disabled={busy} onClick={() => switchTo("idle")}>
                Annuler
              </Button>
            </li>
          </ul>
        </div>
      )}

      {mode === "discard" && (
        <div className="pris-inline-form">
          <p className="fr-text--sm">
            Écarter ce message ? Il reste conservé dans le registre de la boîte du pôle mais ne sera plus
            proposé, et aucune déclaration n'en sera faite.
          </p>
          <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm fr-mb-0">
            <li>
              <Button size="small" disabled={busy} onClick={() => void discard()}>
                Confirmer l'écart
              </Button>
            </li>
            <li>
              <Button size="small" priority="secondary" disabled={busy} onClick={() => switchTo("idle")}>
                Garder le message
              </Button>
            </li>
          </ul>
        </div>
      )}
    </li>
  );
}
