import type { InputHTMLAttributes, ReactNode, TextareaHTMLAttributes } from "react";

interface FieldProps {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  value: string;
  onValue(value: string): void;
  className?: string;
}

function FieldLabel({ id, label, hint }: Pick<FieldProps, "id" | "label" | "hint">) {
  return (
    <label className="fr-label" htmlFor={id}>
      {label}
      {hint && <span className="fr-hint-text">{hint}</span>}
    </label>
  );
}

/** A DSFR text input with its label and optional hint; the other attributes go to the input. */
export function TextField({
  id,
  label,
  hint,
  value,
  onValue,
  className,
  ...rest
}: FieldProps & Omit<InputHTMLAttributes<HTMLInputElement>, keyof FieldProps | "onChange">) {
  return (
    <div className="fr-input-group">
      <FieldLabel id={id} label={label} hint={hint} />
      <input
        id={id}
        className={className ? `fr-input ${className}` : "fr-input"}
        {...rest}
        value={value}
        onChange={(e) => onValue(e.target.value)}
      />
    </div>
  );
}

/** The same for a textarea. */
export function TextAreaField({
  id,
  label,
  hint,
  value,
  onValue,
  className,
  ...rest
}: FieldProps & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, keyof FieldProps | "onChange">) {
  return (
    <div className="fr-input-group">
      <FieldLabel id={id} label={label} hint={hint} />
      <textarea
        id={id}
        className={className ? `fr-input ${className}` : "fr-input"}
        {...rest}
        value={value}
        onChange={(e) => onValue(e.target.value)}
      />
    </div>
  );
}
