/** The E.164 shape the API's IntakeBody accepts. */
export const E164 = /^\+[1-9][0-9]{6,14}$/;

/**
 * "(555) 010-0777" → "+15550100777": people type numbers as they write them. Ten digits (or eleven
 * starting with 1) are read as a North American number; anything else must start with + or 00.
 * The API stays the judge (and refuses text messages outside the allowed calling codes).
 */
export function normalisePhone(raw: string): string {
  const digits = raw.replace(/[^\d+]/g, '');
  if (digits.startsWith('+')) return `+${digits.slice(1).replace(/\+/g, '')}`;
  if (digits.startsWith('00')) return `+${digits.slice(2)}`;
  if (digits.length === 10) return `+1${digits}`;
  if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
  return digits;
}
