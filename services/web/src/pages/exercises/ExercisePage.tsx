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
  type ParticipationStatus,
  participantRemovable,
} from "@pris/domain";
import { type FormEvent, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { api } from "../../api/client.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { usePageTitle } from "../../components/Layout.tsx";
import { LoadError } from "../../components/LoadError.tsx";
import { TextField } from "../../components/TextField.tsx";
import { countOf, formatNumber, formatShare, pluralOf } from "../../lib/format.ts";
import { useResource } from "../../lib/use-resource.ts";
import { useApp, useMe } from "../../session.tsx";
import { chunks, DirectoryPicker, OwnPicker, type Picked } from "./EstablishmentPicker.tsx";
import { ExerciseFields, exerciseFieldsBody, useExerciseFields } from "./ExerciseFields.tsx";
import {
  BackLink,
  dayLabel,
  ParticipationBadge,
  todayIn,
  useExerciseSubmission,
} from "./exercise-common.tsx";

/** Changing a planned exercise: what it is, when, who runs it. */
function EditForm({
  exercise,
  onSaved,
  onClose,
}: {
  exercise: Exercise;
  onSaved(x: Exercise): void;
  onClose(): void;
}) {
  const fields = useExerciseFields(exercise);
  const { busy, error, run } = useExerciseSubmission();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      onSaved(await api.patch<Exercise>(`/exercises/${exercise.id}`, exerciseFieldsBody(fields.values)));
    });
  };
  return (
    <form onSubmit={submit} className="pris-panel pris-narrow fr-mb-4w" aria-labelledby="edit-title">
      <h2 id="edit-title" className="fr-h5">
        Modifier l'exercice
      </h2>
      <ExerciseFields idPrefix="edit-ex" {...fields} participantsMaxLength={2000} />
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      <ul className="fr-btns-group fr-btns-group--inline-sm">
        <li>
          <Button type="submit" disabled={busy}>
            Enregistrer les modifications
          </Button>
        </li>
        <li>
          <Button type="button" priority="secondary" onClick={onClose}>
            Annuler
          </Button>
        </li>
      </ul>
    </form>
  );
}

/** Establishments joining an exercise after it was planned (in requests the API takes). */
function AddParticipants({
  exercise,
  regional,
  own,
  onAdded,
}: {
  exercise: Exercise;
  regional: boolean;
  own: { id: string; name: string }[];
  onAdded(x: Exercise): void;
}) {
  const [open, setOpen] = useState(false);
  const [selected, setSelected] = useState<Picked>(new Map());
  const taken = useMemo(() => new Set(exercise.participations.map((p) => p.establishmentId)), [exercise]);
  const { busy, error, run } = useExerciseSubmission();
  if (!open) {
    return (
      <Button
        priority="secondary"
        iconId="fr-icon-add-line"
        onClick={() => setOpen(true)}
        className="fr-mb-2w"
      >
        Ajouter des établissements
      </Button>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      let latest = exercise;
      for (const part of chunks([...selected.keys()])) {
        latest = await api.post<Exercise>(`/exercises/${exercise.id}/participations`, {
          establishmentIds: part,
        });
      }
      onAdded(latest);
      setSelected(new Map());
      setOpen(false);
    });
  };
  return (
    <form onSubmit={submit} className="pris-panel fr-mb-3w" aria-labelledby="add-title">
      <h3 id="add-title" className="fr-h6">
        Ajouter des établissements
      </h3>
      <fieldset className="fr-fieldset">
        <legend className="fr-fieldset__legend fr-sr-only">Établissements à ajouter</legend>
        {regional ? (
          <DirectoryPicker selected={selected} setSelected={setSelected} taken={taken} idPrefix="add" />
        ) : (
          <OwnPicker
            choices={own}
            selected={selected}
            setSelected={setSelected}
            taken={taken}
            idPrefix="add"
          />
        )}
      </fieldset>
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      <ul className="fr-btns-group fr-btns-group--inline-sm">
        <li>
          <Button type="submit" disabled={busy || selected.size === 0}>
            {`Ajouter ${countOf(selected.size, "établissement")}`}
          </Button>
        </li>
        <li>
          <Button type="button" priority="secondary" onClick={() => setOpen(false)}>
            Fermer
          </Button>
        </li>
      </ul>
    </form>
  );
}

/** Removing a participant takes a second click: its draft RETEX goes with it. */
function RemoveParticipant({
  exerciseId,
  participationId,
  name,
  onRemoved,
}: {
  exerciseId: string;
  participationId: string;
  name: string;
  onRemoved(): void;
}) {
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useExerciseSubmission();
  const remove = () =>
    void run(async () => {
      await api.delete(`/exercises/${exerciseId}/participations/${participationId}`);
      onRemoved();
    });
  return (
    <>
      {confirming ? (
        <Button size="small" priority="secondary" disabled={busy} onClick={remove} title={`Retirer ${name}`}>
          Confirmer le retrait
        </Button>
      ) : (
        <Button
          size="small"
          priority="tertiary"
          onClick={() => setConfirming(true)}
          title={`Retirer ${name} de l'exercice`}
        >
          Retirer
        </Button>
      )}
      {error && <p className="fr-error-text">{error}</p>}
    </>
  );
}

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
        <TextField
          id="held-on"
          label="Date de réalisation"
          type="date"
          required
          max={todayIn(config.timeZone)}
          value={heldOn}
          onValue={setHeldOn}
        />
        {hold.error && <Alert severity="error" small description={hold.error} className="fr-mb-2w" />}
        <Button type="submit" disabled={hold.busy} iconId="fr-icon-check-line" className="pris-block-button">
          Enregistrer l'exercice comme réalisé
        </Button>
      </form>
      {cancelling ? (
        <form onSubmit={submitCancel}>
          <TextField
            id="cancel-reason"
            label="Motif de l'annulation"
            required
            value={reason}
            onValue={setReason}
          />
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
        <strong>{formatNumber(retexDone)}</strong> RETEX {pluralOf(retexDone, "soumis")} sur{" "}
        {countOf(exercise.participations.length, "participant")} ({formatShare(retexDone, total, 0)}).
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
  const [editing, setEditing] = useState(false);
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
  const own = me.establishments.map((e) => ({ id: e.id, name: e.name }));
  const mayAdd =
    x.status !== "cancelled" &&
    (regionalRole || own.some((e) => !x.participations.some((p) => p.establishmentId === e.id)));
  // An RSSI counts only their own participants: they never remove their last one, so keep seeing it.
  const mayRemove = (status: ParticipationStatus) =>
    x.status !== "cancelled" && x.participantCount > 1 && participantRemovable(status);

  return (
    <div className="fr-container fr-my-4w">
      <BackLink to="/exercices">Exercices</BackLink>
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
      {mayRun &&
        (editing ? (
          <EditForm
            exercise={x}
            onSaved={(updated) => {
              set(updated);
              setEditing(false);
            }}
            onClose={() => setEditing(false)}
          />
        ) : (
          <Button
            priority="secondary"
            iconId="fr-icon-edit-line"
            onClick={() => setEditing(true)}
            className="fr-mb-2w"
          >
            Modifier l'exercice
          </Button>
        ))}
      {mayRun && <HoldAndCancel exercise={x} onChange={set} />}
      <h2 className="fr-h4">
        {x.participations.length > 1 ? "Avancement des participants" : "RETEX et actions"}
      </h2>
      {x.participations.length > 1 && <Progress exercise={x} />}
      {mayAdd && <AddParticipants exercise={x} regional={regionalRole} own={own} onAdded={set} />}
      <DataTable
        caption="Participants"
        headers={[
          "Établissement",
          "Catégorie",
          "Statut",
          "Actions d'amélioration",
          { label: "Retrait", hidden: true },
        ]}
        rows={x.participations.map((p) => ({
          key: p.id,
          cells: [
            <Link key="name" to={`/exercices/participations/${p.id}`}>
              {p.establishmentName}
            </Link>,
            CATEGORIES[p.category as Category]?.label ?? p.category,
            <ParticipationBadge key="status" status={p.status} />,
            p.actionsTotal === 0 ? "—" : `${p.actionsTotal - p.actionsOpen} / ${p.actionsTotal} soldées`,
            mayRemove(p.status) ? (
              <RemoveParticipant
                key="remove"
                exerciseId={x.id}
                participationId={p.id}
                name={p.establishmentName}
                onRemoved={reload}
              />
            ) : null,
          ],
        }))}
      />
    </div>
  );
}
