import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { RadioButtons } from "@codegouvfr/react-dsfr/RadioButtons";
import type { ClockKind, ClockRecord, ClockView } from "@pris/domain";
import { type FormEvent, useState } from "react";
import { api } from "../../api/client.ts";
import { countdown } from "../../lib/countdown.ts";
import { useSubmission } from "../../lib/use-submission.ts";
import { formatLong, fromZonedInputValue, toZonedInputValue } from "../../lib/zoned-time.ts";
import { ClockStateBadge } from "../badges.tsx";

const AUTHORITIES: Record<ClockKind, string> = {
  national_portal: "CERT Santé / portail de signalement des incidents",
  gdpr_cnil: "CNIL",
  nis2_early_warning: "ANSSI / CSIRT",
  nis2_notification: "ANSSI / CSIRT",
  nis2_final_report: "ANSSI / CSIRT",
};

function ClockForm({
  incidentId,
  clock,
  tz,
  onDone,
  onCancel,
}: {
  incidentId: string;
  clock: ClockView;
  tz: string;
  onDone(): void;
  onCancel(): void;
}) {
  const [doneAt, setDoneAt] = useState(() => toZonedInputValue(new Date(), tz));
  const [authority, setAuthority] = useState(clock.authority ?? AUTHORITIES[clock.kind]);
  const [reference, setReference] = useState(clock.reference ?? "");
  const [note, setNote] = useState("");
  const [lateReason, setLateReason] = useState(clock.lateReason ?? "");
  const [report, setReport] = useState<"final" | "progress">("final");
  const { busy, error, setError, run } = useSubmission();
  const when = fromZonedInputValue(doneAt, tz);
  const late = when !== null && when.getTime() > new Date(clock.dueAt).getTime();
  const prefix = `clock-${clock.kind}`;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!when) return setError("Indiquez la date et l'heure.");
    if (when.getTime() > Date.now() + 60_000) return setError("La date ne peut pas être dans le futur.");
    if (!authority.trim()) return setError("Indiquez à qui la déclaration a été faite.");
    if (late && !lateReason.trim()) return setError("Hors délai : indiquez le motif du retard.");
    const body: ClockRecord = { doneAt: when.toISOString(), authority: authority.trim() };
    if (reference.trim()) body.reference = reference.trim();
    if (note.trim()) body.note = note.trim();
    if (late) body.lateReason = lateReason.trim();
    if (clock.kind === "nis2_final_report") body.report = report;
    await run(async () => {
      await api.post(`/incidents/${encodeURIComponent(incidentId)}/clocks/${clock.kind}`, body);
      onDone();
    });
  }

  return (
    <form onSubmit={submit} className="pris-inline-form" aria-label={`Enregistrer : ${clock.label}`}>
      <Input
        label="Fait le"
        hintText={`Heure de la région (${tz})`}
        nativeInputProps={{
          id: `${prefix}-doneAt`,
          type: "datetime-local",
          value: doneAt,
          onChange: (e) => setDoneAt(e.target.value),
          required: true,
        }}
      />
      <Input
        label="Auprès de"
        nativeInputProps={{
          id: `${prefix}-authority`,
          value: authority,
          onChange: (e) => setAuthority(e.target.value),
          maxLength: 200,
          required: true,
        }}
      />
      <Input
        label="Référence donnée (facultatif)"
        nativeInputProps={{
          id: `${prefix}-reference`,
          value: reference,
          onChange: (e) => setReference(e.target.value),
          maxLength: 200,
        }}
      />
      {clock.kind === "nis2_final_report" && (
        <RadioButtons
          legend="Rapport"
          small
          orientation="horizontal"
          options={[
            {
              label: "Rapport final",
              nativeInputProps: { checked: report === "final", onChange: () => setReport("final") },
            },
            {
              label: "Rapport intermédiaire (incident en cours)",
              nativeInputProps: { checked: report === "progress", onChange: () => setReport("progress") },
            },
          ]}
        />
      )}
      {late && (
        <Input
          label="Motif du retard"
          hintText="Obligatoire après l'échéance (RGPD art. 33)"
          textArea
          state={error && !lateReason.trim() ? "error" : "default"}
          nativeTextAreaProps={{
            id: `${prefix}-lateReason`,
            value: lateReason,
            onChange: (e) => setLateReason(e.target.value),
            maxLength: 2000,
            rows: 2,
          }}
        />
      )}
      <Input
        label="Note (facultatif)"
        textArea
        nativeTextAreaProps={{
          value: note,
          onChange: (e) => setNote(e.target.value),
          maxLength: 2000,
          rows: 2,
        }}
      />
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">
        <li>
          <Button type="submit" disabled={busy}>
            {busy ? "Enregistrement…" : "Enregistrer"}
          </Button>
        </li>
        <li>
          <Button type="button" priority="tertiary" onClick={onCancel}>
            Annuler
          </Button>
        </li>
      </ul>
    </form>
  );
}

/** One regulatory clock: its countdown or when it was done, and recording it. */
export function ClockItem({
  incidentId,
  clock: c,
  tz,
  now,
  canRecord,
  onChanged,
}: {
  incidentId: string;
  clock: ClockView;
  tz: string;
  now: number;
  canRecord: boolean;
  onChanged(): void;
}) {
  const [open, setOpen] = useState(false);
  const left = countdown(c.dueAt, now);
  return (
    <li className={`pris-clock pris-clock--${c.state}`} data-clock={c.kind}>
      <p className="fr-text--bold fr-mb-1v">
        {c.label} <ClockStateBadge state={c.state} />
      </p>
      {c.doneAt ? (
        <p className="fr-mb-1v fr-text--sm">
          Fait le {formatLong(c.doneAt, tz)}
          {c.authority ? ` auprès de ${c.authority}` : ""}
          {c.reference ? ` — référence ${c.reference}` : ""}
          {c.lateReason ? <span className="pris-block">Motif du retard : {c.lateReason}</span> : null}
        </p>
      ) : (
        <p className="fr-mb-1v fr-text--sm">
          Délai {c.deadline} : avant le {formatLong(c.dueAt, tz)}
          {c.provisional ? " (date provisoire)" : ""} —{" "}
          <strong className={left.overdue ? "pris-overdue" : undefined}>
            {left.overdue ? `échéance ${left.text}` : left.text}
          </strong>
        </p>
      )}
      <p className="fr-text--xs pris-muted fr-mb-1v">{c.basis}</p>
      {canRecord &&
        (open ? (
          <ClockForm
            incidentId={incidentId}
            clock={c}
            tz={tz}
            onCancel={() => setOpen(false)}
            onDone={() => {
              setOpen(false);
              onChanged();
            }}
          />
        ) : (
          <Button
            size="small"
            priority={c.doneAt ? "tertiary" : "secondary"}
            iconId="fr-icon-edit-line"
            onClick={() => setOpen(true)}
          >
            {c.doneAt ? "Corriger" : "Enregistrer la déclaration"}
          </Button>
        ))}
    </li>
  );
}

/** The regulatory clocks, with their countdowns, and recording one when it is done. */
export function ClockPanel({
  incidentId,
  clocks,
  tz,
  now,
  canRecord,
  onChanged,
}: {
  incidentId: string;
  clocks: readonly ClockView[];
  tz: string;
  now: number;
  canRecord: boolean;
  onChanged(): void;
}) {
  if (clocks.length === 0) return <p>Aucune échéance réglementaire ne s'applique pour l'instant.</p>;
  return (
    <ul className="pris-clocks">
      {clocks.map((c) => (
        <ClockItem
          key={c.kind}
          incidentId={incidentId}
          clock={c}
          tz={tz}
          now={now}
          canRecord={canRecord}
          onChanged={onChanged}
        />
      ))}
    </ul>
  );
}
