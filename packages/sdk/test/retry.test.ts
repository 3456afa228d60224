import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs, isRetryable, parseRetryAfter, retryDelayMs } from '../src/retry.js';

const options = { baseDelayMs: 100, maxDelayMs: 1_000 };

describe('backoffDelayMs (full jitter)', () => {
  it('draws uniformly below a ceiling that doubles per retry', () => {
    const almostOne = () => 0.999_999;
    assert.deepEqual(
      [0, 1, 2, 3].map((attempt) => backoffDelayMs(attempt, options, almostOne)),
      [99, 199, 399, 799],
    );
    assert.equal(
      backoffDelayMs(2, options, () => 0.5),
      200,
    );
  });

  it('never exceeds maxDelayMs, however many retries', () => {
    assert.equal(
      backoffDelayMs(4, options, () => 0.999_999),
      999,
    );
    assert.equal(
      backoffDelayMs(60, options, () => 0.999_999),
      999,
    );
  });

  it('can be zero (that is the point of full jitter)', () => {
    assert.equal(
      backoffDelayMs(3, options, () => 0),
      0,
    );
  });

  it('spreads draws over the whole window', () => {
    let seed = 7;
    const lcg = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const draws = Array.from({ length: 2_000 }, () => backoffDelayMs(3, options, lcg));
    assert.ok(draws.every((d) => Number.isInteger(d) && d >= 0 && d < 800));
    const lowHalf = draws.filter((d) => d < 400).length;
    assert.ok(lowHalf > 800 && lowHalf < 1_200, `expected about half below 400 ms, got ${lowHalf}`);
  });
});

describe('retryDelayMs', () => {
  it('honors Retry-After seconds instead of the backoff', () => {
    assert.equal(
      retryDelayMs(0, 0.5, options, () => 0),
      500,
    );
    assert.equal(
      retryDelayMs(5, 0, options, () => 0.9),
      0,
    );
  });

  it('gives up (null) when Retry-After asks for more than maxDelayMs', () => {
    assert.equal(
      retryDelayMs(0, 2, options, () => 0),
      null,
    );
  });

  it('falls back to jittered backoff without Retry-After', () => {
    assert.equal(
      retryDelayMs(1, null, options, () => 0.5),
      100,
    );
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    assert.equal(parseRetryAfter('3'), 3);
    assert.equal(parseRetryAfter(' 0 '), 0);
    assert.equal(parseRetryAfter('1.5'), 1.5);
  });

  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('2026-11-25T10:00:00Z');
    assert.equal(parseRetryAfter('Wed, 25 Nov 2026 10:00:07 GMT', now), 7);
    assert.equal(parseRetryAfter('Wed, 25 Nov 2026 09:00:00 GMT', now), 0);
  });

  it('returns null when absent or unreadable', () => {
    assert.equal(parseRetryAfter(null), null);
    assert.equal(parseRetryAfter(undefined), null);
    assert.equal(parseRetryAfter(''), null);
    assert.equal(parseRetryAfter('soon'), null);
    assert.equal(parseRetryAfter('-1'), null);
  });
});

describe('isRetryable', () => {
  const response = (status: number, code: string | null = null) => ({
    kind: 'response' as const,
    status,
    code,
  });

  it('retries transient failures of idempotent requests', () => {
    for (const outcome of [
      { kind: 'network' as const },
      { kind: 'timeout' as const },
      response(409, 'idempotency_key_in_flight'),
      response(429, 'rate_limited'),
      response(500, 'internal'),
      response(502),
      response(503, 'unavailable'),
      response(504),
    ]) {
      assert.equal(isRetryable(outcome, 'idempotent'), true, JSON.stringify(outcome));
    }
  });

  it('never retries 4xx decisions', () => {
    for (const [status, code] of [
      [400, 'invalid_request'],
      [401, 'unauthenticated'],
      [403, 'forbidden'],
      [403, 'budget_exceeded'],
      [403, 'agent_suspended'],
      [404, 'not_found'],
      [409, 'conflict'],
      [413, 'payload_too_large'],
      [422, 'idempotency_key_reused'],
    ] as const) {
      assert.equal(isRetryable(response(status, code), 'idempotent'), false, `${status} ${code}`);
      assert.equal(isRetryable(response(status, code), 'unsafe'), false, `${status} ${code}`);
    }
  });

  it('retries non-idempotent requests only when the server said nothing happened', () => {
    assert.equal(isRetryable({ kind: 'network' }, 'unsafe'), false);
    assert.equal(isRetryable({ kind: 'timeout' }, 'unsafe'), false);
    assert.equal(isRetryable(response(500, 'internal'), 'unsafe'), false);
    assert.equal(isRetryable(response(503, 'unavailable'), 'unsafe'), true);
    assert.equal(isRetryable(response(429, 'rate_limited'), 'unsafe'), true);
  });
});
