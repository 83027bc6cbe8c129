import * as z from 'zod';
import { Problems } from '../../shared/http/problem';

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
