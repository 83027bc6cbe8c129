import type { Mobility } from '../api/contract';
import { FieldError } from '../components/States';
import { MOBILITY } from '../lib/words';

export interface Needs {
  mobility: Mobility;
  companions: number;
  oxygen: boolean;
}

/**
 * What a rider needs on a ride (how they get around, companions, oxygen), as a trip request and a
 * standing order ask it. Ids follow the form's `${id}-${field}` and `-error`; `children` adds the
 * form's own answers to the group.
 */
export function NeedsFields({ id, needs, onChange, messageFor, children }: {
  id: string;
  needs: Needs;
  onChange: (field: keyof Needs, value: Needs[keyof Needs]) => void;
  messageFor: (field: keyof Needs) => string | undefined;
  children?: React.ReactNode;
}) {
  const tied = (field: keyof Needs) => {
    const message = messageFor(field);
    return { id: `${id}-${field}`, 'aria-invalid': message ? true : undefined, 'aria-describedby': message ? `${id}-${field}-error` : undefined } as const;
  };
  return (
    <fieldset>
      <legend>Needs</legend>
      <div className="field-row">
        <MobilityField id={id} value={needs.mobility} onChange={(mobility) => onChange('mobility', mobility)} message={messageFor('mobility')} />
        <div className="field">
          <label htmlFor={`${id}-companions`}>Companions riding along</label>
          <input type="number" min={0} max={3} step={1} inputMode="numeric" value={needs.companions}
            onChange={(e) => onChange('companions', Math.max(0, Math.min(3, Number(e.target.value) || 0)))} {...tied('companions')} />
          <FieldError id={`${id}-companions-error`} message={messageFor('companions')} />
        </div>
        <div className="field align-end">
          <label className="choice">
            <input id={`${id}-oxygen`} type="checkbox" checked={needs.oxygen} onChange={(e) => onChange('oxygen', e.target.checked)} />
            Travels with oxygen
          </label>
          <FieldError id={`${id}-oxygen-error`} message={messageFor('oxygen')} />
        </div>
      </div>
      {children}
    </fieldset>
  );
}

/** How the rider gets around: a ride's need, and a rider's usual one (their record). */
export function MobilityField({ id, value, onChange, message }: {
  id: string;
  value: Mobility;
  onChange: (mobility: Mobility) => void;
  message: string | undefined;
}) {
  return (
    <div className="field">
      <label htmlFor={`${id}-mobility`}>How they get around</label>
      <select id={`${id}-mobility`} value={value} onChange={(e) => onChange(e.target.value as Mobility)}
        aria-invalid={message ? true : undefined} aria-describedby={message ? `${id}-mobility-error` : undefined}>
        {(Object.keys(MOBILITY) as Mobility[]).map((mobility) => <option key={mobility} value={mobility}>{MOBILITY[mobility]}</option>)}
      </select>
      <FieldError id={`${id}-mobility-error`} message={message} />
    </div>
  );
}
