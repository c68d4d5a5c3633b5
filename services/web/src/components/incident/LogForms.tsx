import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { RadioButtons } from "@codegouvfr/react-dsfr/RadioButtons";
import type { LogEntryCreate, Task } from "@pris/domain";
import { type FormEvent, useState } from "react";
import { api } from "../../api/client.ts";
import { useSubmission } from "../../lib/use-submission.ts";
import { formatShort, fromZonedInputValue } from "../../lib/zoned-time.ts";

type Kind = "comment" | "call" | "action";

/** The pole adds a comment, a call or an action, internal or shared with the establishment. */
export function PoleEntryForm({ incidentId, onAdded }: { incidentId: string; onAdded(): void }) {
  const [kind, setKind] = useState<Kind>("comment");
  const [visibility, setVisibility] = useState<"internal" | "shared">("internal");
  const [text, setText] = useState("");
  const [callWith, setCallWith] = useState("");
  const { busy, error, setError, run } = useSubmission();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!text.trim()) return setError(kind === "call" ? "Résumez l'appel." : "Écrivez le texte de l'entrée.");
    if (kind === "call" && !callWith.trim()) return setError("Indiquez avec qui.");
    const body: LogEntryCreate =
      kind === "call"
        ? { kind, with: callWith.trim(), summary: text.trim(), visibility }
        : { kind, text: text.trim(), visibility };
    await run(async () => {
      await api.post(`/incidents/${encodeURIComponent(incidentId)}/log`, body);
      setText("");
      setCallWith("");
      onAdded();
    });
  }

  return (
    <form onSubmit={submit} className="pris-inline-form" aria-label="Ajouter à la main courante">
      <RadioButtons
        legend="Type d'entrée"
        small
        orientation="horizontal"
        name="entry-kind"
        options={(
          [
            ["comment", "Commentaire"],
            ["call", "Appel"],
            ["action", "Action"],
          ] as const
        ).map(([value, label]) => ({
          label,
          nativeInputProps: { value, checked: kind === value, onChange: () => setKind(value) },
        }))}
      />
      <RadioButtons
        legend="Visibilité"
        small
        orientation="horizontal"
        name="entry-visibility"
        options={[
          {
            label: "Interne au pôle",
            nativeInputProps: {
              checked: visibility === "internal",
              onChange: () => setVisibility("internal"),
            },
          },
          {
            label: "Partagé avec l'établissement",
            nativeInputProps: { checked: visibility === "shared", onChange: () => setVisibility("shared") },
          },
        ]}
      />
      {kind === "call" && (
        <Input
          label="Avec qui"
          nativeInputProps={{ value: callWith, onChange: (e) => setCallWith(e.target.value), maxLength: 300 }}
        />
      )}
      <Input
        label={kind === "call" ? "Résumé de l'appel" : kind === "action" ? "Action menée" : "Commentaire"}
        textArea
        nativeTextAreaProps={{
          id: "entry-text",
          value: text,
          onChange: (e) => setText(e.target.value),
          maxLength: 10000,
          rows: 3,
        }}
      />
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      <Button type="submit" disabled={busy} iconId="fr-icon-send-plane-line">
        {busy ? "Envoi…" : visibility === "shared" ? "Ajouter et partager" : "Ajouter (interne)"}
      </Button>
    </form>
  );
}

/** The establishment answers the pole: always shared. */
export function ReplyForm({ incidentId, onAdded }: { incidentId: string; onAdded(): void }) {
  const [text, setText] = useState("");
  const { busy, error, setError, run } = useSubmission();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!text.trim()) return setError("Écrivez votre message.");
    await run(async () => {
      await api.post(`/incidents/${encodeURIComponent(incidentId)}/log`, {
        kind: "comment",
        text: text.trim(),
      });
      setText("");
      onAdded();
    });
  }

  return (
    <form onSubmit={submit} className="pris-inline-form" aria-label="Répondre au pôle">
      <Input
        label="Répondre ou compléter"
        hintText="Visible par le pôle cyber régional"
        textArea
        nativeTextAreaProps={{
          id: "reply-text",
          value: text,
          onChange: (e) => setText(e.target.value),
          maxLength: 10000,
          rows: 3,
        }}
      />
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      <Button type="submit" disabled={busy} iconId="fr-icon-send-plane-line" className="pris-block-button">
        {busy ? "Envoi…" : "Envoyer au pôle"}
      </Button>
    </form>
  );
}

/** The incident's tasks: who does what by when, and ticking them off. */
export function TasksPanel({
  incidentId,
  tasks,
  meId,
  tz,
  canWork,
  onChanged,
}: {
  incidentId: string;
  tasks: readonly Task[];
  meId: string;
  tz: string;
  canWork: boolean;
  onChanged(): void;
}) {
  const [title, setTitle] = useState("");
  const [dueAt, setDueAt] = useState("");
  const { busy, error, setError, run } = useSubmission();
  const base = `/incidents/${encodeURIComponent(incidentId)}/tasks`;

  async function add(e: FormEvent) {
    e.preventDefault();
    if (!title.trim()) return setError("Décrivez la tâche.");
    const due = dueAt ? fromZonedInputValue(dueAt, tz) : null;
    if (dueAt && !due) return setError("Échéance invalide.");
    await run(async () => {
      await api.post(base, {
        title: title.trim(),
        ownerUserId: meId,
        ...(due ? { dueAt: due.toISOString() } : {}),
      });
      setTitle("");
      setDueAt("");
      onChanged();
    });
  }

  async function done(task: Task) {
    await run(async () => {
      await api.post(`${base}/${task.id}/done`);
      onChanged();
    });
  }

  return (
    <>
      {tasks.length === 0 ? (
        <p className="pris-muted">Aucune tâche.</p>
      ) : (
        <ul className="pris-list-plain">
          {tasks.map((t) => (
            <li key={t.id} className="pris-task">
              <span className={t.doneAt ? "pris-done" : undefined}>{t.title}</span>
              <span className="pris-block fr-text--xs pris-muted">
                {t.owner ? t.owner.name : "Sans responsable"}
                {t.dueAt ? ` · avant le ${formatShort(t.dueAt, tz)}` : ""}
                {t.doneAt ? ` · faite le ${formatShort(t.doneAt, tz)}` : ""}
              </span>
              {!t.doneAt && canWork && (
                <Button
                  size="small"
                  priority="tertiary"
                  iconId="fr-icon-check-line"
                  onClick={() => void done(t)}
                >
                  Marquer comme faite
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canWork && (
        <form onSubmit={add} className="pris-inline-form" aria-label="Ajouter une tâche">
          <Input
            label="Nouvelle tâche (pour vous)"
            nativeInputProps={{ value: title, onChange: (e) => setTitle(e.target.value), maxLength: 500 }}
          />
          <Input
            label="Échéance (facultatif)"
            nativeInputProps={{
              type: "datetime-local",
              value: dueAt,
              onChange: (e) => setDueAt(e.target.value),
            }}
          />
          <Button type="submit" size="small" priority="secondary" iconId="fr-icon-add-line" disabled={busy}>
            Ajouter la tâche
          </Button>
        </form>
      )}
      {error && <Alert severity="error" small description={error} className="fr-mt-2w" />}
    </>
  );
}
