import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Select } from "@codegouvfr/react-dsfr/Select";
import { OBSERVABLE_LABELS, OBSERVABLE_TYPES, type ObservableList, type ObservableType } from "@pris/domain";
import { type FormEvent, useState } from "react";
import { ApiError, api, describeProblem } from "../../api/client.ts";
import { EnumOptions } from "../SelectField.tsx";

type Item = ObservableList["items"][number];

function AddObservable({ incidentId, onAdded }: { incidentId: string; onAdded(): void }) {
  const [type, setType] = useState<ObservableType>("ipv4");
  const [value, setValue] = useState("");
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!value.trim()) return setMessage({ ok: false, text: "Saisissez une valeur." });
    setBusy(true);
    setMessage(null);
    try {
      const r = await api.post<{ added: unknown[]; duplicates: number }>(
        `/incidents/${encodeURIComponent(incidentId)}/observables`,
        {
          observables: [
            { type, value: value.trim(), ...(comment.trim() ? { comment: comment.trim() } : {}) },
          ],
        },
      );
      setMessage(
        r.added.length > 0
          ? { ok: true, text: "Indicateur ajouté." }
          : { ok: true, text: "Cet indicateur figurait déjà sur l'incident." },
      );
      setValue("");
      setComment("");
      onAdded();
    } catch (err) {
      const invalid =
        err instanceof ApiError &&
        err.status === 400 &&
        err.problem.errors?.some((x) => x.field.endsWith("/value"));
      setMessage({
        ok: false,
        text: invalid
          ? `Ce n'est pas une valeur valide pour « ${OBSERVABLE_LABELS[type]} ».`
          : describeProblem(err),
      });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="pris-inline-form" aria-label="Ajouter un indicateur">
      <div className="pris-observable-add">
        <Select
          label="Type"
          nativeSelectProps={{ value: type, onChange: (e) => setType(e.target.value as ObservableType) }}
        >
          <EnumOptions values={OBSERVABLE_TYPES} labels={OBSERVABLE_LABELS} />
        </Select>
        <Input
          label="Valeur"
          nativeInputProps={{
            value,
            onChange: (e) => setValue(e.target.value),
            maxLength: 2048,
            autoCapitalize: "off",
            autoCorrect: "off",
            spellCheck: false,
          }}
        />
      </div>
      <Input
        label="Commentaire (facultatif)"
        nativeInputProps={{ value: comment, onChange: (e) => setComment(e.target.value), maxLength: 500 }}
      />
      {message && (
        <Alert
          severity={message.ok ? "success" : "error"}
          small
          description={message.text}
          className="fr-mb-2w"
        />
      )}
      <Button type="submit" size="small" iconId="fr-icon-add-line" disabled={busy}>
        {busy ? "Ajout…" : "Ajouter l'indicateur"}
      </Button>
    </form>
  );
}

/** Observables with what the region knows of them: matches for the pole, a flag for the establishment. */
export function ObservablesPanel({
  incidentId,
  items,
  pole,
  canAdd,
  onChanged,
}: {
  incidentId: string;
  items: readonly Item[];
  pole: boolean;
  canAdd: boolean;
  onChanged(): void;
}) {
  return (
    <>
      {items.length === 0 ? (
        <p className="pris-muted">Aucun indicateur technique.</p>
      ) : (
        <ul className="pris-observable-list pris-list-plain">
          {items.map((o) => (
            <li key={o.id} className="fr-mb-2w">
              <span className="pris-muted">{OBSERVABLE_LABELS[o.type]}&nbsp;:</span>{" "}
              <code>{o.normalized}</code>
              {o.comment ? <span className="fr-text--sm pris-muted"> — {o.comment}</span> : null}
              {pole && o.matches ? (
                <>
                  {o.matches.incidents.map((m) => (
                    <span key={`${m.reference}-${m.how}`} className="pris-block fr-text--sm pris-match">
                      aussi dans {m.reference} ({m.establishment})
                      {m.how === "network" ? " — plage réseau commune" : ""}
                    </span>
                  ))}
                  {o.matches.products.map((p) => (
                    <span
                      key={`${p.establishment}-${p.vendor}-${p.product ?? ""}`}
                      className="pris-block fr-text--sm pris-match"
                    >
                      fournisseur déclaré : {p.vendor}
                      {p.product ? ` ${p.product}` : ""} chez {p.establishment}
                    </span>
                  ))}
                </>
              ) : o.seenElsewhere ? (
                <span className="pris-block">
                  <Badge as="span" small severity="warning">
                    Vu ailleurs dans la région
                  </Badge>
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {canAdd && <AddObservable incidentId={incidentId} onAdded={onChanged} />}
    </>
  );
}
