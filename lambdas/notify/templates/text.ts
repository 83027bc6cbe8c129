/**
 * Making untrusted strings safe to put in a message. Every value a template prints passes
 * through one of these, whatever its source: they strip control and invisible characters,
 * bound the length, and (for SMS) keep only characters of the GSM-7 basic set, so a message
 * stays in one 7-bit segment and cannot be bloated or disguised by its inputs.
 */

/** GSM 03.38 basic character set, without the escape-table characters (which cost two septets). */
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);

const GSM7_REPLACEMENTS: Readonly<Record<string, string>> = {
  '\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201B': "'", '\u2032': "'", '`': "'", '\u00B4': "'",
  '\u201C': '"', '\u201D': '"', '\u201E': '"', '\u2033': '"', '\u00AB': '"', '\u00BB': '"',
  '\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-', '\u2014': '-', '\u2015': '-', '\u2212': '-',
  '\u2026': '...', '[': '(', ']': ')', '{': '(', '}': ')', '\u00D7': 'x',
};

/** Characters that render as nothing or reorder text (bidi controls, zero-width, BOM). */
const INVISIBLE = /[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Keeps the input from costing more than this much work, whatever its size. */
const MAX_INPUT = 2_000;

function cleaned(value: unknown): string {
  if (typeof value !== 'string') return '';
  return value
    .slice(0, MAX_INPUT)
    .replace(LONE_SURROGATE, '')
    .replace(INVISIBLE, '')
    .replace(CONTROL, ' ')
    .normalize('NFC')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** Cuts to `max` code points, marking the cut; never splits a surrogate pair. */
export function bounded(text: string, max: number): string {
  const points = Array.from(text);
  if (points.length <= max) return text;
  if (max <= 3) return points.slice(0, max).join('');
  return `${points.slice(0, max - 3).join('').trimEnd()}...`;
}

/** A single line of plain text (email subject and body values): no controls, no invisibles, bounded. */
export function plainText(value: unknown, max: number): string {
  return bounded(cleaned(value), max);
}

function toGsm7Char(char: string): string {
  if (GSM7_BASIC.has(char)) return char;
  const replacement = GSM7_REPLACEMENTS[char];
  if (replacement !== undefined) return replacement;
  if (/\s/u.test(char)) return ' ';
  // Accented letters outside the set fall back to their base letter (ç → c); the rest is dropped.
  const base = char.normalize('NFKD').replace(/\p{M}/gu, '');
  return Array.from(base).every((c) => GSM7_BASIC.has(c)) ? base : '';
}

/** Text made only of GSM-7 basic characters (one septet each), so length = septets. */
export function gsm7Text(value: unknown, max: number): string {
  const converted = Array.from(cleaned(value)).map(toGsm7Char).join('').replace(/ {2,}/g, ' ').trim();
  return bounded(converted, max);
}

export function isGsm7Basic(text: string): boolean {
  return Array.from(text).every((char) => GSM7_BASIC.has(char));
}

/** Reference codes are letters, digits and hyphens; anything else is not part of a code. */
export function referenceCodeText(value: unknown, max: number): string {
  if (typeof value !== 'string') return '';
  return value.slice(0, MAX_INPUT).replace(/[^A-Za-z0-9-]/g, '').toUpperCase().slice(0, max);
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? '');
}
