/**
 * A PostgreSQL array literal for one parameter (`$1::uuid[]`, `$2::text[]`): set-based statements
 * (INSERT … SELECT FROM unnest(…)) send a column of values in one parameter whatever the adapter
 * (node-postgres or the RDS Data API, which take scalars only). Every element is quoted, so commas,
 * braces, quotes and backslashes in text stay data; null is SQL NULL.
 */
export function arrayLiteral(values: readonly (string | number | boolean | null)[]): string {
  return `{${values.map((value) => (value === null ? 'NULL' : `"${String(value).replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}
