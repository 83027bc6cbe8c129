/** Value normalisation shared by both adapters, so results do not depend on the transport. */

/** Postgres timestamptz text ('2024-05-01 09:30:00.123456+00') or Data API text → ISO UTC. */
export function timestampToIso(text: string): string {
  const withZone = /[zZ]|[+-]\d{2}(:?\d{2})?$/.test(text) ? text : `${text}Z`;
  const date = new Date(withZone.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'));
  if (Number.isNaN(date.getTime())) throw new Error('unparseable timestamp from database');
  return date.toISOString();
}
