import { Button } from "@codegouvfr/react-dsfr/Button";
import type { AudiencePreview, Tlp } from "@pris/domain";
import { useEffect, useRef } from "react";
import { countOf, formatNumber } from "../../lib/format.ts";

/** Who a bulletin reaches, in one sentence: beside the form and beside the preview. */
export function audienceSentence(count: AudiencePreview, tlp: Tlp): string {
  return (
    `${countOf(count.establishments, "établissement", "établissements")}, ` +
    `${countOf(count.people, "destinataire", "destinataires")}` +
    (tlp === "RED"
      ? " — aucun courriel (lecture dans PRIS)"
      : ` dont ${formatNumber(count.emailed)} par courriel`) +
    (count.withoutRecipient > 0
      ? ` — ${countOf(count.withoutRecipient, "établissement", "établissements")} sans destinataire connu`
      : "")
  );
}

/**
 * The last step before a bulletin leaves: how many people will be e-mailed, counted just now, and the
 * choice to go on or not. Focus moves to it, so that a keyboard or a screen reader meets it first.
 */
export function PublishConfirmation({
  count,
  tlp,
  revision,
  busy,
  onConfirm,
  onCancel,
}: {
  count: AudiencePreview;
  tlp: Tlp;
  revision: boolean;
  busy: boolean;
  onConfirm(): void;
  onCancel(): void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  const what = revision ? "cette révision" : "ce bulletin";
  const mailed =
    tlp === "RED" || count.emailed === 0
      ? `Aucun courriel ne sera envoyé : ${countOf(count.people, "personne le lira", "personnes le liront")} dans PRIS.`
      : `${countOf(count.emailed, "personne recevra", "personnes recevront")} un courriel (${countOf(count.establishments, "établissement", "établissements")}).`;
  return (
    <div
      ref={ref}
      tabIndex={-1}
      role="alertdialog"
      aria-labelledby="publish-confirm-title"
      aria-describedby="publish-confirm-text"
      className="fr-alert fr-alert--warning fr-mb-3w"
      data-testid="publish-confirmation"
    >
      <h2 id="publish-confirm-title" className="fr-alert__title">
        Publier {what} ?
      </h2>
      <p id="publish-confirm-text">{mailed} La publication ne peut pas être annulée.</p>
      <div className="fr-btns-group fr-btns-group--inline fr-mt-2w">
        <Button type="button" disabled={busy} onClick={onConfirm}>
          {tlp === "RED" || count.emailed === 0
            ? "Confirmer la publication"
            : `Envoyer à ${countOf(count.emailed, "personne", "personnes")}`}
        </Button>
        <Button type="button" priority="secondary" disabled={busy} onClick={onCancel}>
          Annuler
        </Button>
      </div>
    </div>
  );
}
