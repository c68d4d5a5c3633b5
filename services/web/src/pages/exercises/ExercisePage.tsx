import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import {
  CATEGORIES,
  type Category,
  EXERCISE_KIND_LABELS,
  EXERCISE_LEVEL_LABELS,
  type Exercise,
  PARTICIPATION_STATUS_LABELS,
  PARTICIPATION_STATUSES,
} from "@pris/domain";
import { type FormEvent, useState } from "react";
import { Link, useParams } from "react-router";
import { api } from "../../api/client.ts";
import { usePageTitle } from "../../components/Layout.tsx";
import { LoadError } from "../../components/LoadError.tsx";
import { useResource } from "../../lib/use-resource.ts";

import { useApp, useMe } from "../../session.tsx";
import { dayLabel, ParticipationBadge, todayIn, useExerciseSubmission } from "./exercise-common.tsx";

function HoldAndCancel({ exercise, onChange }: { exercise: Exercise; onChange(x: Exercise): void }) {
  const { config } = useApp();
  const [heldOn, setHeldOn] = useState(() => {
    // The planned day, unless it is still to come: a day cannot be held in the future.
    return [exercise.plannedOn, todayIn(config.timeZone)].sort()[0]!;
  });
  const [reason, setReason] = useState("");
  const [cancelling, setCancelling] = useState(false);
  const hold = useExerciseSubmission();
  const cancel = useExerciseSubmission();

  const submitHold = (e: FormEvent) => {
    e.preventDefault();
    void hold.run(async () => {
      onChange(await api.post<Exercise>(`/exercises/${exercise.id}/hold`, { heldOn }));
    });
  };
  const submitCancel = (e: FormEvent) => {
    e.preventDefault();
    void cancel.run(async () => {
      onChange(await api.post<Exercise>(`/exercises/${exercise.id}/cancel`, { reason: reason.trim() }));
    });
  };

  return (
    <div className="pris-panel fr-mb-4w">
      <form onSubmit={submitHold} className="fr-mb-2w">
        <div className="fr-input-group">
          <label className="fr-label" htmlFor="held-on">
            Date de réalisation
          </label>
          <input
            id="held-on"
            className="fr-input"
            type="date"
            required
            max={todayIn(config.timeZone)}
            value={heldOn}
            onChange={(e) => setHeldOn(e.target.value)}
          />
        </div>
        {hold.error && <Alert severity="error" small description={hold.error} className="fr-mb-2w" />}
        <Button type="submit" disabled={hold.busy} iconId="fr-icon-check-line" className="pris-block-button">
          Enregistrer l'exercice comme réalisé
        </Button>
      </form>
      {cancelling ? (
        <form onSubmit={submitCancel}>
          <div className="fr-input-group">
            <label className="fr-label" htmlFor="cancel-reason">
              Motif de l'annulation
            </label>
            <input
              id="cancel-reason"
              className="fr-input"
              required
              value={reason}
              onChange={(e) => setReason(e.target.value)}
            />
          </div>
          {cancel.error && <Alert severity="error" small description={cancel.error} className="fr-mb-2w" />}
          <Button type="submit" priority="secondary" disabled={cancel.busy}>
            Confirmer l'annulation
          </Button>
        </form>
      ) : (
        <Button priority="tertiary" onClick={() => setCancelling(true)}>
          Annuler l'exercice
        </Button>
      )}
    </div>
  );
}

/** Counts per status across the participants: the regional exercise's progress at a glance. */
function Progress({ exercise }: { exercise: Exercise }) {
  const counts = PARTICIPATION_STATUSES.map((s) => ({
    status: s,
    n: exercise.participations.filter((p) => p.status === s).length,
  })).filter((c) => c.n > 0);
  const total = Math.max(1, exercise.participations.length);
  const retexDone = exercise.participations.filter((p) =>
    ["retex_submitted", "validated", "actions_closed"].includes(p.status),
  ).length;
  return (
    <div className="fr-mb-3w">
      <p>
        <strong>{retexDone}</strong> RETEX soumis sur {exercise.participations.length} participants (
        {Math.round((retexDone / total) * 100)} %).
      </p>
      <div
        className="pris-progress"
        role="img"
        aria-label={counts.map((c) => `${PARTICIPATION_STATUS_LABELS[c.status]} : ${c.n}`).join(", ")}
      >
        {counts.map((c) => (
          <span
            key={c.status}
            className={`pris-progress-${c.status}`}
            style={{ width: `${(c.n / total) * 100}%` }}
          />
        ))}
      </div>
      <ul className="fr-tags-group fr-mt-1w">
        {counts.map((c) => (
          <li key={c.status}>
            <p className="fr-tag fr-tag--sm">
              {PARTICIPATION_STATUS_LABELS[c.status]} : {c.n}
            </p>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** One exercise: what it is, recording it held or cancelling it, and each participant's progress. */
export function ExercisePage() {
  const { id } = useParams();
  const me = useMe();
  const { state, reload, set } = useResource<Exercise>(`/exercises/${id}`);
  usePageTitle(state.status === "ready" ? state.data.title : "Exercice");
  if (state.status === "loading") return <p className="fr-container fr-my-6w">Chargement…</p>;
  if (state.status === "error")
    return (
      <div className="fr-container fr-my-6w">
        <LoadError title="Exercice indisponible" message={state.message} retry={reload} />
      </div>
    );
  const x = state.data;
  const regionalRole = me.role === "ars" || me.role === "analyst";
  const mayRun = x.status === "planned" && (regionalRole || x.kind !== "regional");
  return (
    <div className="fr-container fr-my-4w">
      <p>
        <Link to="/exercices" className="fr-link fr-icon-arrow-left-line fr-link--icon-left">
          Exercices
        </Link>
      </p>
      <h1>{x.title}</h1>
      <ul className="fr-badges-group">
        <li>
          <p className="fr-badge fr-badge--sm">{EXERCISE_KIND_LABELS[x.kind]}</p>
        </li>
        <li>
          <p className="fr-badge fr-badge--sm">{EXERCISE_LEVEL_LABELS[x.level]}</p>
        </li>
        {x.pooled && (
          <li>
            <p className="fr-badge fr-badge--sm fr-badge--info">Mutualisé</p>
          </li>
        )}
        <li>
          <p className="fr-badge fr-badge--sm fr-badge--no-icon" data-testid="exercise-status">
            {x.status === "planned" ? "Planifié" : x.status === "held" ? "Réalisé" : "Annulé"}
          </p>
        </li>
      </ul>
      <dl className="pris-facts">
        <dt>Date prévue</dt>
        <dd>{dayLabel(x.plannedOn)}</dd>
        <dt>Date de réalisation</dt>
        <dd>{dayLabel(x.heldOn)}</dd>
        <dt>Organisateur</dt>
        <dd>{x.organiser}</dd>
        <dt>Participants</dt>
        <dd>{x.participants || "—"}</dd>
        <dt>Scénario</dt>
        <dd>{x.scenario}</dd>
        {x.objectives.length > 0 && (
          <>
            <dt>Objectifs</dt>
            <dd>
              <ul>
                {x.objectives.map((o) => (
                  <li key={o}>{o}</li>
                ))}
              </ul>
            </dd>
          </>
        )}
        {x.cancelReason && (
          <>
            <dt>Motif d'annulation</dt>
            <dd>{x.cancelReason}</dd>
          </>
        )}
      </dl>
      {mayRun && <HoldAndCancel exercise={x} onChange={set} />}
      <h2 className="fr-h4">
        {x.participations.length > 1 ? "Avancement des participants" : "RETEX et actions"}
      </h2>
      {x.participations.length > 1 && <Progress exercise={x} />}
      <div className="fr-table fr-table--no-caption">
        <table>
          <caption>Participants</caption>
          <thead>
            <tr>
              <th scope="col">Établissement</th>
              <th scope="col">Catégorie</th>
              <th scope="col">Statut</th>
              <th scope="col">Actions d'amélioration</th>
            </tr>
          </thead>
          <tbody>
            {x.participations.map((p) => (
              <tr key={p.id}>
                <td>
                  <Link to={`/exercices/participations/${p.id}`}>{p.establishmentName}</Link>
                </td>
                <td>{CATEGORIES[p.category as Category]?.label ?? p.category}</td>
                <td>
                  <ParticipationBadge status={p.status} />
                </td>
                <td>
                  {p.actionsTotal === 0
                    ? "—"
                    : `${p.actionsTotal - p.actionsOpen} / ${p.actionsTotal} soldées`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
