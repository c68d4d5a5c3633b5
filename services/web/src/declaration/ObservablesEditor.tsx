import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Select } from "@codegouvfr/react-dsfr/Select";
import { normalizeObservable, OBSERVABLE_LABELS, OBSERVABLE_TYPES, type ObservableType } from "@pris/domain";
import { useState } from "react";
import { EnumOptions } from "../components/SelectField.tsx";
import { type FormErrors, newObservableRow, type ObservableRow, observableError } from "./form.ts";
import { OBSERVABLE_PLACEHOLDERS } from "./observable-messages.ts";

/**
 * Rows of type + value. Each value is checked with the same normaliser the server uses, once the
 * field is left (not while typing an address half-way), then live as it is corrected.
 */
export function ObservablesEditor(props: {
  rows: ObservableRow[];
  errors: FormErrors;
  showAllErrors: boolean;
  onChange(rows: ObservableRow[]): void;
}) {
  const { rows, onChange } = props;
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());

  const patch = (key: string, change: Partial<ObservableRow>) =>
    onChange(rows.map((r) => (r.key === key ? { ...r, ...change } : r)));

  function add() {
    const row = newObservableRow(rows.at(-1)?.type ?? "ipv4");
    onChange([...rows, row]);
    // Let the row render, then put the cursor in its value.
    requestAnimationFrame(() => document.getElementById(`field-observables.${row.key}`)?.focus());
  }

  function remove(index: number) {
    const next = rows.filter((_, i) => i !== index);
    onChange(next);
    requestAnimationFrame(() => {
      const target = next[Math.min(index, next.length - 1)];
      document.getElementById(target ? `field-observables.${target.key}` : "observables-add")?.focus();
    });
  }

  return (
    <div>
      {rows.length === 0 && (
        <p className="fr-text--sm pris-muted">
          Aucun indicateur pour l'instant. Cette partie est facultative.
        </p>
      )}
      <ol className="pris-observables">
        {rows.map((row, i) => {
          const live = observableError(row);
          const shown = touched.has(row.key) || props.showAllErrors ? live : null;
          const message = shown ?? props.errors[`observables.${row.key}`] ?? null;
          const normalized =
            !live && row.value.trim() !== "" ? normalizeObservable(row.type, row.value) : null;
          const canonical = normalized && "value" in normalized ? normalized.value : null;
          return (
            <li key={row.key} className="pris-observable">
              <p className="fr-text--bold fr-mb-1w">Indicateur {i + 1}</p>
              <Select
                label="Type"
                nativeSelectProps={{
                  id: `observable-type-${row.key}`,
                  value: row.type,
                  onChange: (e) => patch(row.key, { type: e.target.value as ObservableType }),
                }}
              >
                <EnumOptions values={OBSERVABLE_TYPES} labels={OBSERVABLE_LABELS} />
              </Select>
              <Input
                label="Valeur"
                state={
                  message ? "error" : canonical && canonical !== row.value.trim() ? "success" : "default"
                }
                stateRelatedMessage={message ?? (canonical ? `Reconnu : ${canonical}` : undefined)}
                nativeInputProps={{
                  id: `field-observables.${row.key}`,
                  value: row.value,
                  placeholder: OBSERVABLE_PLACEHOLDERS[row.type],
                  autoCapitalize: "none",
                  autoCorrect: "off",
                  spellCheck: false,
                  "aria-invalid": message ? true : undefined,
                  onChange: (e) => patch(row.key, { value: e.target.value }),
                  onBlur: () => setTouched((t) => new Set(t).add(row.key)),
                }}
              />
              <Button
                type="button"
                priority="tertiary"
                size="small"
                iconId="fr-icon-delete-line"
                onClick={() => remove(i)}
                nativeButtonProps={{ "aria-label": `Retirer l'indicateur ${i + 1}` }}
              >
                Retirer
              </Button>
            </li>
          );
        })}
      </ol>
      <Button
        type="button"
        id="observables-add"
        priority="secondary"
        iconId="fr-icon-add-line"
        onClick={add}
        disabled={rows.length >= 500}
      >
        Ajouter un indicateur
      </Button>
    </div>
  );
}
