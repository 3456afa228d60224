// Fixed-window attempt counters for brute-force protection (login, signup). Redis-backed when configured so every
// instance shares the count; in-process otherwise (one instance). A limiter fails OPEN when Redis is down (logged):
// refusing every login during a Redis outage would be worse than briefly allowing unthrottled attempts, and
// passwords are still scrypt-hashed. Budgets never fail open; this is not a budget.
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

export interface Hit {
  /** Attempts counted in the current window, this one included. */
  count: number;
  /** Milliseconds until the window ends. */
  resetInMs: number;
}

export interface AttemptCounter {
  /** Counts one attempt; null when the store is unavailable (fail open). */
  hit(key: string, windowMs: number): Promise<Hit | null>;
  /** Gives back one attempt (a login that turned out to be right). */
  giveBack(key: string): Promise<void>;
}

// INCR and, on the first hit, start the window; both in one round trip and atomic, so a crash between the two can
// never leave a counter without an expiry.
const HIT_SCRIPT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

// Never below zero, never resurrects an expired key.
const GIVE_BACK_SCRIPT = `local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return 0`;

export function createRedisAttemptCounter(
  redis: Redis,
  prefix: string,
  log: FastifyBaseLogger,
): AttemptCounter {
  return {
    async hit(key, windowMs) {
      try {
        const [count, ttl] = (await redis.eval(HIT_SCRIPT, 1, `${prefix}:${key}`, String(windowMs))) as [
          number,
          number,
        ];
        return { count, resetInMs: ttl };
      } catch (error) {
        log.warn({ err: error }, 'rate limiter unavailable (Redis); allowing the attempt');
        return null;
      }
    },
    async giveBack(key) {
      try {
        await redis.eval(GIVE_BACK_SCRIPT, 1, `${prefix}:${key}`);
      } catch (error) {
        log.warn({ err: error }, 'rate limiter unavailable (Redis); could not give an attempt back');
      }
    },
  };
}

const MAX_MEMORY_KEYS = 100_000;

export function createMemoryAttemptCounter(now: () => number = Date.now): AttemptCounter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  function sweep(t: number): void {
    for (const [key, w] of windows) if (w.resetAt <= t) windows.delete(key);
    // Still full of live windows (an attack from many addresses): drop the oldest rather than grow without bound.
    while (windows.size >= MAX_MEMORY_KEYS) {
      const oldest = windows.keys().next().value;
      if (oldest === undefined) break;
      windows.delete(oldest);
    }
  }
  return {
    async hit(key, windowMs) {
      const t = now();
      let w = windows.get(key);
      if (!w || w.resetAt <= t) {
        if (windows.size >= MAX_MEMORY_KEYS) sweep(t);
        w = { count: 0, resetAt: t + windowMs };
        windows.set(key, w);
      }
      w.count += 1;
      return { count: w.count, resetInMs: w.resetAt - t };
    },
    async giveBack(key) {
      const w = windows.get(key);
      if (w && w.count > 0) w.count -= 1;
    },
  };
}

export interface LimitRule {
  key: string;
  max: number;
  windowMs: number;
}

export interface Admission {
  allowed: boolean;
  /** Seconds until every exceeded window frees (for Retry-After). */
  retryAfterSeconds: number;
  /** Hands the counted attempts back (successful login). */
  giveBack(): Promise<void>;
}

/**
 * Counts this attempt against every rule BEFORE the work is done, so parallel guesses each take a slot and a burst
 * cannot slip past a check-then-count. A request over any limit is refused; its own hit stays counted.
 */
export async function admit(counter: AttemptCounter, rules: LimitRule[]): Promise<Admission> {
  const hits = await Promise.all(rules.map((rule) => counter.hit(rule.key, rule.windowMs)));
  let retryAfterMs = 0;
  hits.forEach((hit, i) => {
    const rule = rules[i];
    if (hit && rule && hit.count > rule.max) retryAfterMs = Math.max(retryAfterMs, hit.resetInMs);
  });
  return {
    allowed: retryAfterMs === 0,
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    async giveBack() {
      await Promise.all(rules.map((rule) => counter.giveBack(rule.key)));
    },
  };
}
