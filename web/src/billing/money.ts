/**
 * Money as the desk shows and reads it: whole cents in the API, dollars and cents on screen.
 * Parsing is done on the digits, never through floating point, so "48.10" is 4810 cents exactly.
 */
const DOLLARS = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** The API's ceiling for an amount (BillingTransitionBody: 0 to 100,000,000 cents). */
export const MAX_AMOUNT_CENTS = 100_000_000;

/** "$1,234.50" */
export function formatCents(cents: number): string {
  return DOLLARS.format(cents / 100);
}

/** What an amount input shows for a record's amount: "48.50", or empty. */
export function centsToInput(cents: number | null): string {
  if (cents === null) return '';
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

export type AmountReading = { cents: number } | { problem: string };

/** "48.5", "$1,234.50", "12" → cents; anything else → a sentence saying what to type. */
export function readAmount(typed: string): AmountReading {
  const text = typed.trim().replace(/^\$/, '').replace(/,(?=\d{3}(?:\D|$))/g, '');
  if (text === '') return { problem: 'Enter the amount in dollars and cents, e.g. 48.50.' };
  const match = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) return { problem: 'Enter the amount in dollars and cents, e.g. 48.50 (digits, one point, at most two decimals).' };
  const cents = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (cents > MAX_AMOUNT_CENTS) return { problem: `The amount can be at most ${formatCents(MAX_AMOUNT_CENTS)}.` };
  return { cents };
}
