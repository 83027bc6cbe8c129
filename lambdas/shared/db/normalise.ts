/** Value normalisation shared by both adapters, so results do not depend on the transport. */

// What node-postgres receives from a server whose TimeZone is UTC (RDS, Aurora and the embedded
// server): 'YYYY-MM-DD HH:MM:SS[.ffffff]+00'. A page of 50 rows holds some 150 of them, and
// rewriting the text is several times cheaper than parsing it into a Date (docs/performance.md).
const UTC_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00$/;

/** Postgres timestamptz text ('2024-05-01 09:30:00.123456+00') or Data API text → ISO UTC (milliseconds, truncated). */
export function timestampToIso(text: string): string {
  const utc = UTC_TIMESTAMP.exec(text);
  if (utc) return `${utc[1]}T${utc[2]}.${(utc[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
  const withZone = /[zZ]|[+-]\d{2}(:?\d{2})?$/.test(text) ? text : `${text}Z`;
  const date = new Date(withZone.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'));
  if (Number.isNaN(date.getTime())) throw new Error('unparseable timestamp from database');
  return date.toISOString();
}
