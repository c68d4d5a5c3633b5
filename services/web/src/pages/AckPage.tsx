import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import {
  type AckView,
  BULLETIN_ANSWER_LABELS,
  BULLETIN_KIND_LABELS,
  BULLETIN_SEVERITY_LABELS,
  type BulletinAnswer,
} from "@pris/domain";
import { useEffect, useState } from "react";
import { useParams } from "react-router";
import { ApiError, api, describeError } from "../api/client.ts";
import { TlpBadge } from "../components/badges.tsx";
import { usePageTitle } from "../components/Layout.tsx";
import { ANSWER_BUTTONS } from "../lib/bulletin-labels.ts";
import { useSubmission } from "../lib/use-submission.ts";

type State =
  | { status: "loading" }
  | { status: "ready"; view: AckView }
  | { status: "error"; message: string };

function linkProblem(err: unknown): string {
  if (err instanceof ApiError && err.status === 404)
    return "Ce lien n'est pas valide. Utilisez le lien reçu par courriel, sans le modifier, ou connectez-vous à PRIS.";
  if (err instanceof ApiError && err.status === 410)
    return "Ce lien a expiré. Connectez-vous à PRIS pour répondre au bulletin, ou contactez le pôle régional.";
  return describeError(err);
}

/**
 * The page a recipient's personal link opens, without login: the bulletin in short and four answers.
 * Opening it records nothing (mail scanners open links too); only pressing a button answers.
 */
export function AckPage() {
  const { token = "" } = useParams();
  usePageTitle("Réponse à un bulletin d'alerte");
  const [state, setState] = useState<State>({ status: "loading" });
  const { busy, error, run } = useSubmission(linkProblem);
  const [saved, setSaved] = useState<BulletinAnswer | null>(null);
  const path = `/bulletin-acks/${encodeURIComponent(token)}`;

  useEffect(() => {
    api.get<AckView>(path).then(
      (view) => setState({ status: "ready", view }),
      (err: unknown) => setState({ status: "error", message: linkProblem(err) }),
    );
  }, [path]);

  function answer(value: BulletinAnswer) {
    return run(async () => {
      const view = await api.post<AckView>(path, { answer: value });
      setState({ status: "ready", view });
      setSaved(value);
    });
  }

  if (state.status === "loading") return <p className="fr-container fr-my-4w">Chargement…</p>;
  if (state.status === "error")
    return (
      <div className="fr-container fr-my-6w pris-narrow">
        <h1 className="fr-h3">Réponse à un bulletin d'alerte</h1>
        <Alert severity="error" title="Lien refusé" description={state.message} />
      </div>
    );
  const v = state.view;
  return (
    <div className="fr-container fr-my-4w pris-narrow">
      <p>
        <TlpBadge tlp={v.tlp} />
      </p>
      <p className="fr-text--sm fr-mb-1w">
        {BULLETIN_KIND_LABELS[v.kind]} {v.reference}
        {v.revision > 1 ? ` — révision ${v.revision}` : ""} — gravité {BULLETIN_SEVERITY_LABELS[v.severity]}
      </p>
      <h1 className="fr-h3">{v.title}</h1>
      <p className="pris-pre">{v.summary}</p>
      {v.recommendations && (
        <>
          <h2 className="fr-h6 fr-mb-1w">Actions recommandées</h2>
          <p className="pris-pre">{v.recommendations}</p>
        </>
      )}
      <p className="fr-text--bold fr-mt-3w">
        {v.recipientName} ({v.establishment}), votre établissement est-il concerné ?
      </p>
      {saved && (
        <Alert
          severity="success"
          small
          description={`Merci, votre réponse « ${BULLETIN_ANSWER_LABELS[saved]} » est enregistrée.`}
          className="fr-mb-2w"
        />
      )}
      {!saved && v.answer && (
        <p>Réponse déjà enregistrée : {BULLETIN_ANSWER_LABELS[v.answer]}. Vous pouvez la mettre à jour.</p>
      )}
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      <div className="pris-answer-buttons">
        {ANSWER_BUTTONS.map(({ answer: value, label }) => (
          <Button
            key={value}
            priority={v.answer === value ? "primary" : "secondary"}
            disabled={busy}
            onClick={() => answer(value)}
          >
            {label}
          </Button>
        ))}
      </div>
      <p className="fr-text--xs pris-muted fr-mt-3w">
        Lien personnel : il répond pour vous seul. Ne le transférez pas.
      </p>
    </div>
  );
}
