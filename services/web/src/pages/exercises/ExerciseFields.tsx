import { EXERCISE_LEVEL_LABELS, EXERCISE_LEVELS, type Exercise, type ExerciseLevel } from "@pris/domain";
import { useState } from "react";
import { labelled, SelectField } from "../../components/SelectField.tsx";

/** What planning an exercise and changing a planned one both ask: what it is, when, who runs it. */
export interface ExerciseFieldValues {
  level: ExerciseLevel;
  title: string;
  scenario: string;
  objectives: string;
  plannedOn: string;
  participants: string;
  organiser: string;
}

/** The fields' state, from an exercise being changed or blank for a new one. */
export function useExerciseFields(exercise?: Exercise) {
  const [values, setValues] = useState<ExerciseFieldValues>(() => ({
    level: exercise?.level ?? "beginner",
    title: exercise?.title ?? "",
    scenario: exercise?.scenario ?? "",
    objectives: exercise?.objectives.join("\n") ?? "",
    plannedOn: exercise?.plannedOn ?? "",
    participants: exercise?.participants ?? "",
    organiser: exercise?.organiser ?? "",
  }));
  const set = <K extends keyof ExerciseFieldValues>(key: K, value: ExerciseFieldValues[K]) =>
    setValues((v) => ({ ...v, [key]: value }));
  return { values, set };
}

/** The fields as the API takes them: trimmed, one objective per non-empty line. */
export function exerciseFieldsBody(v: ExerciseFieldValues) {
  return {
    title: v.title.trim(),
    level: v.level,
    scenario: v.scenario.trim(),
    objectives: v.objectives
      .split("\n")
      .map((o) => o.trim())
      .filter(Boolean),
    plannedOn: v.plannedOn,
    participants: v.participants.trim(),
    organiser: v.organiser.trim(),
  };
}

/**
 * The exercise's fields, shared by the planning form (ids `ex-…`, the level before the title, a hint under
 * the scenario) and the edit form (ids `edit-ex-…`, the title first, the participants held to 2,000 characters).
 */
export function ExerciseFields({
  idPrefix,
  values,
  set,
  levelFirst = false,
  scenarioHint = false,
  participantsMaxLength,
}: {
  idPrefix: string;
  values: ExerciseFieldValues;
  set: ReturnType<typeof useExerciseFields>["set"];
  levelFirst?: boolean;
  scenarioHint?: boolean;
  participantsMaxLength?: number;
}) {
  const level = (
    <SelectField
      id={`${idPrefix}-level`}
      label="Niveau"
      value={values.level}
      options={labelled(EXERCISE_LEVELS, EXERCISE_LEVEL_LABELS)}
      onChange={(l) => set("level", l)}
    />
  );
  return (
    <>
      {levelFirst && level}
      <div className="fr-input-group">
        <label className="fr-label" htmlFor={`${idPrefix}-title`}>
          Intitulé
        </label>
        <input
          id={`${idPrefix}-title`}
          className="fr-input"
          required
          maxLength={200}
          value={values.title}
          onChange={(e) => set("title", e.target.value)}
        />
      </div>
      {!levelFirst && level}
      <div className="fr-input-group">
        <label className="fr-label" htmlFor={`${idPrefix}-scenario`}>
          Scénario
          {scenarioHint && (
            <span className="fr-hint-text">
              Ce que l'exercice simule : panne du DPI, rançongiciel, perte de la messagerie…
            </span>
          )}
        </label>
        <textarea
          id={`${idPrefix}-scenario`}
          className="fr-input"
          required
          rows={3}
          value={values.scenario}
          onChange={(e) => set("scenario", e.target.value)}
        />
      </div>
      <div className="fr-input-group">
        <label className="fr-label" htmlFor={`${idPrefix}-objectives`}>
          Objectifs
          <span className="fr-hint-text">Un objectif par ligne.</span>
        </label>
        <textarea
          id={`${idPrefix}-objectives`}
          className="fr-input"
          rows={3}
          value={values.objectives}
          onChange={(e) => set("objectives", e.target.value)}
        />
      </div>
      <div className="fr-input-group">
        <label className="fr-label" htmlFor={`${idPrefix}-planned`}>
          Date prévue
        </label>
        <input
          id={`${idPrefix}-planned`}
          className="fr-input"
          type="date"
          required
          value={values.plannedOn}
          onChange={(e) => set("plannedOn", e.target.value)}
        />
      </div>
      <div className="fr-input-group">
        <label className="fr-label" htmlFor={`${idPrefix}-organiser`}>
          Organisateur
        </label>
        <input
          id={`${idPrefix}-organiser`}
          className="fr-input"
          required
          maxLength={200}
          value={values.organiser}
          onChange={(e) => set("organiser", e.target.value)}
        />
      </div>
      <div className="fr-input-group">
        <label className="fr-label" htmlFor={`${idPrefix}-participants`}>
          Participants
          <span className="fr-hint-text">Services et fonctions mobilisés, partenaires.</span>
        </label>
        <textarea
          id={`${idPrefix}-participants`}
          className="fr-input"
          rows={2}
          maxLength={participantsMaxLength}
          value={values.participants}
          onChange={(e) => set("participants", e.target.value)}
        />
      </div>
    </>
  );
}
