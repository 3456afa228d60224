// Retry policy: which failures are worth another attempt and how long to wait first.
// Pure functions so the math is unit-testable without a clock or a network.

export interface BackoffOptions {
  /** First backoff ceiling in ms; doubles on every attempt. */
  baseDelayMs: number;
  /** Upper bound of any single wait, including one asked for by `Retry-After`. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseDelayMs: 250, maxDelayMs: 8_000 };

/**
 * "Full jitter" exponential backoff (AWS architecture blog): a uniformly random wait in
 * [0, min(max, base * 2^attempt)). Spreading retries over the whole window keeps many clients
 * that failed together from retrying together. `attempt` counts retries from 0.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/**
 * How long to wait before retry number `attempt`: the server's `Retry-After` when it gave
 * one (it knows best when it can take us back), otherwise the jittered backoff. Returns null
 * when the server asks for a wait longer than `maxDelayMs` — better to fail now than to
 * block an agent for minutes.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterSeconds: number | null,
  options: BackoffOptions,
  random: () => number,
): number | null {
  if (retryAfterSeconds !== null) {
    const asked = Math.ceil(retryAfterSeconds * 1000);
    return asked > options.maxDelayMs ? null : asked;
  }
  return backoffDelayMs(attempt, options, random);
}

/**
 * Parses `Retry-After`: delta-seconds (`"2"`, `"0.5"`) or an HTTP date. Returns seconds
 * (>= 0), or null when absent or unreadable.
 */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | null {
  if (header === null || header === undefined) return null;
  const trimmed = header.trim();
  if (trimmed === '') return null;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  // An HTTP date always names the day and month; anything else (e.g. "-1") is garbage that
  // Date.parse would happily read as some year.
  if (!/[a-z]/i.test(trimmed)) return null;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, (date - now) / 1000);
}

/**
 * Whether a request may be sent again after this outcome.
 * - `idempotent` requests (an Idempotency-Key, or a method that is safe to repeat) retry on
 *   network errors, timeouts, `409 idempotency_key_in_flight`, `429` and every `5xx`: the
 *   server never counts the same key twice.
 * - `unsafe` requests (creating an agent or an API key: no idempotency on the server) retry
 *   only when the server itself said nothing happened (`429`, `503`); after a lost response
 *   they might have taken effect, so a retry could create a duplicate.
 * 4xx decisions (400/401/403/404/422...) are final and never retried.
 */
export type RetryMode = 'idempotent' | 'unsafe';

export type AttemptOutcome =
  | { kind: 'network' }
  | { kind: 'timeout' }
  | { kind: 'response'; status: number; code: string | null };

export function isRetryable(outcome: AttemptOutcome, mode: RetryMode): boolean {
  if (outcome.kind !== 'response') return mode === 'idempotent';
  const { status, code } = outcome;
  if (status === 429 || status === 503) return true;
  if (mode === 'unsafe') return false;
  if (status === 409 && code === 'idempotency_key_in_flight') return true;
  return status >= 500;
}
