import { ApiProblem } from '../api/problem';

/** Designed states: loading, empty and error say what is happening and what to do. */
export function LoadingState({ label }: { label: string }) {
  return (
    <p className="state loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}…
    </p>
  );
}

export function EmptyState({ children }: { children: React.ReactNode }) {
  return <p className="state empty">{children}</p>;
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="state error" role="alert">
      <p>{describeError(error)}</p>
      {onRetry && <button type="button" onClick={onRetry}>Try again</button>}
    </div>
  );
}

export function describeError(error: unknown): string {
  if (error instanceof ApiProblem) {
    return error.requestId ? `${error.detail} (Request ${error.requestId}.)` : error.detail;
  }
  return 'Something went wrong. Try again in a moment.';
}

/** An error for one field, tied to it with aria-describedby (id = `${fieldId}-error`). */
export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <p className="field-error" id={id}>
      {message}
    </p>
  );
}

/** The problem an action failed with, next to that action; field messages are shown at their fields. */
export function ActionError({ error }: { error: unknown }) {
  if (!error) return null;
  const fieldsOnly = error instanceof ApiProblem && error.fieldErrors.size > 0 && error.slug === 'validation';
  return (
    <p className="action-error" role="alert">
      {fieldsOnly ? 'Some answers need fixing; see the messages next to them.' : describeError(error)}
    </p>
  );
}

/**
 * Next to a form's submit button: "fix the answers" when the form's own checks failed (`local`
 * holds their messages), else the API's refusal.
 */
export function FormError({ local, error }: { local: Readonly<Record<string, unknown>>; error: unknown }) {
  if (Object.keys(local).length > 0) {
    return <p className="action-error" role="alert">Some answers need fixing; see the messages next to them.</p>;
  }
  return <ActionError error={error} />;
}
