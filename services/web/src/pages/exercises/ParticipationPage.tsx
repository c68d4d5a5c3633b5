import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import {
  FINDING_THEME_LABELS,
  FINDING_THEMES,
  type FindingPolarity,
  type FindingTheme,
  IMPROVEMENT_ACTION_STATUS_LABELS,
  IMPROVEMENT_ACTION_STATUSES,
  type ImprovementActionStatus,
  type Participation,
  RETEX_SHARE_TLPS,
  type RetexPhase,
  type RetexShareTlp,
} from "@pris/domain";
import { type FormEvent, useState } from "react";
import { useParams } from "react-router";
import { api } from "../../api/client.ts";
import { DataTable } from "../../components/DataTable.tsx";
import { usePageTitle } from "../../components/Layout.tsx";
import { LoadError } from "../../components/LoadError.tsx";
import { EnumOptions, labelled, SelectField } from "../../components/SelectField.tsx";
import { TextField } from "../../components/TextField.tsx";
import { useResource } from "../../lib/use-resource.ts";
import { useApp, useMe } from "../../session.tsx";
import {
  BackLink,
  dayLabel,
  ParticipationBadge,
  todayIn,
  useExerciseSubmission,
} from "./exercise-common.tsx";

type Props = { p: Participation; onChange(p: Participation): void };

/** One phase of the RETEX (à chaud, à froid): what was said, and on which day. */
function RetexPhaseFields({
  phase,
  hint,
  summary,
  setSummary,
  on,
  setOn,
}: {
  phase: RetexPhase;
  hint: string;
  summary: string;
  setSummary(value: string): void;
  on: string;
  setOn(value: string): void;
}) {
  const name = phase === "hot" ? "à chaud" : "à froid";
  return (
    <>
      <TextField
        textArea
        id={`retex-${phase}`}
        label={`RETEX ${name}`}
        hint={hint}
        className="pris-tall"
        rows={6}
        value={summary}
        onValue={setSummary}
      />
      <TextField
        id={`retex-${phase}-on`}
        label={`Date du RETEX ${name}`}
        type="date"
        value={on}
        onValue={setOn}
      />
    </>
  );
}

function Summaries({ p, onChange }: Props) {
  const { config } = useApp();
  const editable = p.status === "held";
  const [hot, setHot] = useState(p.retex.hotSummary ?? "");
  const [hotOn, setHotOn] = useState(p.retex.hotOn ?? p.exercise.heldOn ?? todayIn(config.timeZone));
  const [cold, setCold] = useState(p.retex.coldSummary ?? "");
  const [coldOn, setColdOn] = useState(p.retex.coldOn ?? "");
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useExerciseSubmission();
  const save = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    void run(async () => {
      onChange(
        await api.put<Participation>(`/participations/${p.id}/retex`, {
          hotSummary: hot,
          ...(hotOn ? { hotOn } : {}),
          coldSummary: cold,
          ...(coldOn ? { coldOn } : {}),
        }),
      );
      setSaved(true);
    });
  };
  if (!editable) {
    return (
      <div className="fr-mb-4w">
        <h2 className="fr-h4">RETEX</h2>
        <h3 className="fr-h6">À chaud {p.retex.hotOn ? `(${dayLabel(p.retex.hotOn)})` : ""}</h3>
        <p className="pris-prewrap">{p.retex.hotSummary || "—"}</p>
        <h3 className="fr-h6">À froid {p.retex.coldOn ? `(${dayLabel(p.retex.coldOn)})` : ""}</h3>
        <p className="pris-prewrap">{p.retex.coldSummary || "—"}</p>
      </div>
    );
  }
  return (
    <form onSubmit={save} className="fr-mb-4w">
      <h2 className="fr-h4">RETEX</h2>
      <RetexPhaseFields
        phase="hot"
        hint="Le débriefing juste après l'exercice : ce qui a marché, ce qui a manqué."
        summary={hot}
        setSummary={setHot}
        on={hotOn}
        setOn={setHotOn}
      />
      <RetexPhaseFields
        phase="cold"
        hint="Quelques semaines après, avec le recul."
        summary={cold}
        setSummary={setCold}
        on={coldOn}
        setOn={setColdOn}
      />
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {saved && (
        <p className="fr-message fr-message--valid" role="status">
          RETEX enregistré.
        </p>
      )}
      <Button type="submit" disabled={busy} priority="secondary" className="pris-block-button">
        Enregistrer le RETEX
      </Button>
    </form>
  );
}

/** A choice among a few, as inline DSFR radios (ids `name-value`). */
function InlineRadios<T extends string>({
  legend,
  name,
  value,
  options,
  onChange,
}: {
  legend: string;
  name: string;
  value: T;
  options: readonly (readonly [NoInfer<T>, string])[];
  onChange(value: NoInfer<T>): void;
}) {
  return (
    <fieldset className="fr-fieldset">
      <legend className="fr-fieldset__legend fr-text--regular">{legend}</legend>
      {options.map(([v, label]) => (
        <div className="fr-fieldset__element fr-fieldset__element--inline" key={v}>
          <div className="fr-radio-group fr-radio-rich">
            <input
              type="radio"
              id={`${name}-${v}`}
              name={name}
              checked={value === v}
              onChange={() => onChange(v)}
            />
            <label className="fr-label" htmlFor={`${name}-${v}`}>
              {label}
            </label>
          </div>
        </div>
      ))}
    </fieldset>
  );
}

function Findings({ p, onChange }: Props) {
  const editable = p.status === "held";
  const [phase, setPhase] = useState<RetexPhase>(p.retex.coldSummary ? "cold" : "hot");
  const [theme, setTheme] = useState<FindingTheme>("governance");
  const [polarity, setPolarity] = useState<FindingPolarity>("negative");
  const [text, setText] = useState("");
  const { busy, error, run } = useExerciseSubmission();
  const add = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      onChange(
        await api.post<Participation>(`/participations/${p.id}/findings`, {
          phase,
          theme,
          polarity,
          text: text.trim(),
        }),
      );
      setText("");
    });
  };
  const remove = (id: string) =>
    void run(async () => onChange(await api.delete<Participation>(`/participations/${p.id}/findings/${id}`)));
  return (
    <section className="fr-mb-4w" aria-labelledby="findings-title">
      <h2 id="findings-title" className="fr-h4">
        Constats
      </h2>
      {p.findings.length === 0 ? (
        <p className="pris-muted">Aucun constat pour l'instant.</p>
      ) : (
        <ul className="pris-findings">
          {p.findings.map((f) => (
            <li key={f.id} className={`pris-finding pris-finding-${f.polarity}`}>
              <p className="fr-text--sm fr-mb-1v">
                <strong>{f.polarity === "positive" ? "Point fort" : "Point à améliorer"}</strong> ·{" "}
                {FINDING_THEME_LABELS[f.theme]} · {f.phase === "hot" ? "à chaud" : "à froid"}
              </p>
              <p className="fr-mb-1v">{f.text}</p>
              {editable && (
                <Button priority="tertiary no outline" size="small" onClick={() => remove(f.id)}>
                  Retirer
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {editable && (
        <form onSubmit={add} className="pris-panel">
          <InlineRadios
            legend="Moment"
            name="phase"
            value={phase}
            options={[
              ["hot", "À chaud"],
              ["cold", "À froid"],
            ]}
            onChange={setPhase}
          />
          <InlineRadios
            legend="Nature"
            name="polarity"
            value={polarity}
            options={[
              ["negative", "Point à améliorer"],
              ["positive", "Point fort"],
            ]}
            onChange={setPolarity}
          />
          <SelectField
            id="finding-theme"
            label="Thème"
            value={theme}
            options={labelled(FINDING_THEMES, FINDING_THEME_LABELS)}
            onChange={setTheme}
          />
          <TextField
            textArea
            id="finding-text"
            label="Constat"
            rows={3}
            required
            maxLength={2000}
            value={text}
            onValue={setText}
          />
          {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
          <Button type="submit" disabled={busy} iconId="fr-icon-add-line" className="pris-block-button">
            Ajouter le constat
          </Button>
        </form>
      )}
    </section>
  );
}

function Actions({ p, onChange }: Props) {
  const editable = ["held", "retex_submitted", "validated", "actions_closed"].includes(p.status);
  const [title, setTitle] = useState("");
  const [owner, setOwner] = useState("");
  const [dueOn, setDueOn] = useState("");
  const [findingId, setFindingId] = useState("");
  const { busy, error, run } = useExerciseSubmission();
  const add = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      onChange(
        await api.post<Participation>(`/participations/${p.id}/actions`, {
          title: title.trim(),
          owner: owner.trim(),
          dueOn,
          ...(findingId ? { findingId } : {}),
        }),
      );
      setTitle("");
      setOwner("");
      setDueOn("");
      setFindingId("");
    });
  };
  const setStatus = (id: string, status: ImprovementActionStatus) =>
    void run(async () =>
      onChange(await api.patch<Participation>(`/participations/${p.id}/actions/${id}`, { status })),
    );
  return (
    <section className="fr-mb-4w" aria-labelledby="actions-title">
      <h2 id="actions-title" className="fr-h4">
        Actions d'amélioration
      </h2>
      {p.actions.length === 0 ? (
        <p className="pris-muted">Aucune action pour l'instant.</p>
      ) : (
        <DataTable
          caption="Actions d'amélioration"
          headers={["Action", "Porteur", "Échéance", "Statut"]}
          rows={p.actions.map((a) => ({
            key: a.id,
            cells: [
              a.title,
              a.owner,
              dayLabel(a.dueOn),
              editable ? (
                <select
                  key="status"
                  className="fr-select"
                  aria-label={`Statut de l'action ${a.title}`}
                  value={a.status}
                  disabled={busy}
                  onChange={(e) => setStatus(a.id, e.target.value as ImprovementActionStatus)}
                >
                  <EnumOptions
                    values={IMPROVEMENT_ACTION_STATUSES}
                    labels={IMPROVEMENT_ACTION_STATUS_LABELS}
                  />
                </select>
              ) : (
                IMPROVEMENT_ACTION_STATUS_LABELS[a.status]
              ),
            ],
          }))}
        />
      )}
      {editable && (
        <form onSubmit={add} className="pris-panel">
          <TextField
            id="action-title"
            label="Action"
            required
            maxLength={500}
            value={title}
            onValue={setTitle}
          />
          <TextField
            id="action-owner"
            label="Porteur"
            required
            maxLength={200}
            value={owner}
            onValue={setOwner}
          />
          <TextField id="action-due" label="Échéance" type="date" required value={dueOn} onValue={setDueOn} />
          {p.findings.length > 0 && (
            <SelectField
              id="action-finding"
              label="Constat à l'origine"
              value={findingId}
              options={[
                ["", "Aucun en particulier"],
                ...p.findings.map((f) => [f.id, f.text.slice(0, 80)] as const),
              ]}
              onChange={setFindingId}
            />
          )}
          {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
          <Button type="submit" disabled={busy} iconId="fr-icon-add-line" className="pris-block-button">
            Ajouter l'action
          </Button>
        </form>
      )}
    </section>
  );
}

function Decision({ p, onChange }: Props) {
  const me = useMe();
  const [comment, setComment] = useState("");
  const [tlp, setTlp] = useState<RetexShareTlp>((p.retex.shareTlp as RetexShareTlp | null) ?? "GREEN");
  const [named, setNamed] = useState(p.retex.shareNamed);
  const { busy, error, run } = useExerciseSubmission();
  const post = (path: string, body?: unknown) =>
    void run(async () => onChange(await api.post<Participation>(`/participations/${p.id}/${path}`, body)));
  const share = (shared: boolean) =>
    void run(async () =>
      onChange(
        await api.put<Participation>(
          `/participations/${p.id}/share`,
          shared ? { shared, tlp, named } : { shared },
        ),
      ),
    );
  return (
    <section className="fr-mb-6w">
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {p.status === "held" && (
        <Button
          onClick={() => post("submit")}
          disabled={busy}
          iconId="fr-icon-send-plane-line"
          className="pris-block-button"
        >
          Soumettre le RETEX à l'ARS
        </Button>
      )}
      {p.status === "retex_submitted" && me.role === "ars" && (
        <div className="pris-panel">
          <h2 className="fr-h5">Décision de l'ARS</h2>
          <Button
            onClick={() => post("validate")}
            disabled={busy}
            iconId="fr-icon-check-line"
            className="fr-mb-2w"
          >
            Valider le RETEX
          </Button>
          <TextField
            textArea
            id="return-comment"
            label="Commentaire pour l'établissement"
            rows={3}
            value={comment}
            onValue={setComment}
          />
          <Button
            priority="secondary"
            disabled={busy || !comment.trim()}
            onClick={() => post("return", { comment: comment.trim() })}
          >
            Renvoyer avec ce commentaire
          </Button>
        </div>
      )}
      {p.status === "retex_submitted" && me.role !== "ars" && (
        <p className="fr-callout">RETEX soumis à l'ARS : en attente de validation.</p>
      )}
      {(p.status === "validated" || p.status === "actions_closed") && me.role === "rssi" && (
        <div className="pris-panel">
          <h2 className="fr-h5">Partager avec le réseau</h2>
          {p.retex.shared ? (
            <p>
              Partagé sous TLP:{p.retex.shareTlp}{" "}
              {p.retex.shareNamed ? "en nommant l'établissement" : "de façon anonyme"}.
            </p>
          ) : (
            <p className="pris-muted">
              Le RETEX n'est pas partagé. Il l'est anonymement, sauf si vous acceptez d'être nommé.
            </p>
          )}
          <SelectField
            id="share-tlp"
            label="Diffusion (TLP)"
            value={tlp}
            options={RETEX_SHARE_TLPS.map((t) => [t, `TLP:${t}`] as const)}
            onChange={setTlp}
          />
          <div className="fr-checkbox-group fr-mb-2w">
            <input
              type="checkbox"
              id="share-named"
              checked={named}
              onChange={(e) => setNamed(e.target.checked)}
            />
            <label className="fr-label" htmlFor="share-named">
              L'établissement accepte d'être nommé
            </label>
          </div>
          <Button onClick={() => share(true)} disabled={busy} className="fr-mr-2w">
            {p.retex.shared ? "Mettre à jour le partage" : "Partager le RETEX"}
          </Button>
          {p.retex.shared && (
            <Button priority="secondary" onClick={() => share(false)} disabled={busy}>
              Retirer le partage
            </Button>
          )}
        </div>
      )}
    </section>
  );
}

/** One establishment's RETEX of an exercise: written in the hot debrief, on a tablet, then followed. */
export function ParticipationPage() {
  const { id } = useParams();
  const { state, reload, set } = useResource<Participation>(`/participations/${id}`);
  usePageTitle(state.status === "ready" ? `RETEX — ${state.data.exercise.title}` : "RETEX");
  if (state.status === "loading") return <p className="fr-container fr-my-6w">Chargement…</p>;
  if (state.status === "error")
    return (
      <div className="fr-container fr-my-6w">
        <LoadError title="RETEX indisponible" message={state.message} retry={reload} />
      </div>
    );
  const p = state.data;
  return (
    <div className="fr-container fr-my-4w pris-narrow">
      <BackLink to={`/exercices/${p.exercise.id}`}>{p.exercise.title}</BackLink>
      <h1 className="fr-h2">RETEX — {p.establishmentName}</h1>
      <div className="fr-mb-2w" data-testid="participation-status">
        <ParticipationBadge status={p.status} />
      </div>
      <p className="pris-muted">
        {p.exercise.heldOn
          ? `Exercice réalisé le ${dayLabel(p.exercise.heldOn)}.`
          : `Exercice prévu le ${dayLabel(p.exercise.plannedOn)}.`}
      </p>
      {p.retex.returnComment && p.status === "held" && (
        <Alert
          severity="warning"
          title="RETEX renvoyé par l'ARS"
          description={p.retex.returnComment}
          className="fr-mb-3w"
        />
      )}
      {p.status === "planned" || p.status === "cancelled" ? (
        <p>Le RETEX se rédige une fois l'exercice réalisé.</p>
      ) : (
        <>
          <Summaries key={`s-${p.status}`} p={p} onChange={set} />
          <Findings p={p} onChange={set} />
          <Actions p={p} onChange={set} />
          <Decision p={p} onChange={set} />
        </>
      )}
    </div>
  );
}
