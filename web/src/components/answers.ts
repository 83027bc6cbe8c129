import { useState } from 'react';

/**
 * A form's message for each answer, and the attributes that tie it to its input (ids are
 * `${id}-${field}`, `-hint`, `-error`): the form's own check first, then the API's refusal about
 * that answer until the answer changes, when it no longer applies.
 */
export function useAnswerMessages<Field extends string>(id: string, apiMessage: (field: Field) => string | undefined) {
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [edited, setEdited] = useState<ReadonlySet<Field>>(new Set());

  const messageFor = (field: Field): string | undefined => errors[field] ?? (edited.has(field) ? undefined : apiMessage(field));

  const described = (field: Field, hint = false) => {
    const message = messageFor(field);
    const ids = [hint ? `${id}-${field}-hint` : '', message ? `${id}-${field}-error` : ''].filter(Boolean).join(' ');
    return { id: `${id}-${field}`, 'aria-invalid': message ? true : undefined, 'aria-describedby': ids || undefined } as const;
  };

  /** An answer changed: the messages about it go (every one of the form's own with `everyMessage`). */
  const changed = (field: Field, everyMessage = false) => {
    setErrors((current) => {
      if (everyMessage) return {};
      const rest = { ...current };
      delete rest[field];
      return rest;
    });
    setEdited((current) => new Set(current).add(field));
  };

  /**
   * Before sending: shows the form's own messages, takes the keyboard to the first answer to fix
   * (in `order`, else as found), and says whether the answers may go.
   */
  const check = (found: Partial<Record<Field, string>>, order: readonly Field[] = Object.keys(found) as Field[]): boolean => {
    setErrors(found);
    setEdited(new Set());
    const first = order.find((field) => found[field]);
    if (first) document.getElementById(`${id}-${first}`)?.focus();
    return first === undefined;
  };

  return { errors, messageFor, described, changed, check };
}
