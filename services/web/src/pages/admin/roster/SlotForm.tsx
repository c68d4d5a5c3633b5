import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { formatMinuteOfDay, MINUTES_PER_DAY, type OnCallPerson, type OnCallSlot } from "@pris/domain";
import { type FormEvent, useState } from "react";
import { SelectField } from "../../../components/SelectField.tsx";
import { TextField } from "../../../components/TextField.tsx";
import { DAY_OPTIONS } from "./roster-text.ts";

export interface SlotDraft {
  startMinute: number;
  endMinute: number;
  primaryUserId: string;
  backupUserId: string | null;
  note: string | null;
}

const END_DAY_OPTIONS = [...DAY_OPTIONS, [7, "Lundi suivant (fin de semaine)"] as const];

function parseTime(value: string): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return minutes < MINUTES_PER_DAY ? minutes : null;
}

/** Adds a slot, or changes one: days of the week and hours in the region's zone, then the people. */
export function SlotForm({
  slot,
  candidates,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  slot?: OnCallSlot;
  candidates: OnCallPerson[];
  busy: boolean;
  error: string | null;
  onSubmit(draft: SlotDraft): void;
  onCancel?(): void;
}) {
  const id = slot ? `slot-${slot.id}` : "slot-new";
  const start = slot?.startMinute ?? 8 * 60;
  const end = slot?.endMinute ?? 18 * 60;
  const [startDay, setStartDay] = useState(Math.floor(start / MINUTES_PER_DAY));
  const [startTime, setStartTime] = useState(formatMinuteOfDay(start % MINUTES_PER_DAY));
  const [endDay, setEndDay] = useState(Math.floor(end / MINUTES_PER_DAY));
  const [endTime, setEndTime] = useState(formatMinuteOfDay(end % MINUTES_PER_DAY));
  const [primary, setPrimary] = useState(slot?.primary.id ?? candidates[0]?.id ?? "");
  const [backup, setBackup] = useState(slot?.backup?.id ?? "");
  const [note, setNote] = useState(slot?.note ?? "");
  const [local, setLocal] = useState<string | null>(null);

  const people = candidates.map((c) => [c.id, c.displayName] as const);
  // A person taken off the pole since stays readable in the slot that still names them.
  for (const p of [slot?.primary, slot?.backup]) {
    if (p && !people.some(([pid]) => pid === p.id)) people.push([p.id, `${p.displayName} (inactif)`]);
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const from = parseTime(startTime);
    const to = parseTime(endTime);
    if (from === null || to === null) return setLocal("Indiquez les heures au format HH:MM.");
    if (endDay === 7 && to !== 0) return setLocal("Un créneau s'arrête au plus tard le dimanche à minuit.");
    const startMinute = startDay * MINUTES_PER_DAY + from;
    const endMinute = endDay * MINUTES_PER_DAY + to;
    if (endMinute <= startMinute) return setLocal("La fin du créneau doit être après son début.");
    if (!primary) return setLocal("Choisissez l'analyste d'astreinte.");
    setLocal(null);
    onSubmit({
      startMinute,
      endMinute,
      primaryUserId: primary,
      backupUserId: backup || null,
      note: note.trim() || null,
    });
  };

  return (
    <form
      onSubmit={submit}
      className="fr-mb-3w"
      aria-label={slot ? "Modifier le créneau" : "Ajouter un créneau"}
    >
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-6 fr-col-md-3">
          <SelectField
            id={`${id}-start-day`}
            label="Jour de début"
            value={startDay}
            options={DAY_OPTIONS}
            onChange={setStartDay}
          />
        </div>
        <div className="fr-col-6 fr-col-md-3">
          <TextField
            id={`${id}-start-time`}
            label="Heure de début"
            type="time"
            value={startTime}
            onValue={setStartTime}
            required
          />
        </div>
        <div className="fr-col-6 fr-col-md-3">
          <SelectField
            id={`${id}-end-day`}
            label="Jour de fin"
            value={endDay}
            options={END_DAY_OPTIONS}
            onChange={setEndDay}
          />
        </div>
        <div className="fr-col-6 fr-col-md-3">
          <TextField
            id={`${id}-end-time`}
            label="Heure de fin"
            type="time"
            value={endTime}
            onValue={setEndTime}
            required
          />
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <SelectField
            id={`${id}-primary`}
            label="Analyste d'astreinte"
            value={primary}
            options={[["", "— Choisir —"], ...people]}
            onChange={setPrimary}
          />
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <SelectField
            id={`${id}-backup`}
            label="Suppléant (alerté si un délai est dépassé)"
            value={backup}
            options={[["", "Aucun"], ...people]}
            onChange={setBackup}
          />
        </div>
        <div className="fr-col-12 fr-col-md-4">
          <TextField
            id={`${id}-note`}
            label="Remarque (facultatif)"
            value={note}
            onValue={setNote}
            maxLength={500}
          />
        </div>
      </div>
      {(local ?? error) && (
        <Alert severity="error" small description={local ?? error ?? ""} className="fr-mb-2w" />
      )}
      <Button type="submit" disabled={busy} className="fr-mr-2w">
        {slot ? "Enregistrer le créneau" : "Ajouter le créneau"}
      </Button>
      {onCancel && (
        <Button type="button" priority="secondary" onClick={onCancel}>
          Annuler
        </Button>
      )}
    </form>
  );
}
