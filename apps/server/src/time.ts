// Time values in one place: timestamptz columns → epoch milliseconds, and epoch ms → the ISO 8601 strings of API
// answers and of timestamptz parameters.

/** ISO 8601 (UTC, millisecond precision) of epoch ms; null stays null. */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A timestamptz column as epoch ms: pg returns a Date, PGlite or a JSON path a string; anything else is a bug. */
export function epochMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  const ms = Date.parse(String(value));
  if (Number.isNaN(ms)) throw new TypeError(`expected a timestamp, got ${String(value)}`);
  return ms;
}

/** epochMs of a nullable column; SQL NULL (null or undefined) stays null. */
export function epochMsOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : epochMs(value);
}

/** A nullable timestamptz column as the API's ISO string. */
export function columnIsoOrNull(value: unknown): string | null {
  return isoOrNull(epochMsOrNull(value));
}
