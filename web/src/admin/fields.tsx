import type { InputHTMLAttributes, ReactNode } from 'react';
import { ApiProblem } from '../api/problem';
import { FieldError } from '../components/States';

/**
 * The message for one field: the form's own check first, then the API's for that body path (or
 * one inside it, e.g. capabilities.bariatric under capabilities).
 */
export function fieldMessage(local: Record<string, string>, error: unknown, path: string): string | undefined {
  if (local[path]) return local[path];
  if (!(error instanceof ApiProblem)) return undefined;
  const exact = error.field(path);
  if (exact) return exact;
  for (const [where, message] of error.fieldErrors) if (where.startsWith(`${path}.`)) return message;
  return undefined;
}

/** A labelled input with its hint and error tied to it (aria-describedby), as every form here shows them. */
export function TextField({ id, label, message, hint, className, ...input }: {
  id: string;
  label: ReactNode;
  message: string | undefined;
  hint?: ReactNode;
  className?: string;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'id'>) {
  const describedBy = [hint ? `${id}-hint` : '', message ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={message ? true : undefined} aria-describedby={describedBy || undefined} {...input} />
      {hint && <p className="hint" id={`${id}-hint`}>{hint}</p>}
      <FieldError id={`${id}-error`} message={message} />
    </div>
  );
}

/** A labelled checkbox, with the API's message for it when it has one. */
export function CheckField({ id, label, checked, onChange, message, hint }: {
  id: string;
  label: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
  message?: string;
  hint?: ReactNode;
}) {
  const describedBy = [hint ? `${id}-hint` : '', message ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label className="choice">
        <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)}
          aria-invalid={message ? true : undefined} aria-describedby={describedBy || undefined} />
        {label}
      </label>
      {hint && <p className="hint" id={`${id}-hint`}>{hint}</p>}
      <FieldError id={`${id}-error`} message={message} />
    </div>
  );
}

/** Empty strings are "not given": the API's optional fields are absent, not blank. */
export function optional(value: string): string | undefined {
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** For a PATCH of an optional field: null clears it. */
export function nullable(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}
