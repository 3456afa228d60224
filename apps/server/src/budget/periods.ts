// UTC calendar periods (month, day) and the rolling velocity window (docs/api.md §1, §5).
// All inputs are epoch milliseconds. JS time has no leap seconds, so a UTC day is always
// exactly 86,400,000 ms and day arithmetic can be plain integer division.

const MS_PER_SECOND = 1000;
const MS_PER_DAY = 86_400_000;
/** The velocity window is split into at most this many buckets (plus the partial ones at its edges). */
const VELOCITY_BUCKETS_PER_WINDOW = 60;

function assertTime(at: number): void {
  if (!Number.isFinite(at)) throw new RangeError(`not a valid time: ${at}`);
}

/** Mathematical (floored) modulo, also right for times before 1970. */
function floorMod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Epoch ms of 00:00 UTC on (year, month0 + 1, day); month0 may overflow into the next year. */
function utcMidnight(year: number, month0: number, day: number): number {
  // Not Date.UTC: it maps years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month0, day);
  return date.getTime();
}

/** "2026-11" — the key of the UTC calendar month that contains `at`. */
export function monthKey(at: number): string {
  assertTime(at);
  const date = new Date(at);
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}`;
}

/** "2026-11-25" — the key of the UTC calendar day that contains `at`. */
export function dayKey(at: number): string {
  assertTime(at);
  const date = new Date(at);
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
}

/** Epoch ms of the first instant of `at`'s UTC month. */
export function monthStart(at: number): number {
  assertTime(at);
  const date = new Date(at);
  return utcMidnight(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** Epoch ms when `at`'s UTC month ends, i.e. the first instant of the next month (always > at). */
export function monthResetsAt(at: number): number {
  assertTime(at);
  const date = new Date(at);
  return utcMidnight(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/** Epoch ms of the first instant of `at`'s UTC day. */
export function dayStart(at: number): number {
  assertTime(at);
  const ms = Math.floor(at);
  return ms - floorMod(ms, MS_PER_DAY);
}

/** Epoch ms when `at`'s UTC day ends, i.e. the next midnight UTC (always > at). */
export function dayResetsAt(at: number): number {
  return dayStart(at) + MS_PER_DAY;
}

/** dayKeys from the 1st of `at`'s UTC month through `at`'s own day, inclusive, in order. */
export function daysOfMonthUntil(at: number): string[] {
  const first = monthStart(at);
  const last = dayStart(at);
  const keys: string[] = [];
  for (let day = first; day <= last; day += MS_PER_DAY) keys.push(dayKey(day));
  return keys;
}

/**
 * Where the rolling velocity window lies in bucket space. Spend is counted per bucket of
 * `bucketSeconds` (bucket i holds the whole seconds [i·w, (i+1)·w)), so a Redis hash or a small
 * array can hold a window of any length in about 60 fields. An event recorded at time t is added to
 * bucket floor(floor(t/1000) / w) — that is `velocityWindow(t, window).currentBucket`.
 */
export interface VelocityWindow {
  /** Bucket width w = max(1, ceil(windowSeconds / 60)) seconds. */
  bucketSeconds: number;
  /** Index of the bucket that holds `at`; new spend at `at` goes here. */
  currentBucket: number;
  /** Oldest bucket to sum, inclusive. */
  firstBucket: number;
  /** How long a bucket must be kept: windowSeconds + 2 buckets, so no bucket still in a window expires. */
  ttlSeconds: number;
}

/**
 * The spend "in the window" at `at` is the sum of buckets firstBucket..currentBucket inclusive,
 * firstBucket = floor((at/1000 - windowSeconds) / w).
 *
 * Why this errs on the safe side: the first bucket starts at or before at − windowSeconds, so every
 * event of [at − windowSeconds·1000, at] is counted (never under-counts). Because whole buckets are
 * summed, events up to one bucket width older than the window may be counted too: everything summed
 * lies within the last windowSeconds + bucketSeconds seconds (strictly), so the over-count is by less
 * than one bucket of time. A limit can therefore bite slightly early, never late.
 */
export function velocityWindow(at: number, windowSeconds: number): VelocityWindow {
  assertTime(at);
  if (!Number.isSafeInteger(windowSeconds) || windowSeconds < 1) {
    throw new RangeError(`windowSeconds must be a positive integer, got ${windowSeconds}`);
  }
  const bucketSeconds = Math.max(1, Math.ceil(windowSeconds / VELOCITY_BUCKETS_PER_WINDOW));
  // floor(floor(x) / w) === floor(x / w) for integer w, so whole seconds are enough here.
  // Integer math (no float division) so a time like k·1000 − 1 never rounds up into the next second.
  const ms = Math.floor(at);
  const second = (ms - floorMod(ms, MS_PER_SECOND)) / MS_PER_SECOND;
  return {
    bucketSeconds,
    currentBucket: Math.floor(second / bucketSeconds),
    firstBucket: Math.floor((second - windowSeconds) / bucketSeconds),
    ttlSeconds: windowSeconds + 2 * bucketSeconds,
  };
}

/**
 * When the period named by a month key ('2026-11') or day key ('2026-11-25') is over: the first instant of the next
 * one, in epoch ms (what a budget_exceeded suspension for that period lifts at). null for anything else.
 */
export function periodKeyEndsAt(key: string): number | null {
  const start = /^\d{4}-\d{2}(-\d{2})?$/.test(key)
    ? Date.parse(key.length === 7 ? `${key}-01` : key)
    : Number.NaN;
  if (Number.isNaN(start)) return null;
  return key.length === 7 ? monthResetsAt(start) : dayResetsAt(start);
}
