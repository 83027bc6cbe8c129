import * as z from 'zod';
import { Problems } from '../../shared/http/problem';

/**
 * Keyset pagination: the cursor is the sort key of the last row served, opaque to clients
 * (base64url JSON) and validated on the way back in. No OFFSET, so page 1,000 costs what page 1 does.
 */
const CursorKey = z.tuple([z.string().max(64).nullable(), z.uuid()]);
export type CursorKey = z.infer<typeof CursorKey>;

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): CursorKey | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = CursorKey.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through to the same answer as a well-formed but wrong cursor
  }
  throw Problems.invalidParameters([{ path: 'cursor', message: 'Not a cursor this API issued' }]);
}

/** Fetch limit + 1 rows; the extra one only says whether there is a next page. */
export function pageOf<Row, Item>(rows: Row[], limit: number, toItem: (row: Row) => Item, keyOf: (row: Row) => CursorKey) {
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
  keyOf: (view: View) => CursorKey,
): Promise<() => { items: Item[]; nextCursor: string | null }> {
  const hasMore = rows.length > limit;
  const open = await prepare(hasMore ? rows.slice(0, limit) : rows);
  return () => {
    const views = open();
    const last = views[views.length - 1];
    return { items: views.map(toItem), nextCursor: hasMore && last ? encodeCursor(keyOf(last)) : null };
  };
}
