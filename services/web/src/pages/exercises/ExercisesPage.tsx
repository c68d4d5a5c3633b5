import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { EXERCISE_KIND_LABELS, EXERCISE_KINDS, type Exercise, type ExerciseKind } from "@pris/domain";
import { type FormEvent, useMemo, useState } from "react";
import { Link, useNavigate } from "react-router";
import { api } from "../../api/client.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { usePageTitle } from "../../components/Layout.tsx";
import { LoadError } from "../../components/LoadError.tsx";
import { labelled, SelectField } from "../../components/SelectField.tsx";
import { useResource } from "../../lib/use-resource.ts";

import { useMe } from "../../session.tsx";
import { chunks, DirectoryPicker, OwnPicker, type Picked } from "./EstablishmentPicker.tsx";
import { ExerciseFields, exerciseFieldsBody, useExerciseFields } from "./ExerciseFields.tsx";
import {
  dayLabel,
  describeExerciseProblem,
  ParticipationBadge,
  useExerciseSubmission,
} from "./exercise-common.tsx";

interface ExercisePage {
  items: Exercise[];
  nextCursor: string | null;
}

function PlanForm({ onPlanned }: { onPlanned(id: string): void }) {
  const me = useMe();
  const regionalRole = me.role === "ars" || me.role === "analyst";
  const own = useMemo(() => me.establishments.map((e) => ({ id: e.id, name: e.name })), [me.establishments]);
  const kinds = EXERCISE_KINDS.filter((k) => regionalRole || k !== "regional");
  const [kind, setKind] = useState<ExerciseKind>(regionalRole ? "regional" : "degraded_mode");
  const fields = useExerciseFields();
  const [selected, setSelected] = useState<Picked>(
    () => new Map(own.length === 1 ? [[own[0]!.id, own[0]!.name]] : []),
  );
  const { busy, error, run } = useExerciseSubmission();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const [first, ...rest] = chunks([...selected.keys()]);
      const created = await api.post<Exercise>("/exercises", {
        kind,
        ...exerciseFieldsBody(fields.values),
        establishmentIds: first ?? [],
      });
      // Beyond what one request takes, the others join the exercise just created.
      for (const more of rest) {
        await api.post<Exercise>(`/exercises/${created.id}/participations`, { establishmentIds: more });
      }
      onPlanned(created.id);
    });
  };

  return (
    <form onSubmit={submit} className="pris-narrow" aria-labelledby="plan-title">
      <h2 id="plan-title" className="fr-h4">
        Planifier un exercice
      </h2>
      <SelectField
        id="ex-kind"
        label="Type d'exercice"
        value={kind}
        options={labelled(kinds, EXERCISE_KIND_LABELS)}
        onChange={setKind}
      />
      <ExerciseFields idPrefix="ex" {...fields} levelFirst scenarioHint />
      <fieldset className="fr-fieldset">
        <legend className="fr-fieldset__legend">
          Établissements participants
          <span className="fr-hint-text">
            Un exercice mutualisé (GHT, régional) compte pour chaque établissement coché.
          </span>
        </legend>
        {regionalRole ? (
          <DirectoryPicker selected={selected} setSelected={setSelected} idPrefix="ex" />
        ) : (
          <OwnPicker choices={own} selected={selected} setSelected={setSelected} idPrefix="ex" />
        )}
      </fieldset>
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      <Button type="submit" disabled={busy || selected.size === 0} className="pris-block-button">
        Planifier l'exercice
      </Button>
    </form>
  );
}

/** An establishment's (or the region's) exercises, and planning a new one. */
export function ExercisesPage() {
  const me = useMe();
  usePageTitle(me.role === "rssi" ? "Mes exercices de crise" : "Exercices de crise");
  const navigate = useNavigate();
  const [planning, setPlanning] = useState(false);
  const { state, reload } = useResource<ExercisePage>("/exercises?limit=50");
  const [more, setMore] = useState<ExercisePage[]>([]);
  const [moreError, setMoreError] = useState<string | null>(null);
  const pages = state.status === "ready" ? [state.data, ...more] : [];
  const items = pages.flatMap((p) => p.items);
  const nextCursor = pages.at(-1)?.nextCursor ?? null;
  const loadMore = () => {
    if (!nextCursor) return;
    setMoreError(null);
    api
      .get<ExercisePage>(`/exercises?limit=50&cursor=${encodeURIComponent(nextCursor)}`)
      .then((page) => setMore((m) => [...m, page]))
      .catch((err: unknown) => setMoreError(describeExerciseProblem(err)));
  };

  return (
    <div className="fr-container fr-my-4w">
      <h1>{me.role === "rssi" ? "Mes exercices de crise cyber" : "Exercices de crise cyber"}</h1>
      <p className="pris-muted">
        Chaque établissement réalise au moins un exercice de crise cyber en mode dégradé par an ; son RETEX (à
        chaud, puis à froid) donne des actions d'amélioration suivies jusqu'à leur clôture.
      </p>
      {me.role === "ars" || me.role === "analyst" ? (
        <p>
          <Link
            to="/exercices/tableau-de-bord"
            className="fr-link fr-icon-bar-chart-box-line fr-link--icon-left"
          >
            Tableau de bord de réalisation
          </Link>
        </p>
      ) : null}
      {planning ? (
        <PlanForm onPlanned={(id) => navigate(`/exercices/${id}`)} />
      ) : (
        <Button iconId="fr-icon-add-line" onClick={() => setPlanning(true)} className="fr-mb-3w">
          Planifier un exercice
        </Button>
      )}
      <h2 className="fr-h4 fr-mt-4w">Exercices</h2>
      {state.status === "loading" && <p>Chargement…</p>}
      {state.status === "error" && (
        <LoadError title="Exercices indisponibles" message={state.message} retry={reload} />
      )}
      {state.status === "ready" &&
        (items.length === 0 ? (
          <p>Aucun exercice pour l'instant.</p>
        ) : (
          <DataTable
            caption="Exercices"
            headers={["Exercice", "Type", "Date", "Avancement"]}
            rows={items.map((x) => ({
              key: x.id,
              cells: [
                <Link key="title" to={`/exercices/${x.id}`}>
                  {x.title}
                </Link>,
                `${EXERCISE_KIND_LABELS[x.kind]}${x.pooled ? " (mutualisé)" : ""}`,
                x.heldOn ? `Réalisé le ${dayLabel(x.heldOn)}` : `Prévu le ${dayLabel(x.plannedOn)}`,
                x.status === "cancelled" ? (
                  <ParticipationBadge key="status" status="cancelled" />
                ) : x.participations.length === 1 ? (
                  <ParticipationBadge key="status" status={x.participations[0]!.status} />
                ) : (
                  `${x.participantCount} établissements`
                ),
              ],
            }))}
          />
        ))}
      {moreError && <Alert severity="error" small description={moreError} className="fr-mb-2w" />}
      {nextCursor && (
        <Button priority="secondary" onClick={loadMore}>
          Afficher plus d'exercices
        </Button>
      )}
    </div>
  );
}
