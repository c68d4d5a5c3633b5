import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { formatWeekSpan, type OnCallNow, type OnCallSlot, WEEKDAY_NAMES } from "@pris/domain";
import { useState } from "react";
import { DataTable } from "../../../components/DataTable.tsx";
import { usePageTitle } from "../../../components/Layout.tsx";
import { LoadError } from "../../../components/LoadError.tsx";
import { formatLong } from "../../../lib/zoned-time.ts";
import { useApp } from "../../../session.tsx";
import { describeRosterProblem, slotsOfDay } from "./roster-text.ts";
import { type SlotDraft, SlotForm } from "./SlotForm.tsx";
import { useRoster } from "./use-roster.ts";

const capitalized = (s: string) => s[0]!.toUpperCase() + s.slice(1);

function person(p: { displayName: string; phone: string | null } | null) {
  if (!p) return "—";
  return p.phone ? `${p.displayName} (${p.phone})` : p.displayName;
}

/** Who the reminders go to at this moment, and until when. */
function NowPanel({ now, timeZone }: { now: OnCallNow; timeZone: string }) {
  const next = now.nextChange;
  return (
    <section className="fr-callout fr-mb-4w" aria-labelledby="roster-now">
      <h2 id="roster-now" className="fr-callout__title fr-h5">
        En ce moment
      </h2>
      {now.primary ? (
        <p className="fr-callout__text" data-testid="on-duty-now">
          D'astreinte : <strong>{person(now.primary)}</strong>
          {" — "}suppléant :{" "}
          {now.backup ? <strong>{person(now.backup)}</strong> : "aucun (tous les analystes sont alertés)"}
        </p>
      ) : (
        <p className="fr-callout__text" data-testid="on-duty-now">
          Personne n'est d'astreinte : les rappels vont à tous les analystes actifs du pôle.
        </p>
      )}
      {next && (
        <p className="fr-text--sm fr-mb-0">
          Prochain changement le {formatLong(next.at, timeZone)} :{" "}
          {next.slot ? `${next.slot.primary.displayName} prend l'astreinte.` : "plus personne d'astreinte."}
        </p>
      )}
    </section>
  );
}

/** The pole's weekly on-call rota: who is reminded of service levels, who is alerted when one is missed. */
export function RosterPage() {
  usePageTitle("Astreinte");
  const { config } = useApp();
  const { state, reload, create, update, remove } = useRoster();
  const [editing, setEditing] = useState<OnCallSlot | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  if (state.status === "loading") return <p className="fr-container fr-my-6w">Chargement…</p>;
  if (state.status === "error") {
    return (
      <div className="fr-container fr-my-6w">
        <h1>Astreinte</h1>
        <LoadError title="L'astreinte n'a pas pu être lue" message={state.message} retry={reload} />
      </div>
    );
  }
  const { slots, now, candidates } = state.data;

  async function submit(draft: SlotDraft) {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      if (editing) {
        await update(editing.id, draft);
        setDone(`Créneau du ${formatWeekSpan(draft)} enregistré.`);
        setEditing(null);
      } else {
        await create(draft);
        setDone(`Créneau du ${formatWeekSpan(draft)} ajouté.`);
      }
    } catch (err) {
      setError(describeRosterProblem(err, slots, { ...draft, exceptId: editing?.id }));
    } finally {
      setBusy(false);
    }
  }

  async function confirmDelete(slot: OnCallSlot) {
    setBusy(true);
    setError(null);
    try {
      await remove(slot.id);
      setDone(`Créneau du ${formatWeekSpan(slot)} supprimé.`);
    } catch (err) {
      setError(describeRosterProblem(err, slots, slot));
    } finally {
      setBusy(false);
      setConfirming(null);
    }
  }

  return (
    <div className="fr-container fr-my-4w">
      <h1>Astreinte du pôle</h1>
      <p>
        La semaine type de l'astreinte, en heure de {config.regionName}. L'analyste d'astreinte reçoit les
        rappels avant qu'un délai de prise en compte soit dépassé ; le suppléant est alerté quand il l'est.
        Hors créneau, tous les analystes actifs sont prévenus.
      </p>
      <NowPanel now={now} timeZone={config.timeZone} />
      {done && (
        <Alert
          severity="success"
          small
          description={done}
          className="fr-mb-2w"
          closable
          onClose={() => setDone(null)}
        />
      )}

      <h2 className="fr-h4">
        {editing ? `Modifier le créneau du ${formatWeekSpan(editing)}` : "Ajouter un créneau"}
      </h2>
      <SlotForm
        key={editing?.id ?? "new"}
        slot={editing ?? undefined}
        candidates={candidates}
        busy={busy}
        error={error}
        onSubmit={(d) => void submit(d)}
        onCancel={
          editing
            ? () => {
                setEditing(null);
                setError(null);
              }
            : undefined
        }
      />

      <h2 className="fr-h4">Semaine type</h2>
      {slots.length === 0 && <p>Aucun créneau : tous les analystes actifs reçoivent les rappels.</p>}
      {WEEKDAY_NAMES.map((name, day) => {
        const parts = slotsOfDay(slots, day);
        return (
          <section key={name} aria-labelledby={`day-${day}`} className="fr-mb-3w">
            <h3 id={`day-${day}`} className="fr-h6 fr-mb-1w">
              {capitalized(name)}
            </h3>
            {parts.length === 0 ? (
              <p className="pris-muted fr-text--sm">
                Aucun créneau ce jour : tous les analystes sont prévenus.
              </p>
            ) : (
              <DataTable
                caption={`Astreinte du ${name}`}
                className="fr-mb-0"
                headers={[
                  "Horaires",
                  "D'astreinte",
                  "Suppléant",
                  "Remarque",
                  { label: "Actions", hidden: true },
                ]}
                rows={parts.map(({ slot, hours, continued, continues }) => ({
                  key: slot.id,
                  cells: [
                    <>
                      {hours}
                      {continued && <div className="fr-text--xs">suite de la veille</div>}
                      {continues && (
                        <div className="fr-text--xs">jusqu'au {formatWeekSpan(slot).split(" – ")[1]}</div>
                      )}
                    </>,
                    person(slot.primary),
                    person(slot.backup),
                    slot.note ?? "",
                    continued ? null : confirming === slot.id ? (
                      <>
                        <Button
                          size="small"
                          disabled={busy}
                          onClick={() => void confirmDelete(slot)}
                          className="fr-mr-1w"
                        >
                          Confirmer la suppression
                        </Button>
                        <Button size="small" priority="secondary" onClick={() => setConfirming(null)}>
                          Garder
                        </Button>
                      </>
                    ) : (
                      <>
                        <Button
                          size="small"
                          priority="secondary"
                          className="fr-mr-1w"
                          onClick={() => {
                            setEditing(slot);
                            setError(null);
                            window.scrollTo(0, 0);
                          }}
                        >
                          Modifier
                        </Button>
                        <Button size="small" priority="tertiary" onClick={() => setConfirming(slot.id)}>
                          Supprimer
                        </Button>
                      </>
                    ),
                  ],
                }))}
              />
            )}
          </section>
        );
      })}
    </div>
  );
}
