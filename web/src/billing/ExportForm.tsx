import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { ApiProblem } from '../api/problem';
import { ActionError, FieldError } from '../components/States';
import { useConsole } from '../context';
import { genericZoneName, isoToZonedInput, zonedInputToIso } from '../lib/time';

/** "2030-06-23" → "2030-06-24" (calendar arithmetic, no zone involved). */
function nextDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + 1)).toISOString().slice(0, 10);
}

/** Hands a fetched file to the browser as a download (the token lives in memory, so no plain link). */
function saveFile(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy once started; the URL only has to outlive the click.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * The CSV export of the records created on the chosen days (in the provider's zone), fetched
 * with the bearer token and saved as billing-records-<from>-to-<to>.csv.
 */
export function ExportForm() {
  const { api, timeZone } = useConsole();
  const id = useId();
  const today = isoToZonedInput(new Date().toISOString(), timeZone).date;
  const [from, setFrom] = useState(`${today.slice(0, 8)}01`);
  const [to, setTo] = useState(today);
  const [problem, setProblem] = useState<{ field: 'from' | 'to'; message: string } | undefined>();
  const [saved, setSaved] = useState('');
  const download = useMutation({
    mutationFn: async (days: { from: string; to: string }) => {
      const fromIso = zonedInputToIso(days.from, '00:00', timeZone);
      const toIso = zonedInputToIso(nextDay(days.to), '00:00', timeZone);
      if (!fromIso || !toIso) throw new Error('unreadable dates');
      const { data } = await api.GET('/v1/billing-records/export', { params: { query: { from: fromIso, to: toIso } }, parseAs: 'blob' });
      const filename = `billing-records-${days.from}-to-${days.to}.csv`;
      saveFile(data as Blob, filename);
      return filename;
    },
    onSuccess: (filename) => setSaved(`Downloaded ${filename}.`),
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setSaved('');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(from)) return setProblem({ field: 'from', message: 'Choose the first day.' });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(to)) return setProblem({ field: 'to', message: 'Choose the last day.' });
    if (to < from) return setProblem({ field: 'to', message: 'The last day cannot be before the first.' });
    setProblem(undefined);
    download.mutate({ from, to });
  };
  const apiProblem = download.error instanceof ApiProblem ? download.error : undefined;
  const messageFor = (field: 'from' | 'to') => (problem?.field === field ? problem.message : apiProblem?.field(field));
  const dateField = (field: 'from' | 'to', label: string, value: string, set: (value: string) => void) => {
    const fieldId = `${id}-${field}`;
    const message = messageFor(field);
    return (
      <div className="field">
        <label htmlFor={fieldId}>{label}</label>
        <input id={fieldId} type="date" value={value} required onChange={(event) => set(event.target.value)}
          aria-invalid={message ? true : undefined} aria-describedby={`${id}-hint${message ? ` ${fieldId}-error` : ''}`} />
        <FieldError id={`${fieldId}-error`} message={message} />
      </div>
    );
  };
  return (
    <form className="billing-export" aria-labelledby={`${id}-title`} noValidate onSubmit={onSubmit}>
      <h2 id={`${id}-title`}>Export to CSV</h2>
      <p className="hint" id={`${id}-hint`}>Records created from the first day to the last, both included ({genericZoneName(timeZone)}).</p>
      <div className="field-row">
        {dateField('from', 'First day', from, setFrom)}
        {dateField('to', 'Last day', to, setTo)}
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={download.isPending}>{download.isPending ? 'Preparing…' : 'Download CSV'}</button>
        <span role="status">{saved}</span>
      </div>
      {!(apiProblem?.field('from') || apiProblem?.field('to')) && <ActionError error={download.error} />}
    </form>
  );
}
