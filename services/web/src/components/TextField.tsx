import type { ChangeEvent, InputHTMLAttributes, ReactNode, TextareaHTMLAttributes } from "react";

interface FieldProps {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  value: string;
  onValue(value: string): void;
  className?: string;
}
type InputProps = FieldProps & { textArea?: false } & Omit<
    InputHTMLAttributes<HTMLInputElement>,
    keyof FieldProps | "onChange"
  >;
type TextAreaProps = FieldProps & { textArea: true } & Omit<
    TextareaHTMLAttributes<HTMLTextAreaElement>,
    keyof FieldProps | "onChange"
  >;

/**
 * A DSFR input group: the label, its optional hint, then an input (or, with `textArea`, a textarea).
 * The other attributes go to the control.
 */
export function TextField(props: InputProps | TextAreaProps) {
  const { id, label, hint, value, onValue, className, textArea, ...rest } = props;
  const control = {
    id,
    className: className ? `fr-input ${className}` : "fr-input",
    value,
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => onValue(e.target.value),
  };
  return (
    <div className="fr-input-group">
      <label className="fr-label" htmlFor={id}>
        {label}
        {hint && <span className="fr-hint-text">{hint}</span>}
      </label>
      {textArea ? (
        <textarea {...(rest as TextareaHTMLAttributes<HTMLTextAreaElement>)} {...control} />
      ) : (
        <input {...(rest as InputHTMLAttributes<HTMLInputElement>)} {...control} />
      )}
    </div>
  );
}
