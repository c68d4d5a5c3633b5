import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Select } from "@codegouvfr/react-dsfr/Select";
import {
  INCIDENT_ACTION_LABELS,
  type Incident,
  type IncidentAction,
  type IncidentSummary,
  type QualificationPatch,
  RSIT_CLASSES,
  RSIT_UNDETERMINED,
  SEVERITIES,
  SEVERITY_LABELS,
  type Severity,
  TLP_LABELS,
  type Tlp,
  type TransitionRequest,
} from "@pris/domain";
import { type FormEvent, type ReactNode, useState } from "react";
import { ApiError, api, describeProblem } from "../../api/client.ts";
import { fromZonedInputValue, toZonedInputValue } from "../../lib/zoned-time.ts";
import { EnumOptions } from "../SelectField.tsx";

/** Actions taken with one tap; the others need a few words first. */
const DIRECT: readonly IncidentAction[] = [
  "acknowledge",
  "investigate",
  "contain",
  "recover",
  "monitor",
  "resume",
];
const FORWARD_ORDER: readonly IncidentAction[] = [
  "acknowledge",
  "investigate",
  "contain",
  "recover",
  "monitor",
  "resume",
  "close",
  "reopen",
];

function Field({ children }: { children: ReactNode }) {
  return <div className="fr-mb-1w">{children}</div>;
}

function RsitPicker({
  rsitClass,
  rsitType,
  onChange,
  excludeUndetermined,
  idPrefix,
}: {
  rsitClass: string;
  rsitType: string;
  onChange(cls: string, type: string): void;
  excludeUndetermined?: boolean;
  idPrefix: string;
}) {
  const cls = RSIT_CLASSES.find((c) => c.value === rsitClass);
  const types = (cls?.types ?? []).filter(
    (t) =>
      !(excludeUndetermined && rsitClass === RSIT_UNDETERMINED.class && t.value === RSIT_UNDETERMINED.type),
  );
  return (
    <>
      <Select
        label="Classe RSIT"
        nativeSelectProps={{
          id: `${idPrefix}-rsitClass`,
          value: rsitClass,
          onChange: (e) => {
            const next = RSIT_CLASSES.find((c) => c.value === e.target.value);
            onChange(e.target.value, next?.types[0]?.value ?? "");
          },
        }}
      >
        {RSIT_CLASSES.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </Select>
      <Select
        label="Type RSIT"
        nativeSelectProps={{
          id: `${idPrefix}-rsitType`,
          value: rsitType,
          onChange: (e) => onChange(rsitClass, e.target.value),
        }}
      >
        {types.map((t) => (
          <option key={t.value} value={t.value}>
            {t.label}
          </option>
        ))}
      </Select>
    </>
  );
}

function ActionForm({
  incident,
  action,
  tz,
  note,
  onDone,
  onCancel,
}: {
  incident: Incident;
  action: IncidentAction;
  tz: string;
  /** The word for the main courante typed above the buttons. */
  note: string;
  onDone(): void;
  onCancel(): void;
}) {
  const undetermined =
    incident.rsitClass === RSIT_UNDETERMINED.class && incident.rsitType === RSIT_UNDETERMINED.type;
  const [reason, setReason] = useState("");
  const [followUp, setFollowUp] = useState(() => toZonedInputValue(new Date(Date.now() + 86_400_000), tz));
  const [mergeRef, setMergeRef] = useState("");
  const [rsit, setRsit] = useState(() =>
    undetermined
      ? { cls: RSIT_CLASSES[0]!.value as string, type: RSIT_CLASSES[0]!.types[0]!.value as string }
      : { cls: incident.rsitClass as string, type: incident.rsitType as string },
  );
  const [rootCause, setRootCause] = useState("");
  const [measures, setMeasures] = useState(incident.measuresTaken ?? "");
  const [lessons, setLessons] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    let body: TransitionRequest;
    switch (action) {
      case "wait_establishment":
      case "wait_third_party": {
        const at = fromZonedInputValue(followUp, tz);
        if (!at || at.getTime() <= Date.now()) return setError("La date de relance doit être dans le futur.");
        body = { action, followUpAt: at.toISOString(), ...(reason.trim() ? { reason: reason.trim() } : {}) };
        break;
      }
      case "reject":
      case "reopen":
        if (!reason.trim()) return setError("Indiquez le motif.");
        body = { action, reason: reason.trim() };
        break;
      case "merge": {
        const wanted = mergeRef.trim().toUpperCase();
        if (!wanted) return setError("Indiquez la référence de l'incident à conserver.");
        try {
          const found = await api.get<{ items: IncidentSummary[] }>(
            `/incidents?q=${encodeURIComponent(wanted)}&limit=10`,
          );
          const target = found.items.find((i) => i.reference.toUpperCase() === wanted);
          if (!target) return setError(`Aucun incident ${wanted} parmi ceux que vous pouvez voir.`);
          body = { action, mergeInto: target.id };
        } catch (err) {
          return setError(describeProblem(err));
        }
        break;
      }
      case "close":
        if (!rootCause.trim() || !measures.trim() || !lessons.trim()) {
          return setError("La clôture demande la cause, les mesures et les enseignements.");
        }
        body = {
          action,
          closure: {
            rsitClass: rsit.cls as never,
            rsitType: rsit.type as never,
            rootCause: rootCause.trim(),
            measures: measures.trim(),
            lessons: lessons.trim(),
          },
        };
        break;
      default:
        body = { action } as TransitionRequest;
    }
    if (note.trim()) body = { ...body, note: note.trim() } as TransitionRequest;
    setBusy(true);
    setError(null);
    try {
      await api.post(`/incidents/${encodeURIComponent(incident.id)}/transitions`, body);
      onDone();
    } catch (err) {
      setError(describeProblem(err));
    } finally {
      setBusy(false);
    }
  }

  const textArea = (label: string, value: string, set: (v: string) => void, id: string, hint?: string) => (
    <Input
      label={label}
      hintText={hint}
      textArea
      nativeTextAreaProps={{ id, value, onChange: (e) => set(e.target.value), maxLength: 10000, rows: 3 }}
    />
  );

  return (
    <form onSubmit={submit} className="pris-inline-form" aria-label={INCIDENT_ACTION_LABELS[action]}>
      <h3 className="fr-h6 fr-mb-1w">{INCIDENT_ACTION_LABELS[action]}</h3>
      {(action === "wait_establishment" || action === "wait_third_party") && (
        <>
          <Input
            label="Relancer le"
            hintText="Vous serez rappelé à cette date"
            nativeInputProps={{
              id: "action-followUpAt",
              type: "datetime-local",
              value: followUp,
              onChange: (e) => setFollowUp(e.target.value),
            }}
          />
          {textArea("Ce qui est attendu (facultatif)", reason, setReason, "action-reason")}
        </>
      )}
      {(action === "reject" || action === "reopen") && textArea("Motif", reason, setReason, "action-reason")}
      {action === "merge" && (
        <Input
          label="Référence de l'incident à conserver"
          hintText="Par exemple REU-2026-0007"
          nativeInputProps={{
            id: "action-mergeInto",
            value: mergeRef,
            onChange: (e) => setMergeRef(e.target.value),
          }}
        />
      )}
      {action === "close" && (
        <>
          <p className="fr-text--sm">Synthèse de clôture : classification finale et retour d'expérience.</p>
          <RsitPicker
            idPrefix="closure"
            rsitClass={rsit.cls}
            rsitType={rsit.type}
            excludeUndetermined
            onChange={(cls, type) => setRsit({ cls, type })}
          />
          {textArea("Cause racine", rootCause, setRootCause, "closure-rootCause")}
          {textArea(
            "Mesures prises",
            measures,
            setMeasures,
            "closure-measures",
            "Endiguement, remédiation, prévention",
          )}
          {textArea("Enseignements", lessons, setLessons, "closure-lessons")}
        </>
      )}
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">
        <li>
          <Button type="submit" disabled={busy}>
            {busy ? "Envoi…" : `Confirmer : ${INCIDENT_ACTION_LABELS[action]}`}
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

/** The lifecycle actions the API allows now, as buttons; those that need words open a form. */
export function ActionsPanel({
  incident,
  tz,
  onChanged,
}: {
  incident: Incident;
  tz: string;
  onChanged(): void;
}) {
  const [open, setOpen] = useState<IncidentAction | null>(null);
  const [busy, setBusy] = useState<IncidentAction | null>(null);
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const allowed = incident.allowedActions;
  const main = FORWARD_ORDER.find((a) => allowed.includes(a));

  async function direct(action: IncidentAction) {
    setBusy(action);
    setError(null);
    try {
      await api.post(`/incidents/${encodeURIComponent(incident.id)}/transitions`, {
        action,
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      setNote("");
      onChanged();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        setError("L'incident a changé entre-temps : la page est à jour, vérifiez puis recommencez.");
        onChanged();
      } else setError(describeProblem(err));
    } finally {
      setBusy(null);
    }
  }

  if (allowed.length === 0) return <p className="pris-muted">Aucune action possible sur cet incident.</p>;
  const ordered = [...allowed].sort((a, b) => {
    const rank = (x: IncidentAction) => (FORWARD_ORDER.includes(x) ? FORWARD_ORDER.indexOf(x) : 50);
    return rank(a) - rank(b);
  });
  return (
    <>
      <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm pris-actions">
        {ordered.map((a) => (
          <li key={a}>
            <Button
              priority={a === main ? "primary" : a === "reject" || a === "merge" ? "tertiary" : "secondary"}
              disabled={busy !== null}
              aria-expanded={DIRECT.includes(a) ? undefined : open === a}
              onClick={() => (DIRECT.includes(a) ? void direct(a) : setOpen(open === a ? null : a))}
            >
              {busy === a ? "Envoi…" : INCIDENT_ACTION_LABELS[a]}
            </Button>
          </li>
        ))}
      </ul>
      <Input
        label="Mot joint à l'action (facultatif)"
        hintText="Inscrit à la main courante et lu par l'établissement"
        className="fr-mt-2w fr-mb-1w"
        nativeInputProps={{
          id: "action-note",
          value: note,
          onChange: (e) => setNote(e.target.value),
          maxLength: 5000,
        }}
      />
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      {open && allowed.includes(open) && (
        <ActionForm
          key={open}
          incident={incident}
          action={open}
          tz={tz}
          note={note}
          onCancel={() => setOpen(null)}
          onDone={() => {
            setOpen(null);
            setNote("");
            onChanged();
          }}
        />
      )}
    </>
  );
}

/** Severity (a change states why; P1 opens the crisis cell), RSIT classification and TLP. */
export function QualificationForm({ incident, onChanged }: { incident: Incident; onChanged(): void }) {
  const [severity, setSeverity] = useState<Severity>(incident.severity);
  const [reason, setReason] = useState("");
  const [rsit, setRsit] = useState({ cls: incident.rsitClass as string, type: incident.rsitType as string });
  const [tlp, setTlp] = useState<Tlp>(incident.tlp);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const severityChanges = severity !== incident.severity;

  async function submit(e: FormEvent) {
    e.preventDefault();
    const patch: QualificationPatch = {};
    if (severityChanges) {
      if (!reason.trim()) return setMessage({ ok: false, text: "Indiquez pourquoi la gravité change." });
      patch.severity = severity;
      patch.reason = reason.trim();
    }
    if (rsit.cls !== incident.rsitClass) patch.rsitClass = rsit.cls as never;
    if (rsit.type !== incident.rsitType) patch.rsitType = rsit.type as never;
    if (tlp !== incident.tlp) patch.tlp = tlp;
    if (Object.keys(patch).length === 0) return setMessage({ ok: false, text: "Rien n'a changé." });
    setBusy(true);
    setMessage(null);
    try {
      await api.patch(`/incidents/${encodeURIComponent(incident.id)}/qualification`, patch);
      setReason("");
      setMessage({
        ok: true,
        text:
          patch.severity === "P1" && !incident.crisisCell
            ? "Qualification enregistrée : cellule de crise ouverte, la task force et l'ARS sont alertées."
            : "Qualification enregistrée.",
      });
      onChanged();
    } catch (err) {
      setMessage({ ok: false, text: describeProblem(err) });
    } finally {
      setBusy(false);
    }
  }

  async function openCrisisCell() {
    setBusy(true);
    setMessage(null);
    try {
      await api.patch(`/incidents/${encodeURIComponent(incident.id)}/qualification`, { severity: "P1" });
      setMessage({
        ok: true,
        text: "Cellule de crise ouverte : la task force et l'ARS sont alertées par courriel.",
      });
      onChanged();
    } catch (err) {
      setMessage({ ok: false, text: describeProblem(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label="Qualifier l'incident">
      {incident.severity === "P1" && !incident.crisisCell && (
        <div className="fr-mb-2w">
          <Alert
            severity="warning"
            small
            className="fr-mb-1w"
            description="Incident déclaré en P1 : confirmez-le pour ouvrir la cellule de crise et mobiliser la task force (courriel à la task force et à l'ARS)."
          />
          <Button
            type="button"
            iconId="fr-icon-alarm-warning-line"
            disabled={busy}
            onClick={() => void openCrisisCell()}
          >
            Confirmer P1 et ouvrir la cellule de crise
          </Button>
        </div>
      )}
      <Field>
        <Select
          label="Gravité"
          hint={`Suggérée à la déclaration : ${incident.severitySuggested}`}
          nativeSelectProps={{
            id: "qualify-severity",
            value: severity,
            onChange: (e) => setSeverity(e.target.value as Severity),
          }}
        >
          <EnumOptions values={SEVERITIES} labels={SEVERITY_LABELS} />
        </Select>
      </Field>
      {severityChanges && (
        <>
          {severity === "P1" && !incident.crisisCell && (
            <Alert
              severity="warning"
              small
              className="fr-mb-2w"
              description="Passer en P1 ouvre la cellule de crise : la task force et l'ARS sont alertées par courriel."
            />
          )}
          <Input
            label="Motif du changement de gravité"
            textArea
            nativeTextAreaProps={{
              id: "qualify-reason",
              value: reason,
              onChange: (e) => setReason(e.target.value),
              maxLength: 2000,
              rows: 2,
            }}
          />
        </>
      )}
      <RsitPicker
        idPrefix="qualify"
        rsitClass={rsit.cls}
        rsitType={rsit.type}
        onChange={(cls, type) => setRsit({ cls, type })}
      />
      <Select
        label="TLP"
        nativeSelectProps={{ id: "qualify-tlp", value: tlp, onChange: (e) => setTlp(e.target.value as Tlp) }}
      >
        <EnumOptions values={TLP_LABELS} labels={(t) => `TLP:${t}`} />
      </Select>
      {message && (
        <Alert
          severity={message.ok ? "success" : "error"}
          small
          description={message.text}
          className="fr-mb-2w"
        />
      )}
      <Button type="submit" disabled={busy}>
        {busy ? "Enregistrement…" : "Enregistrer la qualification"}
      </Button>
    </form>
  );
}
