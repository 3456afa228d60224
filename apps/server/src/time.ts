// Epoch milliseconds → the ISO 8601 strings of API answers and of timestamptz parameters, in one place.

/** ISO 8601 (UTC, millisecond precision) of epoch ms; null stays null. */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
