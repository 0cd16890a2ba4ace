import type { ReactNode } from 'react';

export interface FieldProps {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly error?: string;
  readonly warning?: string;
  readonly hint?: ReactNode;
  readonly disabled?: boolean;
  readonly inputMode?: 'numeric' | 'decimal' | 'text';
  readonly placeholder?: string;
}

/** A labelled text field with its error (or advice) right under it, announced to screen readers. */
export function Field({ id, label, value, onChange, error, warning, hint, disabled, inputMode = 'numeric', placeholder }: FieldProps) {
  const noteId = `${id}-note`;
  const note = error ?? warning;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        inputMode={inputMode}
        value={value}
        placeholder={placeholder}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={note || hint ? noteId : undefined}
        onChange={(e) => onChange(e.target.value)}
        spellCheck={false}
        autoComplete="off"
      />
      <span id={noteId} className={error ? 'field-note error-text' : warning ? 'field-note warn-text' : 'field-note muted'} role={error ? 'alert' : undefined}>
        {note ?? hint ?? '\u00a0'}
      </span>
    </div>
  );
}
