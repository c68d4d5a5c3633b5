import { EXERCISE_LEVEL_LABELS, EXERCISE_LEVELS, type Exercise, type ExerciseLevel } from "@pris/domain";
import { useState } from "react";
import { labelled, SelectField } from "../../components/SelectField.tsx";
import { TextField } from "../../components/TextField.tsx";

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
      <TextField
        id={`${idPrefix}-title`}
        label="Intitulé"
        required
        maxLength={200}
        value={values.title}
        onValue={(v) => set("title", v)}
      />
      {!levelFirst && level}
      <TextField
        textArea
        id={`${idPrefix}-scenario`}
        label="Scénario"
        hint={
          scenarioHint
            ? "Ce que l'exercice simule : panne du DPI, rançongiciel, perte de la messagerie…"
            : undefined
        }
        required
        rows={3}
        value={values.scenario}
        onValue={(v) => set("scenario", v)}
      />
      <TextField
        textArea
        id={`${idPrefix}-objectives`}
        label="Objectifs"
        hint="Un objectif par ligne."
        rows={3}
        value={values.objectives}
        onValue={(v) => set("objectives", v)}
      />
      <TextField
        id={`${idPrefix}-planned`}
        label="Date prévue"
        type="date"
        required
        value={values.plannedOn}
        onValue={(v) => set("plannedOn", v)}
      />
      <TextField
        id={`${idPrefix}-organiser`}
        label="Organisateur"
        required
        maxLength={200}
        value={values.organiser}
        onValue={(v) => set("organiser", v)}
      />
      <TextField
        textArea
        id={`${idPrefix}-participants`}
        label="Participants"
        hint="Services et fonctions mobilisés, partenaires."
        rows={2}
        maxLength={participantsMaxLength}
        value={values.participants}
        onValue={(v) => set("participants", v)}
      />
    </>
  );
}
