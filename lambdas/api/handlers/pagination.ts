import * as z from 'zod';
import type { Queryable } from '../../shared/db/port';
import { Problems } from '../../shared/http/problem';
import type { Where } from './support';

/**
 * Keyset pagination: the cursor is the sort key of the last row served, opaque to clients
 * (base64url JSON) and validated on the way back in. No OFFSET, so page 1,000 costs what page 1 does.
 */
const CursorKey = z.tuple([z.string().max(64).nullable(), z.uuid()]);
export type CursorKey = z.infer<typeof CursorKey>;

/** Lists a client may walk either way name the order in their cursor, so a cursor cannot continue the other walk. */
export type SortOrder = 'newest' | 'oldest';
const OrderedCursorKey = z.tuple([z.string().max(64).nullable(), z.uuid(), z.enum(['newest', 'oldest'])]);
type OrderedCursorKey = z.infer<typeof OrderedCursorKey>;

export function encodeCursor(key: CursorKey | OrderedCursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

const notOurs = () => Problems.invalidParameters([{ path: 'cursor', message: 'Not a cursor this API issued' }]);

function decoded(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    // the same answer as a well-formed but wrong cursor
    throw notOurs();
  }
}

export function decodeCursor(cursor: string | undefined): CursorKey | undefined {
  if (cursor === undefined) return undefined;
  const parsed = CursorKey.safeParse(decoded(cursor));
  if (parsed.success) return parsed.data;
  throw notOurs();
}

/**
 * The key of a cursor issued for `order`. A cursor of the other order is refused (400): its key
 * would silently skip or repeat rows in this one. Untagged cursors come from before lists could
 * be walked both ways, when they were all newest first.
 */
export function decodeOrderedCursor(cursor: string | undefined, order: SortOrder): CursorKey | undefined {
  if (cursor === undefined) return undefined;
  const value = decoded(cursor);
  const ordered = OrderedCursorKey.safeParse(value);
  if (ordered.success) {
    const [at, id, issuedFor] = ordered.data;
    if (issuedFor === order) return [at, id];
    throw Problems.invalidParameters([{ path: 'cursor', message: `This cursor continues order=${issuedFor}; start again without it` }]);
  }
  const legacy = CursorKey.safeParse(value);
  if (legacy.success && order === 'newest') return legacy.data;
  throw notOurs();
}

/** Where a page starts (the key of the previous page's last row), how long it is, and which way it walks. */
export interface PageRequest {
  after: CursorKey | undefined;
  limit: number;
  /** Newest first unless a list lets its clients walk the other way. */
  order?: SortOrder;
}

/**
 * The one keyset page every list but the legs' reads (legs walk pickup times, with will-call legs
 * last): `limit + 1` rows of one table by (created_at, id), after the previous page's key. `where`
 * holds the caller's scope and filters; the key condition and the LIMIT come last, so their
 * parameters follow. `joined` adds columns of rows joined to the page's rows only, after the
 * LIMIT, so the page's own plan (a walk of the table's keyset index) stays the same.
 */
export async function selectPage<Row>(
  tx: Queryable,
  query: { columns: string; from: string; where: Where; page: PageRequest; joined?: { columns: string; join: string } },
): Promise<Row[]> {
  const { where, page } = query;
  const oldest = page.order === 'oldest';
  if (page.after) where.add(`(created_at, id) ${oldest ? '>' : '<'} (?::timestamptz, ?::uuid)`, page.after[0], page.after[1]);
  const direction = oldest ? 'ASC' : 'DESC';
  const orderBy = (alias: string) => `ORDER BY ${alias}created_at ${direction}, ${alias}id ${direction}`;
  const rows = `SELECT ${query.columns} FROM ${query.from} ${where.sql()}
     ${orderBy('')} LIMIT ${where.param(page.limit + 1)}`;
  const sql = query.joined
    ? `SELECT page.*, ${query.joined.columns} FROM (${rows}) AS page ${query.joined.join} ${orderBy('page.')}`
    : rows;
  return (await tx.query<Row>(sql, where.values as never)).rows;
}

/** Fetch limit + 1 rows; the extra one only says whether there is a next page. */
export function pageOf<Row, Item>(rows: Row[], limit: number, toItem: (row: Row) => Item,
  keyOf: (row: Row) => CursorKey | OrderedCursorKey) {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { items: pageRows.map(toItem), nextCursor: hasMore && last ? encodeCursor(keyOf(last)) : null };
}

/**
 * pageOf for rows whose protected fields must be opened first: only the rows served are opened.
 * `prepare` fetches their keys in the transaction and returns the opening itself; the page comes
 * back as a function doing that CPU-only rest, so the route's answer is built while its COMMIT
 * travels (RouteResult.body).
 */
export async function openedPageOf<Row, View, Item>(
  rows: Row[],
  limit: number,
  prepare: (rows: Row[]) => Promise<() => View[]>,
  toItem: (view: View) => Item,
  keyOf: (view: View) => CursorKey | OrderedCursorKey,
): Promise<() => { items: Item[]; nextCursor: string | null }> {
  const hasMore = rows.length > limit;
  const open = await prepare(hasMore ? rows.slice(0, limit) : rows);
  return () => {
    const views = open();
    const last = views[views.length - 1];
    return { items: views.map(toItem), nextCursor: hasMore && last ? encodeCursor(keyOf(last)) : null };
  };
}
