import type { ReactNode } from "react";

/**
 * A DSFR select with its label: the value each option stands for and what it reads. The value handed back
 * is the option's own (a number stays a number), not the select's string.
 */
export function SelectField<T extends string | number>({
  id,
  label,
  value,
  options,
  onChange,
  className,
}: {
  id: string;
  label: ReactNode;
  value: T;
  options: readonly (readonly [NoInfer<T>, ReactNode])[];
  onChange(value: NoInfer<T>): void;
  className?: string;
}) {
  return (
    <div className={className ? `fr-select-group ${className}` : "fr-select-group"}>
      <label className="fr-label" htmlFor={id}>
        {label}
      </label>
      <select
        id={id}
        className="fr-select"
        value={value}
        onChange={(e) => {
          const picked = options.find(([v]) => String(v) === e.target.value);
          if (picked) onChange(picked[0]);
        }}
      >
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Options from a list of values and their labels (an enum and its French names). */
export function labelled<T extends string>(values: readonly T[], labels: Record<T, ReactNode>) {
  return values.map((v) => [v, labels[v]] as const);
}

/** One `<option>` per value of an enum, reading its French label (or what `labels` makes of it). */
export function EnumOptions<T extends string>({
  values,
  labels,
}: {
  values: readonly T[];
  labels: Record<T, ReactNode> | ((value: T) => ReactNode);
}) {
  return values.map((v) => (
    <option key={v} value={v}>
      {typeof labels === "function" ? labels(v) : labels[v]}
    </option>
  ));
}
