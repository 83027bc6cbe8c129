/**
 * Splits a migration file into statements on top-level semicolons, skipping those inside quotes,
 * dollar-quoted bodies and comments. Needed because the RDS Data API runs one statement per call.
 */
export function splitSqlStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw new Error('unterminated block comment');
      i = end + 2;
    } else if (ch === "'" || ch === '"') {
      i = skipQuoted(sql, i, ch);
    } else if (ch === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        if (end === -1) throw new Error(`unterminated dollar quote ${tag[0]}`);
        i = end + tag[0].length;
      } else {
        i += 1;
      }
    } else if (ch === ';') {
      push(statements, sql.slice(start, i));
      start = i + 1;
      i += 1;
    } else {
      i += 1;
    }
  }
  push(statements, sql.slice(start));
  return statements;
}

function skipQuoted(sql: string, open: number, quote: string): number {
  let i = open + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i += 1;
  }
  throw new Error(`unterminated ${quote === "'" ? 'string' : 'identifier'}`);
}

function push(statements: string[], text: string): void {
  const withoutComments = text.replace(/--[^\n]*\n?/g, '').trim();
  if (withoutComments.length > 0) statements.push(text.trim());
}
