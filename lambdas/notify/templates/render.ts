import type { NotificationEvent } from '../../shared/outbox/write';
import { EVENT_TEMPLATES, type SafeFields } from './events';
import { SERIES_EVENTS, type TemplateFields, WINDOW_EVENTS } from './fields';
import { escapeHtml, gsm7Text, plainText, referenceCodeText } from './text';

/** One GSM-7 segment. */
export const SMS_MAX_CHARS = 160;
export const SMS_OPT_OUT = 'Reply STOP to opt out';

/** Upper bounds per field; real values are far shorter (a reference code is 11 characters). */
export const FIELD_LIMITS = {
  referenceCode: 24,
  date: 24,
  timeWindow: 40,
  status: 32,
  providerName: 60,
  days: 40,
  localTime: 48,
} as const;

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

type Sanitise = (value: unknown, max: number) => string;

/**
 * The only place a template's input is read: each allowed field by name, each through a
 * sanitiser. Whatever else the object carries (even if a caller smuggles in a trip or rider
 * through a cast) is never looked at.
 */
function safeFields(fields: TemplateFields, sanitise: Sanitise): SafeFields {
  return {
    referenceCode: referenceCodeText(fields.referenceCode, FIELD_LIMITS.referenceCode),
    date: sanitise(fields.date, FIELD_LIMITS.date),
    timeWindow: sanitise(fields.timeWindow, FIELD_LIMITS.timeWindow),
    status: sanitise(fields.status, FIELD_LIMITS.status),
    providerName: sanitise(fields.providerName, FIELD_LIMITS.providerName),
    days: sanitise(fields.days, FIELD_LIMITS.days),
    localTime: sanitise(fields.localTime, FIELD_LIMITS.localTime),
  };
}

function template(event: NotificationEvent) {
  const found = EVENT_TEMPLATES[event];
  if (!found) throw new Error(`no template for event ${String(event).slice(0, 40)}`);
  return found;
}

/**
 * `Provider: <sentence> Reply STOP to opt out`, within one 160-character GSM-7 segment: the
 * provider name is shortened (or left out) to make room; the reference code is never cut. If the
 * fields are so long that even that is not enough, a minimal message with the code is sent.
 */
export function renderSms(event: NotificationEvent, fields: TemplateFields): string {
  const safe = safeFields(fields, gsm7Text);
  const core = `${template(event).sms(safe)} ${SMS_OPT_OUT}`;
  const room = SMS_MAX_CHARS - core.length - 2;
  if (room >= 0) {
    const provider = gsm7Text(safe.providerName, room);
    if (provider.length >= 3 || (provider.length > 0 && provider === safe.providerName)) return `${provider}: ${core}`;
    return core;
  }
  if (core.length <= SMS_MAX_CHARS) return core;
  return safe.referenceCode ? `Update on ride ${safe.referenceCode}. ${SMS_OPT_OUT}` : `Update on your rides. ${SMS_OPT_OUT}`;
}

export function renderEmail(event: NotificationEvent, fields: TemplateFields): RenderedEmail {
  const safe = safeFields(fields, plainText);
  const chosen = template(event);
  const subject = safe.providerName ? `${chosen.subject(safe)} - ${safe.providerName}` : chosen.subject(safe);
  const paragraphs = chosen.paragraphs(safe);
  const details: [string, string][] = [
    ['Reference', safe.referenceCode],
    [chosen.dateLabel ?? 'Date', safe.date],
    ['Days', SERIES_EVENTS.has(event) ? safe.days : ''],
    ['Pickup time', SERIES_EVENTS.has(event) ? safe.localTime : ''],
    ['Pickup window', WINDOW_EVENTS.has(event) ? safe.timeWindow : ''],
    ['Status', safe.status],
  ];
  const shownDetails = details.filter(([, value]) => value !== '');
  const sender = safe.providerName || 'your transport provider';
  const footer = `You receive this message because you asked ${sender} to keep you informed about your rides. `
    + `To stop these messages, contact ${sender}.`;

  const text = [
    'Hello,',
    ...paragraphs,
    shownDetails.map(([label, value]) => `${label}: ${value}`).join('\n'),
    footer,
  ].filter((block) => block !== '').join('\n\n');

  const html = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1a1a1a">',
    '<p>Hello,</p>',
    ...paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
    shownDetails.length > 0
      ? `<table role="presentation" cellpadding="4" cellspacing="0">${shownDetails
        .map(([label, value]) => `<tr><td style="color:#555">${escapeHtml(label)}</td><td><strong>${escapeHtml(value)}</strong></td></tr>`)
        .join('')}</table>`
      : '',
    `<p style="color:#555;font-size:13px">${escapeHtml(footer)}</p>`,
    '</body></html>',
  ].filter((line) => line !== '').join('\n');

  return { subject, text, html };
}
