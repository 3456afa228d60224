// Opaque keyset-pagination cursors (docs/api.md: `next_cursor`): base64url JSON of the last row's sort key. A cursor that
// does not decode to the expected shape is a 400 on the `cursor` field, never a 500.
import { invalidRequest } from './errors.js';

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A keyset cursor over (timestamp, id): the newest-first lists of events and reservations use it. */
export const isTimeIdCursor = (v: unknown): v is [string, string] =>
  Array.isArray(v) &&
  v.length === 2 &&
  typeof v[0] === 'string' &&
  typeof v[1] === 'string' &&
  !Number.isNaN(Date.parse(v[0]));

/** The 400 for a cursor this API did not return (or, for a list whose cursor names a row, not to this caller). */
export const invalidCursor = () =>
  invalidRequest([{ field: 'cursor', problem: 'is not a cursor this API returned' }]);

export function decodeCursor<T>(cursor: string | undefined, check: (v: unknown) => v is T): T | null {
  if (cursor === undefined || cursor === '') return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (check(value)) return value;
  } catch {
    // fall through to the 400 below
  }
  throw invalidCursor();
}

/**
 * One page of a list fetched with `limit + 1` rows: the extra row only says that more follow, and the cursor names the
 * last row shown (its `cursorOf`).
 */
export function pageOf<R, J>(
  rows: R[],
  limit: number,
  cursorOf: (row: R) => unknown,
  toJson: (row: R) => J,
): { data: J[]; next_cursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: page.map(toJson),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null,
  };
}
